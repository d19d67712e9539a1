"""``python -m bnviz fold | sync | convert``: results against PyTorch / independent arithmetic;
bad input is exit status 2 and exactly one line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from bnviz import cli

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def save(tmp_path: Path, name: str, a) -> str:
    path = tmp_path / name
    np.save(path, np.asarray(a))
    return str(path)


def fold_files(tmp_path, w, n, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {"b": rng.standard_normal(n), "gamma": 1 + 0.3 * rng.standard_normal(n), "beta": rng.standard_normal(n),
              "running-mean": rng.standard_normal(n), "running-var": rng.uniform(0.2, 2.0, n)}
    args = ["--w", save(tmp_path, "w.npy", w)]
    for k, v in arrays.items():
        args += [f"--{k}", save(tmp_path, f"{k}.npy", v)]
    return args, arrays


@pytest.mark.parametrize("layer", ["affine", "conv"])
def test_fold_prints_w_and_b_that_reproduce_bn_after_the_layer(capsys, tmp_path, layer):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3)) if layer == "affine" else rng.standard_normal((3, 2, 3, 3))
    args, a = fold_files(tmp_path, w, 3)
    code, out, err = run(capsys, "fold", *args, "--eps", "1e-3", "--format", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    wf, bf = np.array(doc["w"]), np.array(doc["b"])
    assert wf.shape == w.shape and bf.shape == (3,) and doc["layer"] == layer
    rm, rv, g, be = (torch.tensor(a[k]) for k in ("running-mean", "running-var", "gamma", "beta"))
    if layer == "affine":
        x = torch.tensor(rng.standard_normal((5, 4)))
        z = tF.linear(x, torch.tensor(w.T), torch.tensor(a["b"]))
        folded = tF.linear(x, torch.tensor(wf.T), torch.tensor(bf))
    else:
        x = torch.tensor(rng.standard_normal((2, 2, 5, 5)))
        z = tF.conv2d(x, torch.tensor(w), torch.tensor(a["b"]))
        folded = tF.conv2d(x, torch.tensor(wf), torch.tensor(bf))
    ref = tF.batch_norm(z, rm, rv, g, be, training=False, eps=1e-3)
    np.testing.assert_allclose(folded.numpy(), ref.numpy(), rtol=0, atol=1e-12)


def test_sync_prints_per_device_and_synchronized_bn(capsys, tmp_path):
    rng = np.random.default_rng(4)
    x, dout = rng.standard_normal((8, 3)), rng.standard_normal((8, 3))
    code, out, err = run(capsys, "sync", "--x", save(tmp_path, "x.npy", x), "--dout", save(tmp_path, "d.npy", dout),
                         "--devices", "4", "--format", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert len(doc["devices"]) == 4
    for dev, xs, ds in zip(doc["devices"], np.split(x, 4), np.split(dout, 4), strict=True):
        xt = torch.tensor(xs, requires_grad=True)
        tF.batch_norm(xt, None, None, training=True, eps=1e-5).backward(torch.tensor(ds))
        np.testing.assert_allclose(dev["mean"], xs.mean(axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(dev["var"], xs.var(axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(dev["dx"], xt.grad.numpy(), rtol=0, atol=1e-10)
    xt = torch.tensor(x, requires_grad=True)
    tF.batch_norm(xt, None, None, training=True, eps=1e-5).backward(torch.tensor(dout))
    np.testing.assert_allclose(doc["sync"]["dx"], xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(doc["sync"]["mean"], x.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(doc["sync"]["var"], x.var(axis=0), rtol=0, atol=1e-12)


def test_convert_prints_one_object_per_framework(capsys):
    code, out, err = run(capsys, "convert", "--from", "keras", "--momentum", "0.99", "--eps", "0.001",
                         "--format", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert set(doc) == {"pytorch", "keras", "cs231n", "caffe"}
    assert doc["pytorch"]["momentum"] == pytest.approx(0.01, abs=1e-15) and doc["cs231n"]["momentum"] == 0.99
    assert all(v["eps"] == 0.001 for v in doc.values())
    assert doc["keras"]["cannot_match"] == [] and len(doc["pytorch"]["cannot_match"]) == 1
    code, out, _ = run(capsys, "convert", "--from", "keras", "--momentum", "0.99", "--lang", "zh")
    assert "无偏" in json.loads(out)["pytorch"]["cannot_match"][0]


def _bad(tmp_path):
    x = save(tmp_path, "x.npy", np.ones((6, 2)))
    x3 = save(tmp_path, "x3.npy", np.ones((6, 2, 1)))
    w = save(tmp_path, "w.npy", np.ones((2, 3)))
    v3, v2 = save(tmp_path, "v3.npy", np.ones(3)), save(tmp_path, "v2.npy", np.ones(2))
    neg = save(tmp_path, "neg.npy", -np.ones(3))
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    fold = ["fold", "--w", w, "--b", v3, "--gamma", v3, "--beta", v3, "--running-mean", v3]
    return [
        [*fold, "--running-var", neg],
        [*fold, "--running-var", v2],
        [*fold, "--running-var", str(tmp_path / "junk.npy")],
        [*fold, "--running-var", str(tmp_path / "missing.npy")],
        [*fold, "--running-var", v3, "--eps", "nan"],
        ["fold", "--w", v3, "--b", v3, "--gamma", v3, "--beta", v3, "--running-mean", v3, "--running-var", v3],
        ["sync", "--x", x, "--dout", x, "--devices", "4"],
        ["sync", "--x", x, "--dout", x, "--devices", "nine"],
        ["sync", "--x", x, "--dout", x, "--devices", "9"],
        ["sync", "--x", x3, "--dout", x, "--devices", "2"],
        ["sync", "--x", x, "--dout", x, "--devices", "2", "--eps", "0"],
        ["convert", "--from", "mxnet", "--momentum", "0.9"],
        ["convert", "--from", "keras", "--momentum", "2"],
        ["convert", "--from", "keras", "--momentum", "0.9", "--eps", "-1"],
    ]


def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    for args in _bad(tmp_path):
        code, out, err = run(capsys, *args)
        assert code == 2, args
        assert out == "" and err.count("\n") == 1 and err.startswith("error:"), (args, err)


def test_as_a_process(tmp_path):
    args = _bad(tmp_path)[0]
    proc = subprocess.run([sys.executable, "-m", "bnviz", *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == "" and len(proc.stderr.splitlines()) == 1
