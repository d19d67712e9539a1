"""The command line for the normalization family: ``derive --norm ... --mode ...`` and ``stats``.

Numbers are checked against PyTorch in float64 (F.layer_norm, F.group_norm,
F.instance_norm, F.batch_norm in both modes, BatchNorm1d's running statistics,
Batch Renorm written out in torch) and against a transcription of Caffe's
running-statistics rules, never against bnviz itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bnviz import cli
from bnviz.i18n import t

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-10
CJK = re.compile(r"[\u4e00-\u9fff]")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def derive(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run(capsys, "derive", *args)
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def save(tmp_path: Path, name: str, a: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, a)
    return str(path)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


def reference(fn, x, gamma, beta, dout) -> dict[str, np.ndarray]:
    tx, tg, tb = t64(x, True), t64(gamma, True), t64(beta, True)
    y = fn(tx, tg, tb)
    (t64(dout) * y).sum().backward()
    return {"y": y.detach().numpy(), "dx": tx.grad.numpy(), "dgamma": tg.grad.numpy(), "dbeta": tb.grad.numpy()}


def check(doc: dict, ref: dict[str, np.ndarray], paths: tuple[str, ...] = ("xhat", "var", "mu")) -> None:
    f, b = doc["forward"], doc["backward"]
    np.testing.assert_allclose(np.array(f["y"]), ref["y"], rtol=TOL, atol=TOL, err_msg="y")
    np.testing.assert_allclose(np.array(b["dx"]), ref["dx"], rtol=TOL, atol=TOL, err_msg="dx")
    np.testing.assert_allclose(np.array(b["dgamma"]), ref["dgamma"], rtol=TOL, atol=TOL, err_msg="dgamma")
    np.testing.assert_allclose(np.array(b["dbeta"]), ref["dbeta"], rtol=TOL, atol=TOL, err_msg="dbeta")
    assert set(b["paths"]) == set(paths)
    np.testing.assert_allclose(sum(np.array(p) for p in b["paths"].values()), ref["dx"], rtol=TOL, atol=TOL)


@pytest.fixture
def tensor(tmp_path: Path):
    rng = np.random.default_rng(7)
    x, dout = rng.normal(1.0, 2.0, (3, 4, 2, 3)), rng.standard_normal((3, 4, 2, 3))
    return x, dout, save(tmp_path, "x.npy", x), save(tmp_path, "dout.npy", dout)


GAMMA, BETA = "0.5,1.5,-1,2", "0,0.25,-0.5,1"
G4, B4 = np.array([0.5, 1.5, -1, 2]), np.array([0, 0.25, -0.5, 1])


# ------------------------------------------------------------------ derive --


def test_layer_norm_on_a_2d_batch(capsys):
    doc = derive(capsys, "--norm", "layer", "--m", "5", "--d", "4", "--seed", "3", "--gamma", GAMMA, "--beta", BETA)
    x, dout = np.array(doc["x"]), np.array(doc["dout"])
    check(doc, reference(lambda a, g, b: F.layer_norm(a, (4,), g, b, eps=1e-5), x, G4, B4, dout))
    np.testing.assert_allclose(doc["forward"]["mu"], x.mean(axis=1), rtol=TOL)  # one mean per sample
    np.testing.assert_allclose(doc["forward"]["var"], x.var(axis=1), rtol=TOL)
    assert doc["settings"]["norm"] == "layer" and len(doc["steps"]) == 17


@pytest.mark.parametrize("norm,groups,fn", [
    ("batch", "1", lambda a, g, b: F.batch_norm(a, None, None, g, b, training=True, eps=1e-5)),
    ("layer", "1", lambda a, g, b: F.group_norm(a, 1, g, b, eps=1e-5)),
    ("instance", "1", lambda a, g, b: F.instance_norm(a, weight=g, bias=b, eps=1e-5)),
    ("group", "2", lambda a, g, b: F.group_norm(a, 2, g, b, eps=1e-5)),
    ("group", "4", lambda a, g, b: F.group_norm(a, 4, g, b, eps=1e-5)),
])
def test_4d_input_for_the_conv_variants(capsys, tensor, norm, groups, fn):
    x, dout, xf, df = tensor
    doc = derive(capsys, "--norm", norm, "--groups", groups, "--x", xf, "--dout", df, "--gamma", GAMMA,
                 "--beta", BETA)
    assert np.shape(doc["x"]) == (3, 4, 2, 3)
    check(doc, reference(fn, x, G4, B4, dout))
    sets = {"batch": 4, "layer": 3, "instance": 12, "group": 3 * int(groups)}[norm]
    assert len(doc["forward"]["mu"]) == sets


def test_conv_batch_norm_statistics_are_per_channel_over_nhw(capsys, tensor):
    x, _, xf, df = tensor
    doc = derive(capsys, "--x", xf, "--dout", df)
    np.testing.assert_allclose(doc["forward"]["mu"], x.mean(axis=(0, 2, 3)), rtol=TOL)
    np.testing.assert_allclose(doc["forward"]["var"], x.var(axis=(0, 2, 3)), rtol=TOL)
    assert any(s["key"] == "forward.caffe" for s in doc["steps"])  # Caffe's two gemv


@pytest.mark.parametrize("four_d", [False, True])
def test_test_mode_with_running_statistics(capsys, tensor, four_d):
    x, dout, xf, df = tensor
    mean, var = np.array([0.1, -0.2, 0.3, 1.0]), np.array([1.0, 0.5, 2.0, 0.25])
    files = ["--x", xf, "--dout", df] if four_d else ["--m", "6", "--d", "4", "--seed", "2"]
    doc = derive(capsys, "--mode", "test", *files, "--running-mean", "0.1,-0.2,0.3,1", "--running-var",
                 "1,0.5,2,0.25", "--gamma", GAMMA, "--beta", BETA, "--eps", "0.001")
    x, dout = np.array(doc["x"]), np.array(doc["dout"])
    ref = reference(lambda a, g, b: F.batch_norm(a, t64(mean), t64(var), g, b, training=False, eps=1e-3),
                    x, G4, B4, dout)
    check(doc, ref)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    np.testing.assert_allclose(np.array(doc["backward"]["dx"]),
                               G4.reshape(shape) * dout / np.sqrt(var.reshape(shape) + 1e-3), rtol=TOL)
    assert doc["settings"]["mode"] == "test"


def test_layer_norm_in_test_mode_is_training_mode_with_a_note(capsys):
    train = derive(capsys, "--norm", "layer", "--m", "4")
    test = derive(capsys, "--norm", "layer", "--m", "4", "--mode", "test")
    assert test["backward"]["dx"] == train["backward"]["dx"]
    assert test["notes"] == [t("cli.norms.no_running", "en", norm="layer")]


def brn_reference(x, gamma, beta, dout, eps, mean, var, rmax, dmax):
    tx, tg, tb = t64(x, True), t64(gamma, True), t64(beta, True)
    mu, sigma = t64(mean), torch.sqrt(t64(var) + eps)
    mu_b, sigma_b = tx.mean(dim=0), torch.sqrt(tx.var(dim=0, unbiased=False) + eps)
    r = (sigma_b / sigma).clamp(1 / rmax, rmax).detach()
    d = ((mu_b - mu) / sigma).clamp(-dmax, dmax).detach()
    y = tg * ((tx - mu_b) / sigma_b * r + d) + tb
    (t64(dout) * y).sum().backward()
    return {"y": y.detach().numpy(), "dx": tx.grad.numpy(), "dgamma": tg.grad.numpy(), "dbeta": tb.grad.numpy(),
            "r": r.numpy(), "d": d.numpy()}


@pytest.mark.parametrize("rmax,dmax", [("3", "5"), ("1.2", "0.1"), ("1", "0")])
def test_renorm_json_has_r_and_d(capsys, rmax, dmax):
    doc = derive(capsys, "--norm", "renorm", "--m", "6", "--d", "4", "--seed", "5", "--rmax", rmax, "--dmax", dmax,
                 "--running-mean", "0.5", "--running-var", "2", "--gamma", GAMMA, "--beta", BETA)
    x, dout = np.array(doc["x"]), np.array(doc["dout"])
    ref = brn_reference(x, G4, B4, dout, 1e-5, np.full(4, 0.5), np.full(4, 2.0), float(rmax), float(dmax))
    check(doc, ref, paths=("xhat", "std", "mu"))
    np.testing.assert_allclose(doc["r"], ref["r"], rtol=TOL)
    np.testing.assert_allclose(doc["d"], ref["d"], rtol=TOL, atol=TOL)
    if rmax == "1":
        assert doc["r"] == [1.0] * 4 and doc["d"] == [0.0] * 4


def test_renorm_on_a_4d_tensor_is_per_channel(capsys, tensor):
    x, dout, xf, df = tensor
    doc = derive(capsys, "--norm", "renorm", "--x", xf, "--dout", df, "--gamma", GAMMA, "--beta", BETA)
    flat = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, 4)  # noqa: E731 - cells of a channel as rows
    ref = brn_reference(flat(x), G4, B4, flat(dout), 1e-5, np.zeros(4), np.ones(4), 3.0, 5.0)
    np.testing.assert_allclose(flat(np.array(doc["backward"]["dx"])), ref["dx"], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(doc["r"], ref["r"], rtol=TOL)
    assert len(doc["r"]) == 4


def test_renorm_in_test_mode_is_inference(capsys):
    doc = derive(capsys, "--norm", "renorm", "--mode", "test", "--running-mean", "0.2", "--running-var", "3")
    x = np.array(doc["x"])
    np.testing.assert_allclose(np.array(doc["forward"]["y"]), (x - 0.2) / np.sqrt(3 + 1e-5), rtol=TOL)
    assert doc["notes"] == [t("cli.norms.renorm_test", "en")]


@pytest.mark.parametrize("fmt", ["md", "tex", "ipynb"])
def test_family_exports_in_every_format(capsys, tensor, fmt):
    _, _, xf, df = tensor
    for args in (["--norm", "group", "--groups", "2", "--x", xf], ["--norm", "renorm"], ["--mode", "test"]):
        code, out, err = run(capsys, "derive", *args, "--format", fmt)
        assert code == 0 and err == "" and out


def test_4d_input_via_module(tensor):
    _, _, xf, _ = tensor
    proc = subprocess.run([sys.executable, "-m", "bnviz", "derive", "--norm", "instance", "--x", xf, "--lang", "zh"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["lang"] == "zh" and CJK.search(doc["steps"][0]["title"])


# ------------------------------------------------------------------- stats --


def test_stats_text_lists_every_convention(capsys):
    code, out, err = run(capsys, "stats", "--k", "5", "--d", "2")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == t("cli.stats.header", "en", k=5, m=8, mean="2", var="2.25")
    body = [ln.split() for ln in lines[3:]]
    names = ("cs231n", "PyTorch", "Keras/TensorFlow", "Caffe")
    assert [(row[0], row[2]) for row in body] == [(c, j) for c in names for j in ("1", "2")]


def caffe_rules(batches, fraction):
    """Caffe's blobs (Σμ, Σσ², s) after every batch, then Σ/s (as in its use_global_stats branch)."""
    s, smu, svar = 0.0, 0.0, 0.0
    m = batches.shape[1]
    for b in batches:
        s = s * fraction + 1
        smu = b.mean(axis=0) + fraction * smu
        svar = m / (m - 1) * b.var(axis=0) + fraction * svar
    return smu / s, svar / s


