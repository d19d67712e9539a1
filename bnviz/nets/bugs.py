"""The bug zoo's experiments: the mistakes everyone makes with BN, reproduced on the digits network.

One small network (:data:`BASE`, trained once per seed and cached) is the patient; each function below
takes it and returns plain arrays (the numbers the lesson shows):

* :func:`forgotten_eval`: the validation set evaluated in training mode, in shuffled and in label-sorted
  batches, against test mode;
* :func:`batch_one`: one sample in training mode (σ² = 0, x̂ = 0: every input gives the same scores,
  and no gradient reaches the layers below BN);
* :func:`test_batch_sizes`: validation accuracy in training mode as a function of the test batch size;
* :func:`fine_tune`: the classifier head fine-tuned on shifted digits with BN's statistics frozen,
  updating, or the mismatch (batch statistics in training, the old running statistics at test);
* :func:`dropout_shift`: the running statistics a BN layer collects behind dropout, and the test-time
  variance they miss.

Running averages follow the network's rule (:func:`bnviz.nets.train.update_running`: cs231n's, from the
first batch's statistics). Everything is seeded; nothing here is random at call time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from bnviz import limits
from bnviz.i18n import InputError
from bnviz.nets.dataset import Digits, batch_indices, digits
from bnviz.nets.model import NetConfig, check_config, forward, loss_and_grads
from bnviz.nets.optim import SGD
from bnviz.nets.train import run, start_running, update_running
from bnviz.ops import layers

Array = np.ndarray

BASE = NetConfig(hidden=(100, 100), steps=300, batch=50, record_every=300, samples=0)
"""The patient: 64 → 100 → BN → ReLU → 100 → BN → ReLU → 10, Adam 1e-3, 300 steps of 50 (about 10 epochs)."""
EVAL_BATCH = 40
"""Batch size of the forgotten-eval experiment (360 validation samples: 9 batches)."""
TEST_BATCHES = (1, 2, 3, 5, 10, 20, 40, 90, 360)
"""Test batch sizes (each divides the 360 validation samples)."""
SHIFT = (0.5, 1.0)
"""The new domain of the fine-tuning experiment: x' = 0.5·x + 1 (lower contrast, brighter)."""
FT_STEPS, FT_BATCH, FT_LR = 100, 50, 0.1
"""Fine-tuning: SGD steps on the classifier head (W3, b3), batch size, learning rate."""
FT_MODES = ("frozen", "updating", "mismatch")
DROPOUT = 0.5
DROPOUT_LIMITS = (0.05, 0.9)
"""Accepted dropout rates p (inclusive)."""
DROPOUT_STEPS = 100
"""Training batches over which the dropout experiment accumulates BN's running statistics."""


@dataclass(frozen=True)
class Net:
    """A trained network: its config, parameters and BN running averages (read-only arrays).

    params: W1 (64, 100), gamma1/beta1 (100,), W2 (100, 100), gamma2/beta2 (100,), W3 (100, 10), b3 (10,)
    running: mean1/var1/mean2/var2 (100,)
    """

    cfg: NetConfig
    params: dict[str, Array]
    running: dict[str, Array]


def _frozen(d: dict[str, Array]) -> dict[str, Array]:
    out = {k: np.array(v, dtype=float) for k, v in d.items()}
    for v in out.values():
        v.setflags(write=False)
    return out


@lru_cache(maxsize=4)
def base(seed: int = 0) -> Net:
    """:data:`BASE` trained with ``seed`` (cached: at most 4 seeds)."""
    cfg = check_config(replace(BASE, seed=seed))
    limits.check_train_work(cfg.steps, cfg.hidden, cfg.batch)
    last = run(cfg)
    return Net(cfg, _frozen(last.params), _frozen(last.running))


def check_dropout(p: float) -> float:
    lo, hi = DROPOUT_LIMITS
    if not (isinstance(p, (int, float, np.integer, np.floating)) and np.isfinite(p) and lo <= p <= hi):
        raise InputError("error.nets.range", name="p", value=p, lo=lo, hi=hi)
    return float(p)


def batched(net: Net, x: Array, y: Array, batch: int, running: dict[str, Array] | None,
            params: dict[str, Array] | None = None) -> tuple[float, list]:
    """(accuracy, per-batch passes): ``x`` (N, 64) cut into consecutive batches of ``batch``, each
    forwarded alone; BN in training mode (its own statistics) if ``running`` is None, else test mode."""
    passes = [forward(params or net.params, x[s:s + batch], net.cfg, y[s:s + batch], running)
              for s in range(0, len(y), batch)]
    pred = np.concatenate([p.scores.argmax(axis=1) for p in passes])
    return float((pred == y).mean()), passes


def _mean_gap(passes: list, running: dict[str, Array]) -> Array:
    """(batches,) root-mean-square over layer 1's units of (batch mean − running mean)."""
    return np.array([np.sqrt(np.mean((p.stats[0][0] - running["mean1"]) ** 2)) for p in passes])


