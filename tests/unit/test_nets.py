"""bnviz.nets and the why-BN lessons: gradient checks of the whole network, the PyTorch twin
(tests/oracles/torch_nets.py) as the oracle for training, its running averages and the ablated backward,
the reproductions' directions, the figures, and every step's code.

Finite differences use a fourth-order centred stencil written as differences
(8(f₊₁ − f₋₁) − (f₊₂ − f₋₂)) / 12h, so a loss that does not change at all gives
exactly 0. Relative errors are cs231n's: max |a − b| / max(1e-8, |a| + |b|).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import plotly.graph_objs as go
import pytest
import torch
import torch.nn.functional as F

from bnviz import nets
from bnviz.figures import chain, histograms, training
from bnviz.figures import nets as figs
from bnviz.figures import saturation as sat_figs
from bnviz.i18n import InputError
from bnviz.lessons import experiments, network, saturation, upstream
from bnviz.ops import layers
from bnviz.settings import Settings
from tests.oracles import torch_nets


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def fd_grads(params: dict, x: np.ndarray, y: np.ndarray, cfg: nets.NetConfig, h: float) -> dict:
    def loss() -> float:
        return nets.loss_and_grads(params, x, y, cfg)[0]

    out = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            f = {}
            for d in (2, 1, -1, -2):
                p[i] = old + d * h
                f[d] = loss()
            p[i] = old
            g[i] = (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * h)
        out[name] = g
    return out


def small_net(act: str, bn: bool, seed: int) -> tuple[dict, np.ndarray, np.ndarray, nets.NetConfig]:
    """A 6 → 7 → 5 → 4 network on 8 random samples, γ, β and biases away from their initial values."""
    rng = np.random.default_rng(100 + seed)
    x, y = rng.standard_normal((8, 6)), rng.integers(0, 4, 8)
    cfg = nets.NetConfig(hidden=(7, 5), activation=act, bn=bn, weight_scale=None, seed=seed)
    params = nets.init_params(cfg, 6, 4)
    for k in params:
        if k.startswith("gamma"):
            params[k] = rng.uniform(0.5, 1.5, params[k].shape)
        elif k.startswith(("beta", "b")):
            params[k] = 0.3 * rng.standard_normal(params[k].shape)
    return params, x, y, cfg


def kink_free(act: str, bn: bool) -> tuple[dict, np.ndarray, np.ndarray, nets.NetConfig]:
    """The first seed whose ReLU inputs all stay ≥ 5e-3 away from the kink at 0 (a nudge of h = 1e-4
    cannot cross it); sigmoid networks are smooth, seed 0."""
    for seed in range(50):
        params, x, y, cfg = small_net(act, bn, seed)
        pre = nets.forward(params, x, cfg, y).pre
        if act == "sigmoid" or min(np.abs(a).min() for a in pre) > 5e-3:
            return params, x, y, cfg
    raise AssertionError("no kink-free seed among 50")


# --------------------------------------------------------- gradient check --


@pytest.mark.parametrize("bn", [False, True], ids=["baseline", "bn"])
@pytest.mark.parametrize("act", ["relu", "sigmoid"])
def test_whole_network_gradient_check(act, bn):
    params, x, y, cfg = kink_free(act, bn)
    loss, grads = nets.loss_and_grads(params, x, y, cfg)
    assert set(grads) == set(params)
    numeric = fd_grads(params, x, y, cfg, h=1e-4 if act == "relu" else 1e-3)
    for name, g in grads.items():
        err = rel_error(numeric[name], g)
        if name.startswith("W"):
            assert err <= 1e-4, (name, err)
        elif name.startswith(("gamma", "beta")):
            assert err <= 1e-8, (name, err)
        else:
            assert err <= 1e-6, (name, err)
    assert ("gamma1" in grads) == bn and ("b1" in grads) != bn  # no bias before BN


# ---------------------------------------------------------------- PyTorch --


def oracle_run(cfg: nets.NetConfig, steps: int, eval_at: tuple[int, ...] = ()) -> torch_nets.TorchRun:
    """The PyTorch twin from bnviz's initial weights and batch order, passed as plain data."""
    data = nets.digits().subset(cfg.train_samples)
    params = nets.init_params(cfg, data.x_train.shape[1], data.classes)
    order = nets.batch_indices(len(data.y_train), cfg.batch, steps, cfg.seed)
    return torch_nets.train(params, order, data.x_train, data.y_train, activation=cfg.activation, eps=cfg.eps,
                            momentum=cfg.momentum, optimizer=cfg.optimizer, lr=cfg.lr, x_val=data.x_val,
                            y_val=data.y_val, eval_at=eval_at)