def test_stats_json_matches_torch_and_caffe(capsys):
    code, out, err = run(capsys, "stats", "--k", "7", "--m", "6", "--d", "3", "--seed", "9", "--pop-mean", "-1",
                         "--pop-std", "0.5", "--momentum-pytorch", "0.2", "--momentum-cs231n", "0.7",
                         "--lam-caffe", "0.95", "--format", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    batches = -1 + 0.5 * np.random.default_rng(9).standard_normal((7, 6, 3))
    bn = torch.nn.BatchNorm1d(3, momentum=0.2, dtype=torch.float64).train()
    for b in batches:
        bn(t64(b))
    conv = doc["conventions"]
    np.testing.assert_allclose(conv["pytorch"]["final"]["mean"], bn.running_mean.numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(conv["pytorch"]["final"]["var"], bn.running_var.numpy(), rtol=TOL, atol=TOL)
    mean, var = caffe_rules(batches, 0.95)
    np.testing.assert_allclose(conv["caffe"]["final"]["mean"], mean, rtol=TOL)
    np.testing.assert_allclose(conv["caffe"]["final"]["var"], var, rtol=TOL)
    cs_mean, cs_var = np.zeros(3), np.zeros(3)
    for b in batches:
        cs_mean, cs_var = 0.7 * cs_mean + 0.3 * b.mean(axis=0), 0.7 * cs_var + 0.3 * b.var(axis=0)
    np.testing.assert_allclose(conv["cs231n"]["final"]["var"], cs_var, rtol=TOL)
    assert np.shape(conv["cs231n"]["mean"]) == (7, 3) and doc["population"] == {"mean": -1.0, "var": 0.25}
    assert doc["page"] == "train_test" and doc["steps"]


def test_stats_markdown_is_the_lesson(capsys):
    code, out, err = run(capsys, "stats", "--format", "md", "--k", "3", "--lang", "zh")
    assert code == 0 and err == ""
    assert out.startswith(f"# {t('page.train_test.title', 'zh')}") and "$$" in out


# -------------------------------------------------------------- bad input --


def _files(tmp: Path) -> None:
    np.save(tmp / "cube.npy", np.zeros((2, 3, 4)))
    np.save(tmp / "x4.npy", np.random.default_rng(0).normal(size=(2, 4, 2, 2)))
    np.save(tmp / "d4.npy", np.zeros((2, 4, 2, 3)))
    np.save(tmp / "nan4.npy", np.full((2, 2, 2, 2), np.nan))
    np.save(tmp / "big4.npy", np.zeros((64, 16, 10, 10)))
    np.save(tmp / "const4.npy", np.ones((2, 2, 2, 2)))


BAD = {
    "groups do not divide C": (["derive", "--norm", "group", "--groups", "3", "--x", "{tmp}/x4.npy"],
                               "G = 3 groups cannot split C = 4"),
    "groups not a number": (["derive", "--norm", "group", "--groups", "two"], "--groups"),
    "groups above C": (["derive", "--norm", "group", "--groups", "5", "--d", "4"], "--groups = 5 is out of range"),
    "3-d input": (["derive", "--norm", "layer", "--x", "{tmp}/cube.npy"], "(2, 3, 4)"),
    "3-d input, plain derive": (["derive", "--x", "{tmp}/cube.npy"], "(2, 3, 4)"),
    "instance on 2-d": (["derive", "--norm", "instance"], "4-D input"),
    "negative running var": (["derive", "--mode", "test", "--running-var=-1"], "negative"),
    "negative running var in list": (["derive", "--mode", "test", "--d", "2", "--running-var", "1,-0.5"], "-0.5"),
    "running mean wrong length": (["derive", "--mode", "test", "--d", "3", "--running-mean", "1,2"],
                                  "--running-mean has 2 values"),
    "running var not a number": (["derive", "--mode", "test", "--running-var", "big"], "--running-var"),
    "rmax below 1": (["derive", "--norm", "renorm", "--rmax", "0.5"], "r_max = 0.5 is below 1"),
    "dmax negative": (["derive", "--norm", "renorm", "--dmax=-1"], "d_max = -1 is negative"),
    "rmax nan": (["derive", "--norm", "renorm", "--rmax", "nan"], "--rmax"),
    "renorm negative var": (["derive", "--norm", "renorm", "--running-var=-2"], "negative"),
    "4-d dout shape": (["derive", "--x", "{tmp}/x4.npy", "--dout", "{tmp}/d4.npy"], "∂L/∂y has shape (2, 4, 2, 3)"),
    "4-d nan": (["derive", "--x", "{tmp}/nan4.npy"], "NaN"),
    "4-d too big": (["derive", "--x", "{tmp}/big4.npy"], "at most"),
    "gamma per channel wrong length": (["derive", "--x", "{tmp}/x4.npy", "--gamma", "1,2"], "4 features"),
    "constant sets with eps 0": (["derive", "--norm", "instance", "--x", "{tmp}/const4.npy", "--eps", "0"],
                                 "ε = 0"),
    "unknown norm": (["derive", "--norm", "batchrenorm"], "invalid choice"),
    "unknown mode": (["derive", "--mode", "eval"], "invalid choice"),
    "stats k zero": (["stats", "--k", "0"], "--k = 0 is out of range"),
    "stats k too big": (["stats", "--k", "201"], "--k = 201"),
    "stats pop std zero": (["stats", "--pop-std", "0"], "standard deviation > 0"),
    "stats momentum above 1": (["stats", "--momentum-pytorch", "1.5"], "outside [0, 1]"),
    "stats lambda negative": (["stats", "--lam-caffe=-0.1"], "outside [0, 1]"),
    "stats m zero": (["stats", "--m", "0"], "--m = 0"),
    "stats format unknown": (["stats", "--format", "xml"], "invalid choice"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, name):
    _files(tmp_path)
    argv, fragment = BAD[name]
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2, err
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and err.endswith("\n")
    assert fragment in err, err


def test_errors_in_chinese(capsys, tmp_path):
    _files(tmp_path)
    code, out, err = run(capsys, "derive", "--lang", "zh", "--norm", "group", "--groups", "3", "--x",
                         str(tmp_path / "x4.npy"))
    assert code == 2 and err.startswith("错误：") and CJK.search(err.removeprefix("错误："))
    assert err.strip() == t("cli.error", "zh", message=t("error.norms.groups", "zh", groups=3, c=4))


def test_help_lists_the_family_options(capsys):
    assert cli.main(["derive", "--help"]) == 0
    out = capsys.readouterr().out
    for opt in ("--norm", "--groups", "--mode", "--running-mean", "--running-var", "--rmax", "--dmax"):
        assert opt in out
    assert cli.main(["--help"]) == 0
    assert "stats" in capsys.readouterr().out