def shuffled(data: Digits, seed: int) -> Array:
    """(360,) the validation order the experiments use: ``default_rng(seed + 3).permutation``."""
    return np.random.default_rng(seed + 3).permutation(len(data.y_val))


def forgotten_eval(net: Net, data: Digits | None = None) -> dict[str, Array]:
    """The validation set in batches of :data:`EVAL_BATCH`: test mode vs training mode, shuffled vs sorted.

    acc_eval, acc_shuffled, acc_sorted: () accuracies; gap_shuffled, gap_sorted: (9,) per batch, the RMS
    over layer 1's units of μ_B − μ_run.
    """
    data = data or digits()
    x, y = data.x_val, data.y_val
    acc_eval, _ = batched(net, x, y, len(y), net.running)
    mix = shuffled(data, net.cfg.seed)
    srt = np.argsort(y, kind="stable")
    acc_shuffled, p_shuffled = batched(net, x[mix], y[mix], EVAL_BATCH, None)
    acc_sorted, p_sorted = batched(net, x[srt], y[srt], EVAL_BATCH, None)
    return {"acc_eval": np.array(acc_eval), "acc_shuffled": np.array(acc_shuffled),
            "acc_sorted": np.array(acc_sorted), "gap_shuffled": _mean_gap(p_shuffled, net.running),
            "gap_sorted": _mean_gap(p_sorted, net.running)}


def pair(data: Digits) -> tuple[int, int]:
    """Two validation samples with different labels: the first, and the first whose label differs."""
    return 0, int(np.flatnonzero(data.y_val != data.y_val[0])[0])


def batch_one(net: Net, data: Digits | None = None) -> dict[str, Array]:
    """One sample at a time in training mode.

    z1: (100,) layer 1's BN input for sample a; var1, xhat1: (100,) its batch variance and x̂ (zeros);
    scores_a, scores_b: (10,) two different digits' scores (equal); acc_batch1: () validation accuracy
    one sample at a time; grad_norms: (3,) ‖∂L/∂W1‖, ‖∂L/∂W2‖, ‖∂L/∂W3‖ on sample a (the first two 0).
    """
    data = data or digits()
    a, b = pair(data)
    xa, xb = data.x_val[a:a + 1], data.x_val[b:b + 1]
    pa = forward(net.params, xa, net.cfg)
    pb = forward(net.params, xb, net.cfg)
    z1 = xa @ net.params["W1"]
    xhat1 = (pa.pre[0] - net.params["beta1"]) / net.params["gamma1"]
    _, grads = loss_and_grads(net.params, xa, data.y_val[a:a + 1], net.cfg)
    acc, _ = batched(net, data.x_val, data.y_val, 1, None)
    return {"z1": z1[0], "var1": pa.stats[0][1], "xhat1": xhat1[0], "scores_a": pa.scores[0],
            "scores_b": pb.scores[0], "acc_batch1": np.array(acc),
            "grad_norms": np.array([np.linalg.norm(grads[f"W{n}"]) for n in (1, 2, 3)])}


def test_batch_sizes(net: Net, data: Digits | None = None) -> dict[str, Array]:
    """Validation accuracy (shuffled order) in training mode for each of :data:`TEST_BATCHES`.

    batches: (9,) the sizes; acc_train: (9,) accuracies; acc_eval: () test mode;
    spread: (9,) RMS over batches and layer 1's units of μ_B − μ_run.
    """
    data = data or digits()
    mix = shuffled(data, net.cfg.seed)
    x, y = data.x_val[mix], data.y_val[mix]
    accs, spread = [], []
    for b in TEST_BATCHES:
        acc, passes = batched(net, x, y, b, None)
        accs.append(acc)
        spread.append(float(np.sqrt(np.mean(_mean_gap(passes, net.running) ** 2))))
    acc_eval, _ = batched(net, x, y, len(y), net.running)
    return {"batches": np.array(TEST_BATCHES, dtype=float), "acc_train": np.array(accs),
            "acc_eval": np.array(acc_eval), "spread": np.array(spread)}


def domain(data: Digits) -> Digits:
    """The fine-tuning domain: every input x' = SHIFT[0]·x + SHIFT[1] (same labels, same split)."""
    a, c = SHIFT
    return Digits(a * data.x_train + c, data.y_train, a * data.x_val + c, data.y_val)