@pytest.mark.parametrize("bn", [False, True], ids=["baseline", "bn"])
@pytest.mark.parametrize("act", ["relu", "sigmoid"])
def test_first_20_training_losses_match_pytorch(act, bn):
    cfg = nets.NetConfig(activation=act, bn=bn, weight_scale=5e-2, lr=3e-3)
    ours = np.array(nets.numpy_losses(cfg, 20))
    theirs = np.array(oracle_run(cfg, 20).losses)
    assert ours.shape == (20,)
    # Adam divides by √v + 1e-8: rounding differences of 1e-16 in a gradient near 0 grow, so 1e-8, not 1e-10
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8)
    assert ours[-1] < ours[0]  # it learns


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_training_records_and_running_averages_match_pytorch(optimizer):
    """train(): every step's loss, the validation loss and accuracy at each record (test mode, with the running
    averages kept by the stated rule) and the final running averages, against the twin."""
    cfg = nets.NetConfig(hidden=(30, 20), steps=12, record_every=4, samples=0, optimizer=optimizer,
                         lr=1e-3 if optimizer == "adam" else 0.1, weight_scale=5e-2)
    p = nets.run(cfg)
    theirs = oracle_run(cfg, 12, eval_at=tuple(range(0, 13, 4)))
    h = p.history
    assert h.steps == [0, 4, 8, 12]
    np.testing.assert_allclose(h.val_loss, [theirs.evals[s][0] for s in h.steps], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(h.val_acc, [theirs.evals[s][1] for s in h.steps])
    # a record's train loss is the mean of the step losses since the previous record
    np.testing.assert_allclose(h.train_loss[1:], np.reshape(theirs.losses, (3, 4)).mean(axis=1), rtol=0, atol=1e-9)
    assert set(p.running) == set(theirs.running) == {"mean1", "var1", "mean2", "var2"}
    for k, v in theirs.running.items():
        np.testing.assert_allclose(p.running[k], v, rtol=1e-9, atol=1e-12, err_msg=k)


def test_running_averages_start_from_the_first_batch():
    """After the step-0 record, before any update, the averages are the first batch's mean and biased variance."""
    cfg = nets.NetConfig(hidden=(6,), steps=3, record_every=3, samples=0)
    gen = nets.train(cfg)
    first = next(gen)
    gen.close()
    data = nets.digits()
    idx = nets.batch_indices(len(data.y_train), cfg.batch, 1, cfg.seed)[0]
    z = torch.tensor(data.x_train[idx]) @ torch.tensor(nets.init_params(cfg)["W1"])
    np.testing.assert_allclose(first.running["mean1"], z.mean(dim=0).numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(first.running["var1"], z.var(dim=0, unbiased=False).numpy(), rtol=1e-10)


# -------------------------------------------------------------- ablation --


@pytest.mark.parametrize("m", [2, 5, 16])
def test_bn_path_terms_match_pytorch_paths_and_ablation_removes_exactly_one(rng, m):
    x = 3 * rng.standard_normal((m, 4)) + 1
    gamma, beta, dout = rng.uniform(0.5, 2, 4), rng.standard_normal(4), rng.standard_normal((m, 4))
    _, cache = layers.batchnorm_forward(x, gamma, beta, 1e-5)
    theirs = torch_nets.bn_path_terms(x, gamma, beta, dout, 1e-5)
    ours = nets.path_terms(dout, cache)
    assert set(ours) == set(nets.ABLATIONS)
    for name in ("xhat", "var", "mu"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-10, atol=1e-12, err_msg=name)
    assert np.abs(ours["mu_via_var"]).max() < 1e-12 and np.abs(theirs["mu_via_var"]).max() < 1e-12
    for name in nets.ABLATIONS:
        broken, true = nets.ablated_dx(dout, cache, name)
        np.testing.assert_allclose(true, theirs["dx"], rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(broken, true - ours[name])
        np.testing.assert_allclose(broken, theirs["dx"] - theirs[name], rtol=1e-9, atol=1e-11)
    # without the μ path, Σᵢ ∂L/∂xᵢ is no longer 0
    np.testing.assert_allclose(nets.ablated_dx(dout, cache, "xhat")[1].sum(axis=0), 0, atol=1e-12)
    assert np.abs(nets.ablated_dx(dout, cache, "mu")[0].sum(axis=0)).max() > 1e-3


@pytest.mark.parametrize("ablate", ["xhat", "var", "mu", "mu_via_var"])
def test_network_with_an_ablated_backward(ablate, rng):
    """One BN layer: ∂L/∂W₁ = Xᵀ(dz − removed term), with dz and the term from torch's autograd."""
    cfg = nets.NetConfig(hidden=(5,), activation="sigmoid", bn=True, weight_scale=0.5, seed=3, ablate=ablate)
    params = nets.init_params(cfg, 6, 4)
    params["gamma1"] = rng.uniform(0.5, 1.5, 5)
    params["beta1"] = 0.3 * rng.standard_normal(5)
    x, y = rng.standard_normal((8, 6)), rng.integers(0, 4, 8)
    _, grads = nets.loss_and_grads(params, x, y, cfg)
    _, true = nets.loss_and_grads(params, x, y, replace(cfg, ablate=None))
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    z = (torch.tensor(x) @ t["W1"]).detach().requires_grad_(True)
    a = F.batch_norm(z, None, None, t["gamma1"], t["beta1"], training=True, eps=cfg.eps)
    a.retain_grad()
    F.cross_entropy(torch.sigmoid(a) @ t["W2"] + t["b2"], torch.tensor(y)).backward()
    terms = torch_nets.bn_path_terms(z.detach().numpy(), params["gamma1"], params["beta1"], a.grad.numpy(), cfg.eps)
    np.testing.assert_allclose(true["W1"], x.T @ terms["dx"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads["W1"], x.T @ (terms["dx"] - terms[ablate]), rtol=1e-9, atol=1e-12)
    for k in ("W2", "b2", "gamma1", "beta1"):  # only what lies below BN changes
        np.testing.assert_array_equal(grads[k], true[k])
    # the finite-difference check of the true loss passes for the true gradient and fails by the removed term
    numeric = fd_grads(params, x, y, replace(cfg, ablate=None), h=1e-3)["W1"]
    assert rel_error(numeric, true["W1"]) < 1e-7
    removed = x.T @ terms[ablate]
    np.testing.assert_allclose(numeric - grads["W1"], removed, rtol=0, atol=1e-8)
    if ablate == "mu_via_var":
        np.testing.assert_allclose(grads["W1"], true["W1"], rtol=0, atol=1e-12)
        assert rel_error(numeric, grads["W1"]) < 1e-7  # harmless: the term is 0
    else:
        assert np.abs(grads["W1"] - true["W1"]).max() > 1e-6
        assert rel_error(numeric, grads["W1"]) > 1e-3


def test_training_with_a_broken_backward_runs():
    cfg = nets.NetConfig(hidden=(20, 20), steps=20, record_every=10, samples=0, ablate="xhat")
    broken, true = nets.run(cfg), nets.run(replace(cfg, ablate=None))
    assert broken.done and len(broken.history.val_acc) == 3
    assert broken.history.train_loss[-1] != true.history.train_loss[-1]
    with pytest.raises(InputError):
        nets.check_config(replace(cfg, ablate="gamma"))


def test_adam_matches_torch_optim_on_a_quadratic(rng):
    w0, target = rng.standard_normal(5), rng.standard_normal(5)
    w, opt = w0.copy(), nets.Adam(0.1)
    tw = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.1)
    for _ in range(30):
        opt.step(w, 2 * (w - target) * np.arange(1, 6))
        topt.zero_grad()
        (((tw - torch.tensor(target)) ** 2) * torch.arange(1, 6)).sum().backward()
        topt.step()
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------- data, loop --


def test_digits_split_is_fixed_standardised_and_disjoint():
    d = nets.digits()
    assert d.x_train.shape == (1437, 64) and d.x_val.shape == (360, 64)
    assert set(np.unique(d.y_train)) == set(range(10)) == set(np.unique(d.y_val))
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-12)
    rows = {r.tobytes() for r in d.x_train}
    assert sum(r.tobytes() in rows for r in d.x_val) < 5  # digits has a handful of duplicate images
    nets.digits.cache_clear()
    again = nets.digits()
    np.testing.assert_array_equal(again.x_val, d.x_val)
    assert d.subset(1000).x_train.shape == (1000, 64) and d.subset(0) is d


def test_batch_indices_are_epoch_permutations():
    idx = nets.batch_indices(103, 10, 25, seed=4)
    assert idx.shape == (25, 10)
    per_epoch = 10
    for e in range(2):
        block = idx[e * per_epoch:(e + 1) * per_epoch].ravel()
        assert len(set(block.tolist())) == 100  # no sample twice within an epoch
    np.testing.assert_array_equal(idx, nets.batch_indices(103, 10, 25, seed=4))


def test_training_yields_records_and_can_stop_early():
    cfg = nets.NetConfig(hidden=(20, 20), steps=40, record_every=10, samples=50)
    gen = nets.train(cfg)
    seen = [next(gen) for _ in range(3)]
    gen.close()  # the page's Stop: no more iteration
    assert [p.step for p in seen] == [0, 10, 20]
    h = seen[-1].history
    assert h.steps == [0, 10, 20] and len(h.val_acc) == 3 and not seen[-1].done
    assert np.asarray(h.pre).shape == (3, 2, 50) and np.asarray(h.dpre).shape == (3, 2, 50)
    assert np.asarray(h.saturation).shape == (3, 2) and np.asarray(h.grad_ratio).shape == (3, 3)
    assert np.asarray(h.layer_pct).shape == (3, 2, 3) and np.asarray(h.unit_pct).shape == (3, 3)
    full = nets.run(cfg)
    assert full.done and full.history.steps == [0, 10, 20, 30, 40]
    np.testing.assert_array_equal(full.history.val_acc[:3], h.val_acc)


def test_train_together_interleaves_and_finishes_both():
    cfgs = {"baseline": nets.NetConfig(hidden=(10,), bn=False, steps=20, record_every=5, samples=0),
            "bn": nets.NetConfig(hidden=(10,), bn=True, steps=20, record_every=5, samples=0)}
    *_, last = nets.train_together(cfgs)
    assert set(last) == {"baseline", "bn"} and all(p.done for p in last.values())


def test_a_non_finite_loss_stops_training_as_diverged():
    d = nets.digits()
    bad = nets.Digits(np.full_like(d.x_train, np.nan), d.y_train, d.x_val, d.y_val)
    p = nets.run(nets.NetConfig(hidden=(5,), steps=10, record_every=5, samples=0, bn=False), bad)
    assert p.diverged and p.done and p.step == 0


@pytest.mark.parametrize("change", [
    {"activation": "tanh"}, {"optimizer": "rmsprop"}, {"steps": 0}, {"batch": 1}, {"lr": -1.0},
    {"lr": float("nan")}, {"hidden": ()}, {"hidden": (100,) * 9}, {"hidden": (0,)}, {"weight_scale": 0.0},
])
def test_bad_configs_are_input_errors(change):
    with pytest.raises(InputError):
        nets.check_config(replace(nets.NetConfig(), **change))


def test_dead_units_and_saturation_shares():
    pre = [np.array([[-1.0, 2.0], [-0.5, -3.0]]), np.array([[0.0, 10.0], [0.0, -10.0]])]
    np.testing.assert_allclose(nets.saturation_share(pre, "relu"), [0.5, 0.5])
    np.testing.assert_allclose(nets.saturation_share(pre, "sigmoid"), [0.0, 0.5])
    assert nets.record_every(500) == 10 and nets.record_every(20) == 1
    assert nets.percentile_drift(np.array([[0.0, 1, 2], [1, 1, 2], [-1, 3, 2]])) == pytest.approx(1.0)


# ---------------------------------------------------------- reproductions --


def test_fig1_bn_trains_faster_and_its_sigmoid_input_drifts_less():
    """The page's default Figure 1 (2,000 SGD steps, seed 0)."""
    res = nets.finish(nets.fig1())
    base, bn = res["baseline"], res["bn"]
    k = len(bn["steps"]) // 10  # after 10% of training
    assert bn["val_acc"][k] > base["val_acc"][k] + 0.3
    assert bn["val_acc"][-1] >= base["val_acc"][-1] - 0.01
    assert nets.percentile_drift(bn["unit_pct"]) < 0.5 * nets.percentile_drift(base["unit_pct"])


def test_weight_scale_sweep_bn_is_robust_to_the_initial_scale():
    res = nets.finish(nets.weight_scale_sweep([1e-3, 1e-2, 1e-1, 1.0], epochs=2))
    base, bn = res["baseline"]["val_acc"], res["bn"]["val_acc"]
    assert np.all(np.isfinite(base)) and np.all(np.isfinite(bn))
    assert bn.mean() > base.mean() + 0.15
    assert (bn >= base).sum() >= 3
    assert res["baseline"]["train_acc"].shape == (4,)


def test_batch_size_sweep_bn_beats_the_baseline_at_every_batch_size():
    res = nets.finish(nets.batch_size_sweep((5, 10, 50), epochs=2))
    runs = res["runs"]
    assert set(runs) == {"baseline:5", "bn:5", "bn:10", "bn:50"}
    base = runs["baseline:5"]["val_acc"][-1]
    for b in (5, 10, 50):
        assert runs[f"bn:{b}"]["val_acc"][-1] > base + 0.2
        np.testing.assert_allclose(runs[f"bn:{b}"]["epochs"], [0, 1, 2])


def test_weight_sweep_runs_are_the_sweeps_networks():
    runs = nets.weight_sweep_runs([1e-2, 1e-1], epochs=1, seed=4)
    assert [name for name, _ in runs] == ["baseline:0", "bn:0", "baseline:1", "bn:1"]
    assert [(c.weight_scale, c.bn, c.steps, c.seed) for _, c in runs] == [
        (1e-2, False, 20, 4), (1e-2, True, 20, 4), (1e-1, False, 20, 4), (1e-1, True, 20, 4)]
    np.testing.assert_allclose(nets.default_scales()[[0, -1]], [1e-4, 1.0])


# ---------------------------------------------------------------- figures --


@pytest.fixture(scope="module")
def trained() -> dict[str, nets.Progress]:
    out = {}
    for name, bn in (("baseline", False), ("bn", True)):
        out[name] = nets.run(nets.NetConfig(hidden=(20, 20, 20), bn=bn, steps=30, record_every=10, samples=40,
                                            weight_scale=2e-2))
    return out


def test_network_figures_are_valid_plotly(trained):
    names = {"baseline": "no BN", "bn": "BN"}
    h = {k: p.history for k, p in trained.items()}
    curves = {k: {f: getattr(v, f) for f in ("steps", "train_loss", "val_loss", "train_acc", "val_acc")}
              for k, v in h.items()}
    fig = training.training_curves(curves, names, {k: k for k in ("loss", "accuracy", "steps", "train", "val")})
    go.Figure(fig)
    assert len(fig["data"]) == 8
    hist = histograms.histogram_frames({k: v.pre for k, v in h.items()}, h["bn"].steps, names, ["1", "2", "3"],
                                       "t", "step", "play")
    go.Figure(hist)
    assert len(hist["frames"]) == 4 and len(hist["data"]) == 6
    # each frame's bars are that record's histogram, as shares of the samples
    last = hist["frames"][-1]["data"][0]["y"]
    assert sum(last) == pytest.approx(1.0, abs=1e-3)
    steps = {k: np.asarray(v.steps) for k, v in h.items()}
    go.Figure(training.layer_panels(steps, {k: np.asarray(v.saturation) for k, v in h.items()}, names,
                                    ["1", "2", "3"], "t", "x", "y", percent=True))
    ratio = training.layer_panels(steps, {k: np.asarray(v.grad_ratio) for k, v in h.items()}, names,
                                  ["1", "2", "3", "4"], "t", "x", "y", log_y=True)
    go.Figure(ratio)
    assert ratio["layout"]["yaxis"]["type"] == "log"


def test_saturation_figures_agree_with_the_numbers():
    walk = saturation.walkthrough(Settings())
    v = {k: a for s in walk.steps for k, a in s.values.items()}
    z = float(v["z_tau"])
    names = [f"b{k}" for k in range(4)]
    fig = sat_figs.saturation_figure(v["xs"], names, z, "t", "x", "y",
                                     {k: k for k in ("normal", "sigmoid", "dsigmoid", "saturated")})
    go.Figure(fig)
    shaded = sorted((s["x0"], s["x1"]) for s in fig["layout"]["shapes"])
    assert shaded[0][1] == pytest.approx(-z) and shaded[1][0] == pytest.approx(z)
    # the shares in the numbers are the shares of σ'(x) < τ, i.e. of the shaded region
    np.testing.assert_allclose(v["share_before"], (layers.sigmoid_grad(v["xs"]) < v["tau"]).mean(axis=0))
    np.testing.assert_allclose(v["share_after"], (layers.sigmoid_grad(v["xbn"]) < v["tau"]).mean(axis=0))
    bars = sat_figs.share_bars(names, v["share_before"], v["share_after"], ("before", "after"), "t", "y")
    go.Figure(bars)
    np.testing.assert_allclose(bars["data"][0]["y"], v["share_before"])


def test_other_figures_are_valid_plotly(rng):
    go.Figure(training.curves([{"x": [1e-3, 1e-2], "y": [0.1, np.nan], "name": "a"}], "t", "x", "y", log_x=True,
                              percent=True))
    go.Figure(training.percentile_figure({"bn": np.arange(3)}, {"bn": rng.standard_normal((3, 3))}, {"bn": "BN"},
                                         "t", "x", "y", ["15", "50", "85"]))
    for backward in (False, True):
        fig = chain.chain_figure(upstream.NODES, ("BN",), backward, {"affine": "仿射"})
        go.Figure(fig)
        assert "仿射" in fig["data"][0]["text"]
    go.Figure(figs.matrix_heatmap(rng.standard_normal((3, 4)), "t", "x", "y"))
    digits = figs.digit_images(rng.standard_normal((3, 64)), [1, 2, 3], "t")
    go.Figure(digits)
    assert np.asarray(digits["data"][0]["z"], dtype=float).shape == (8, 26)
    assert [a["text"] for a in digits["layout"]["annotations"]] == ["1", "2", "3"]
    go.Figure(figs.matrix_heatmap(rng.standard_normal(4), "t", "x", "y"))
    many = rng.standard_normal((16, 64))
    two_rows = figs.digit_images(many, list(range(16)), "t")
    go.Figure(two_rows)
    z = np.asarray(two_rows["data"][0]["z"], dtype=float)
    assert z.shape == (28, 53)  # 3 rows of 6 (a 2-pixel gap between rows, 1 between images)
    np.testing.assert_allclose(z[10:18, 27:35], many[9].reshape(8, 8).round(3))  # image 9: row 1, column 3
    assert [a["y"] > 8 for a in two_rows["layout"]["annotations"]] == [False] * 6 + [True] * 10  # rows of 6


# ---------------------------------------------------------------- lessons --


def run_code(walk) -> None:
    """Run the walkthrough's setup and each step's code; every value must come out the same."""
    ns: dict = {}
    exec(walk.setup, ns)  # noqa: S102 - our own generated code
    for step in walk.steps:
        exec(step.code, ns)  # noqa: S102
        for key, value in step.values.items():
            assert key in ns, (walk.page, step.key, key)
            np.testing.assert_allclose(np.asarray(ns[key], dtype=float), value, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{walk.page} {step.key} {key}")


SETTINGS = [Settings(), Settings(m=5, d=2, gamma=2.0, beta=-1.0, seed=7, dist="shifted", upstream="ones"),
            Settings(dist="custom", x_text="1 2\n3 4\n5 -1", lang="zh")]


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "shifted", "custom"])
def test_upstream_and_saturation_code_recompute_their_values(settings):
    run_code(upstream.walkthrough(settings, settings.lang))
    run_code(upstream.walkthrough(settings, settings.lang, classes=7, weight_scale=0.3))
    run_code(saturation.walkthrough(settings, settings.lang))
    run_code(saturation.walkthrough(settings, settings.lang, means=(8.0, -2.0), scales=(0.5, 4.0), tau=0.1,
                                    samples=50))


@pytest.mark.parametrize("params", [{}, {"activation": "sigmoid", "bn": False, "hidden": (20, 10), "batch": 16},
                                    {"activation": "sigmoid", "hidden": (30,), "weight_scale": None}],
                         ids=["default", "sigmoid-baseline", "sigmoid-bn"])
def test_network_code_recomputes_its_values(params):
    walk = network.walkthrough(Settings(seed=3), "en", **params)
    run_code(walk)
    assert walk.steps[0].key == "data" and walk.steps[-1].key == "statistics"


def test_experiments_code_recomputes_its_values():
    res = {"fig1": nets.finish(nets.fig1(100, 0)), "batch": nets.finish(nets.batch_size_sweep((5, 10, 50), 1, 0))}
    walk = experiments.walkthrough(Settings(), "en", fig1_steps=100, epochs=1, results=res)
    for exp, result in res.items():  # the page's charts of each result, as the catalog names them
        charts = training.experiment_figures(exp, result, experiments.figure_texts("zh"))
        assert len(charts) == 2
        for _, fig in charts:
            go.Figure(fig)
    batch_val = dict(training.experiment_figures("batch", res["batch"],
                                                 experiments.figure_texts("en")))["batch_val_acc"]
    assert [tr["line"]["dash"] for tr in batch_val["data"]] == ["dot", "dot", "dash", "solid"]
    np.testing.assert_allclose(batch_val["data"][1]["y"], res["batch"]["runs"]["bn:5"]["val_acc"])
    assert [s.key for s in walk.steps] == ["fig1.setup", "fig1.accuracy", "fig1.percentiles", "weights.setup",
                                           "batch.setup", "batch.result"]
    run_code(walk)
    assert [s.key for s in experiments.walkthrough(Settings()).steps] == [f"{e}.setup" for e in experiments.EXPERIMENTS]


def test_softmax_dout_is_the_chain_and_matches_pytorch(rng):
    s = Settings(m=6, d=4, seed=11, gamma=1.5, beta=0.2)
    walk = upstream.walkthrough(s)
    dout = next(st.values["dout"] for st in walk.steps if st.key == "backward.relu")
    x = next(st.values["x"] for st in walk.steps if st.key == "forward.bn")
    gamma, beta = np.full(4, 1.5), np.full(4, 0.2)
    np.testing.assert_array_equal(upstream.softmax_dout(x, gamma, beta, s.eps, s.seed), dout)
    w, b, labels = upstream.affine_inputs(4, s.seed, m=6)
    tx = torch.tensor(x, requires_grad=True)
    y = F.batch_norm(tx, None, None, torch.tensor(gamma), torch.tensor(beta), training=True, eps=s.eps)
    y.retain_grad()
    F.cross_entropy(torch.relu(y) @ torch.tensor(w) + torch.tensor(b), torch.tensor(labels)).backward()
    np.testing.assert_allclose(dout, y.grad.numpy(), rtol=1e-10, atol=1e-14)
    dx = next(st.values["dx"] for st in walk.steps if st.key == "backward.bn")
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_softmax_dout_code_recomputes_it(rng):
    x, gamma, beta = rng.standard_normal((7, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    for classes, scale in ((3, 1.0), (6, 0.3)):
        ns = {"np": np, "x": x, "gamma": gamma, "beta": beta, "eps": 1e-5, "seed": 4, "m": 7, "d": 3}
        exec(upstream.softmax_dout_code(classes, scale), ns)  # noqa: S102 - our own generated code
        np.testing.assert_allclose(ns["dout"], upstream.softmax_dout(x, gamma, beta, 1e-5, 4, classes, scale),
                                   rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("call", [
    lambda: upstream.walkthrough(Settings(), classes=1),
    lambda: upstream.walkthrough(Settings(), weight_scale=-1.0),
    lambda: saturation.walkthrough(Settings(), means=(0.0,), scales=(1.0, 2.0)),
    lambda: saturation.walkthrough(Settings(), tau=0.3),
    lambda: saturation.walkthrough(Settings(), means=(99.0,), scales=(1.0,)),
    lambda: saturation.walkthrough(Settings(), samples=3),
    lambda: network.walkthrough(Settings(), activation="tanh"),
    lambda: experiments.walkthrough(Settings(), epochs=0),
    lambda: experiments.run("nope"),
])
def test_lessons_explain_bad_input(call):
    with pytest.raises(InputError):
        call()


def test_every_lesson_text_exists_in_both_languages():
    for lang in ("en", "zh"):
        for walk in (upstream.walkthrough(Settings(), lang), saturation.walkthrough(Settings(), lang),
                     network.walkthrough(Settings(), lang), experiments.walkthrough(Settings(), lang)):
            assert walk.title and all(s.title and s.note for s in walk.steps)
            assert all(walk.label(k) for s in walk.steps for k in s.values)


@pytest.mark.parametrize("act", ["relu", "sigmoid"])
def test_network_chain_rule_is_derived_and_reproduces_torch(act, rng):
    """The lesson's element-wise chain rule ∂L/∂A = ∂L/∂H · f′(A), evaluated, is torch's gradient of Σ g·f(a)."""
    import sympy as sp

    c = network.activation_chain(act)
    a = rng.standard_normal(40) * 3
    a = a[np.abs(a) > 1e-3]  # off ReLU's kink
    g = rng.standard_normal(a.size)
    ta = torch.tensor(a, requires_grad=True)
    f = torch.relu if act == "relu" else torch.sigmoid
    h = f(ta)
    (torch.tensor(g) * h).sum().backward()
    mods = [{"Heaviside": lambda x, *_: np.heaviside(x, 0.0), "Max": np.maximum}, "numpy"]
    fwd = sp.lambdify(c["a"], c["act"], modules=mods)
    chain = sp.lambdify((c["a"], c["h"], c["g"]), c["concrete"], modules=mods)
    np.testing.assert_allclose(fwd(a), h.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chain(a, h.detach().numpy(), g), ta.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert c["chain"].has(sp.Derivative)  # the general line is SymPy's derivative, f unknown
    lines = network.formulas(act, True)
    assert any(r"W_{\ell+1}^{T}" in line for line in lines["backward.layer"][0])  # renamed by substitution
    assert lines["forward.output"][0][0].startswith(r"S = H_{L} W_{L+1}")
