"""Switch a path off: the removed parts against PyTorch autograd, ablated = true − part exactly,
the finite-difference check of the true loss failing by the removed part's size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bnviz import ablation, gradcheck
from bnviz.data import Problem
from bnviz.i18n import InputError

TOL = 1e-10


def _problem(seed: int, m: int = 6, d: int = 3, eps: float = 1e-5) -> Problem:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.5, 2.0, (m, d))
    return Problem(x, rng.normal(size=(m, d)), rng.normal(1.0, 0.3, d), rng.normal(size=d), eps)


def _torch_grad(p: Problem, removed: str | None) -> np.ndarray:
    """Autograd on BN with the other routes detached: what reaches x along one route only.

    removed=None: the true gradient, through torch's own F.batch_norm."""
    x = torch.tensor(p.x, dtype=torch.float64, requires_grad=True)
    g, b = (torch.tensor(v, dtype=torch.float64) for v in (p.gamma, p.beta))
    dout = torch.tensor(p.dout, dtype=torch.float64)
    if removed is None:
        y = F.batch_norm(x, None, None, g, b, training=True, eps=p.eps)
    else:
        xd = x.detach()
        mu_full = x.mean(0)
        if removed == "xhat":  # only x → (x − μ) → x̂
            xc_hat, xc_var = x - mu_full.detach(), (xd - mu_full.detach())
        elif removed == "var":  # only x → (x − μ) → σ²
            xc_hat, xc_var = xd - mu_full.detach(), x - mu_full.detach()
        elif removed == "mu":  # only x → μ, then on through x̂ and σ²
            xc_hat, xc_var = xd - mu_full, xd - mu_full
        else:  # mu_via_var: only x → μ → (x − μ) → σ²
            xc_hat, xc_var = xd - mu_full.detach(), xd - mu_full
        var = (xc_var ** 2).mean(0)
        y = g * xc_hat / torch.sqrt(var + p.eps) + b
    (y * dout).sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_true_gradient_and_parts_match_torch(seed):
    p = _problem(seed)
    true = _torch_grad(p, None)
    for name in ablation.ABLATIONS:
        a = ablation.ablate(p, name)
        np.testing.assert_allclose(a.dx_true, true, atol=TOL, rtol=0)
        np.testing.assert_allclose(a.part, _torch_grad(p, name), atol=TOL, rtol=0)
    parts = sum(ablation.ablate(p, n).part for n in ("xhat", "var", "mu"))
    np.testing.assert_allclose(parts, true, atol=TOL, rtol=0)


@pytest.mark.parametrize("name", ablation.ABLATIONS)
def test_ablated_is_true_minus_part_exactly(name):
    a = ablation.ablate(_problem(3), name)
    assert np.array_equal(a.dx, a.dx_true - a.part)
    assert a.dx.shape == a.part.shape == (6, 3)


@pytest.mark.parametrize("seed", [0, 4])
def test_mu_via_var_is_zero(seed):
    p = _problem(seed, m=9, d=4)
    a = ablation.ablate(p, "mu_via_var")
    assert np.max(np.abs(a.part)) < 1e-12
    assert np.max(np.abs(ablation.dmu_via_var(ablation.bn.bn_run(p.x, p.gamma, p.beta, p.dout, p.eps)))) < 1e-12
    assert a.harmless and a.passed
    assert a.rel_error < gradcheck.THRESHOLD


@pytest.mark.parametrize("name", ["xhat", "var", "mu"])
def test_gradient_check_fails_by_the_removed_part(name):
    p = _problem(5)
    a = ablation.ablate(p, name)
    rows, cols = np.array(a.entries).T
    assert not a.harmless and not a.passed
    assert a.rel_error > 1e-3
    assert a.rel_error_true < gradcheck.THRESHOLD
    # the difference to the slope of the true loss is the removed part, up to the FD error
    np.testing.assert_allclose(a.numeric - a.dx[rows, cols], a.part[rows, cols], atol=1e-8, rtol=0)
    assert a.size > 1e-3


def test_sum_over_samples():
    p = _problem(6)
    got = {n: ablation.ablate(p, n) for n in ablation.ABLATIONS}
    for a in got.values():
        assert np.max(np.abs(a.sum_true)) < 1e-12
    # σ²'s path sums to 0 by itself (Σ(x − μ) = 0); without μ's or x̂'s the sum is no longer 0
    assert np.max(np.abs(got["var"].sum)) < 1e-12
    assert np.max(np.abs(got["mu"].sum)) > 1e-3
    np.testing.assert_allclose(got["mu"].sum, -got["mu"].part.sum(axis=0), atol=TOL)
    np.testing.assert_allclose(got["xhat"].sum, -got["mu"].sum, atol=TOL)


def test_json_record_and_bad_name():
    a = ablation.ablate(_problem(7), "var")
    rec = a.as_json()
    assert rec["removed"] == "var"
    assert np.array_equal(np.array(rec["dx"]), a.dx)
    assert rec["rel_error"] == a.rel_error
    with pytest.raises(InputError) as err:
        ablation.ablate(_problem(7), "gamma")
    assert err.value.key == "error.learn.ablate"


def test_lesson_text_and_figure():
    import plotly.graph_objs as go

    from bnviz.figures.ablation import dx_compare

    p = _problem(8)
    for lang in ("en", "zh"):
        harmless = ablation.ablate(p, "mu_via_var")
        assert f"{harmless.rel_error:.2e}" in ablation.verdict(harmless, lang)
        broken = ablation.ablate(p, "mu")
        cols = ablation.columns(broken, lang)
        assert len(next(iter(cols.values()))) == 5
        assert f"{broken.size:.2e}" in ablation.verdict(broken, lang)
        assert ablation.verdict(broken, lang) != ablation.verdict(harmless, lang)
    a = ablation.ablate(p, "var")
    fig = dx_compare(a.dx_true[:, 0], a.dx[:, 0], "var", {"true": "t", "ablated": "a"}, "title", "i")
    go.Figure(fig)
    assert fig["data"][1]["y"] == a.dx[:, 0].tolist()


def test_the_graph_lesson_carries_the_ablation():
    import json

    from bnviz import export
    from bnviz.data import make_problem
    from bnviz.lessons.graph import walkthrough
    from bnviz.settings import Settings

    s = Settings(seed=2)
    plain = walkthrough(s, "en")
    assert "ablation" not in [tb.key for tb in plain.tables]
    walk = walkthrough(s, "zh", ablate="var")
    table = next(tb for tb in walk.tables if tb.key == "ablation")
    ab = ablation.ablate(make_problem(s), "var")
    assert table.intro == ablation.verdict(ab, "zh") and table.columns == ablation.columns(ab, "zh")
    assert walk.settings["ablate"] == "var"
    assert ablation.verdict(ab, "zh") in export.render(walk, "md")
    assert json.loads(export.render(walk, "json"))["settings"]["ablate"] == "var"
    assert "ablation" not in [tb.key for tb in walkthrough(s, "en", norm="layer", ablate="var").tables]