def fine_tune(net: Net, data: Digits | None = None) -> dict[str, Array]:
    """The classifier head (W3, b3) fine-tuned with SGD on the shifted digits, BN three ways.

    frozen:   BN in test mode with the old running statistics, in training and at test;
    updating: BN in training mode, running statistics updated; test mode with the updated ones;
    mismatch: BN in training mode, running statistics not updated; test mode with the old ones.

    acc_before: () test-mode accuracy on the new validation set before fine-tuning;
    acc_fit: (3,) mean batch accuracy of the last 20 fine-tuning steps; acc_test: (3,) test-mode
    accuracy afterwards (in :data:`FT_MODES` order); gap_before, gap_after: () RMS over layer 1's units
    of (the new training set's mean − running mean), before and after the updating run.
    """
    new = domain(data or digits())
    acc_before, _ = batched(net, new.x_val, new.y_val, len(new.y_val), net.running)
    order = batch_indices(len(new.y_train), FT_BATCH, FT_STEPS, net.cfg.seed + 4)
    fit, test, after = [], [], None
    for mode in FT_MODES:
        params = {k: v.copy() for k, v in net.params.items()}
        running = {k: v.copy() for k, v in net.running.items()}
        opt = SGD(FT_LR)
        hits = []
        for idx in order:
            p = forward(params, new.x_train[idx], net.cfg, new.y_train[idx], running if mode == "frozen" else None)
            _, dw, db = layers.affine_backward(p.dscores, p.caches[-1])
            opt.step(params["W3"], dw)
            opt.step(params["b3"], db)
            if mode == "updating":
                update_running(running, p.stats, net.cfg.momentum)
            hits.append(float((p.scores.argmax(axis=1) == new.y_train[idx]).mean()))
        fit.append(float(np.mean(hits[-20:])))
        test.append(batched(net, new.x_val, new.y_val, len(new.y_val), running, params)[0])
        if mode == "updating":
            after = running
    mu_new = (new.x_train @ net.params["W1"]).mean(axis=0)
    return {"acc_before": np.array(acc_before), "acc_fit": np.array(fit), "acc_test": np.array(test),
            "gap_before": np.array(np.sqrt(np.mean((mu_new - net.running["mean1"]) ** 2))),
            "gap_after": np.array(np.sqrt(np.mean((mu_new - after["mean1"]) ** 2)))}


def dropout_masks(p: float, seed: int, shape: tuple[int, int]) -> Array:
    """(DROPOUT_STEPS, batch, width) bool keep-masks (keep with probability 1 − p), ``default_rng(seed + 5)``."""
    return np.random.default_rng(seed + 5).random((DROPOUT_STEPS, *shape)) >= p


def _dropout_stats(net: Net, x: Array, mask: Array | None, q: float) -> list[tuple[Array, Array]]:
    """Both BN layers' batch (mean, biased variance) for one batch x (N, 64), with inverted dropout
    (keep-mask (N, 100), scale 1/q) on layer 2's input, or none."""
    pr, eps = net.params, net.cfg.eps
    z1 = x @ pr["W1"]
    h1 = np.maximum(layers.batchnorm_forward(z1, pr["gamma1"], pr["beta1"], eps)[0], 0.0)
    if mask is not None:
        h1 = h1 * mask / q
    z2 = h1 @ pr["W2"]
    return [(z1.mean(axis=0), z1.var(axis=0)), (z2.mean(axis=0), z2.var(axis=0))]


def dropout_shift(net: Net, p: float = DROPOUT, data: Digits | None = None) -> dict[str, Array]:
    """Dropout (rate p, inverted) on layer 2's input, before its affine + BN.

    The training batches (:data:`DROPOUT_STEPS` of 50, no weight update) run through the network in
    training mode with dropout; BN's running averages accumulate as in training. At test dropout is off.

    var_run: (100,) layer 2's running variance collected with dropout; var_test: (100,) the variance of
    layer 2's BN input on the validation set in test mode without dropout; ratio: () mean of
    var_run / var_test; xhat_var: () mean over units of x̂'s variance at test (var_test / (var_run + ε));
    acc_* and loss_*: () validation accuracy and loss in test mode with the trained statistics (base),
    those collected behind dropout (dropout), and those collected again with dropout off (fixed, the fix).
    """
    p = check_dropout(p)
    data = data or digits()
    q = 1.0 - p
    cfg = net.cfg
    order = batch_indices(len(data.y_train), cfg.batch, DROPOUT_STEPS, cfg.seed + 5)
    masks = dropout_masks(p, cfg.seed, (order.shape[1], cfg.hidden[0]))
    collected = {}
    for name, use in (("dropout", True), ("fixed", False)):
        running = None
        for idx, mask in zip(order, masks, strict=True):
            stats = _dropout_stats(net, data.x_train[idx], mask if use else None, q)
            if running is None:
                running = start_running(stats)
            else:
                update_running(running, stats, cfg.momentum)
        collected[name] = running
    pr = net.params
    h1 = np.maximum(layers.batchnorm_test(data.x_val @ pr["W1"], pr["gamma1"], pr["beta1"], net.running["mean1"],
                                          net.running["var1"], cfg.eps), 0.0)
    var_test = (h1 @ pr["W2"]).var(axis=0)
    x, y = data.x_val, data.y_val
    var_run = collected["dropout"]["var2"]
    out = {"var_run": var_run, "var_test": var_test, "ratio": np.array(np.mean(var_run / var_test)),
           "xhat_var": np.array(np.mean(var_test / (var_run + cfg.eps)))}
    for name, running in (("base", net.running), ("dropout", collected["dropout"]), ("fixed", collected["fixed"])):
        acc, (pv,) = batched(net, x, y, len(y), running)
        out[f"acc_{name}"], out[f"loss_{name}"] = np.array(acc), np.array(pv.loss)
    return out
