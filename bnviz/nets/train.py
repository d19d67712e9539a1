"""Training: the loop as a generator of records, the running averages, several runs side by side.

:func:`train` yields :class:`Progress` after every record, so a page can draw
a progress bar, update its curves and stop early (stop iterating). A record
holds the loss and accuracy curves and the per-layer statistics
(pre-activation and gradient samples for histograms, percentiles, saturation
share, gradient-to-data ratios).

BN's running averages follow cs231n's rule, running ← momentum·running +
(1 − momentum)·batch, with the biased batch variance, but start from the first
batch's statistics (cs231n starts from 0 and 1; PyTorch also updates with the
unbiased variance): :func:`start_running`, :func:`update_running`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from bnviz.nets.dataset import Digits, batch_indices, digits
from bnviz.nets.model import NetConfig, Pass, accuracy, backward, check_config, forward, init_params, loss_and_grads
from bnviz.nets.optim import Flat, optimizer
from bnviz.nets.threads import BLAS_THREADS, blas_threads
from bnviz.ops import layers

Array = np.ndarray

PERCENTILES = (15.0, 50.0, 85.0)
"""The percentiles the BN paper's Figure 1 follows."""
SATURATION_TAU = 0.01
"""A sigmoid unit counts as saturated where σ'(z) < this (|z| > 4.6; the BN paper speaks of |x| > 5)."""


def start_running(stats: list[tuple[Array, Array]]) -> dict[str, Array]:
    """The running averages ``mean{l}``/``var{l}`` (width,) at the first batch's (mean, biased variance)."""
    out: dict[str, Array] = {}
    for n, (mean, var) in enumerate(stats, start=1):
        out[f"mean{n}"], out[f"var{n}"] = mean.copy(), var.copy()
    return out


def update_running(running: dict[str, Array], stats: list[tuple[Array, Array]], momentum: float) -> None:
    """cs231n's rule, in place: running ← momentum·running + (1 − momentum)·batch statistic."""
    for n, (mean, var) in enumerate(stats, start=1):
        for name, value in ((f"mean{n}", mean), (f"var{n}", var)):
            r = running[name]
            r *= momentum
            r += (1.0 - momentum) * value


@dataclass
class History:
    """What training records, one entry per record (step 0, every ``record_every`` steps, the last step).

    steps:        the step of each record (updates done so far)
    train_loss:   mean batch loss over the steps since the previous record
                  (at step 0: the first batch's loss)
    train_acc:    mean batch accuracy, likewise
    val_loss, val_acc: on the validation set, test mode (running averages)
    full_train_acc: on the training samples, test mode (``eval_train`` only)
    unit_pct:     (records, 3): PERCENTILES of one unit's activation input
                  over the validation set (last hidden layer, unit 1)
    layer_pct:    (records, layers, 3): the same over all units of each layer (over the
                  ``samples`` kept for the histograms when there are any)
    saturation:   (records, layers): sigmoid: share of activation inputs with
                  σ'(z) < SATURATION_TAU; ReLU: share of units that are 0 for
                  every validation sample (dead)
    grad_ratio:   (records, layers + 1): ‖∂L/∂W‖ / ‖W‖ per weight matrix, from
                  the latest training batch
    pre:          per record, (layers, samples) float32 sample of activation inputs
    dpre:         per record, (layers, samples) float32 sample of their gradients
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    full_train_acc: list[float] = field(default_factory=list)
    unit_pct: list[Array] = field(default_factory=list)
    layer_pct: list[Array] = field(default_factory=list)
    saturation: list[Array] = field(default_factory=list)
    grad_ratio: list[Array] = field(default_factory=list)
    pre: list[Array] = field(default_factory=list)
    dpre: list[Array] = field(default_factory=list)

    def arrays(self) -> dict[str, Array]:
        """Every curve as an array (records first)."""
        return {k: np.asarray(v) for k, v in self.__dict__.items()}


@dataclass
class Progress:
    """Yielded by :func:`train` after every record.

    step, total: updates done / planned; history: grows in place;
    done: the last item; diverged: the loss became non-finite (training stopped)
    """

    config: NetConfig
    step: int
    total: int
    history: History
    params: dict[str, Array]
    running: dict[str, Array]
    done: bool = False
    diverged: bool = False
    seconds: float = 0.0

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 1.0


def record_every(steps: int, points: int = 50) -> int:
    """Steps between records so that a run of ``steps`` has about ``points`` records."""
    return max(1, steps // points)


def saturation_share(pre: list[Array], activation: str) -> Array:
    """(layers,) share per layer; see :class:`History` for the two definitions."""
    if activation == "sigmoid":
        return np.array([float((layers.sigmoid_grad(a) < SATURATION_TAU).mean()) for a in pre])
    return np.array([float((a.max(axis=0) <= 0).mean()) for a in pre])


def _sample(values: list[Array], idx: list[Array]) -> Array:
    return np.stack([a.ravel()[i] for a, i in zip(values, idx, strict=True)]).astype(np.float32)


def train(cfg: NetConfig, data: Digits | None = None, threads: int | None = BLAS_THREADS) -> Iterator[Progress]:
    """Train one network, yielding :class:`Progress` after every record; the last has ``done``.

    Stop early by no longer iterating: everything recorded so far stays in
    the history. A non-finite loss stops training with ``diverged``. BLAS is
    limited to ``threads`` threads while computing (not while suspended).
    """
    check_config(cfg)
    data = (data or digits()).subset(cfg.train_samples)
    x, y = data.x_train, data.y_train
    flat = Flat(init_params(cfg, x.shape[1], data.classes))
    params = flat.params
    opt = optimizer(cfg)
    order = batch_indices(len(y), cfg.batch, cfg.steps, cfg.seed)
    hist = History()
    running: dict[str, Array] = {}
    rng = np.random.default_rng(cfg.seed + 2)
    val_n = len(data.y_val)
    pick_val = [rng.choice(val_n * w, min(cfg.samples, val_n * w), replace=False) for w in cfg.hidden]
    bsz = order.shape[1]
    pick_grad = [rng.choice(bsz * w, min(cfg.samples, bsz * w), replace=False) for w in cfg.hidden]
    start = time.perf_counter()
    losses: list[float] = []
    accs: list[float] = []

    def record(step: int, latest: Pass) -> None:
        hist.steps.append(step)
        hist.train_loss.append(float(np.mean(losses)))
        hist.train_acc.append(float(np.mean(accs)))
        losses.clear()
        accs.clear()
        val = forward(params, data.x_val, cfg, data.y_val, running if cfg.bn else None)
        hist.val_loss.append(float(val.loss))
        hist.val_acc.append(float((val.scores.argmax(axis=1) == data.y_val).mean()))
        if cfg.eval_train:
            hist.full_train_acc.append(accuracy(params, x, y, cfg, running if cfg.bn else None)[1])
        hist.unit_pct.append(np.percentile(val.pre[-1][:, 0], PERCENTILES))
        hist.saturation.append(saturation_share(val.pre, cfg.activation))
        hist.grad_ratio.append(np.array([
            np.linalg.norm(latest.grads[f"W{n}"]) / max(np.linalg.norm(params[f"W{n}"]), 1e-300)
            for n in range(1, cfg.depth + 2)]))
        if cfg.samples:
            hist.pre.append(_sample(val.pre, pick_val))
            hist.dpre.append(_sample(latest.dpre, pick_grad))
            hist.layer_pct.append(np.percentile(hist.pre[-1], PERCENTILES, axis=1).T)
        else:
            hist.layer_pct.append(np.stack([np.percentile(a, PERCENTILES) for a in val.pre]))

    def progress(step: int, done: bool = False, diverged: bool = False) -> Progress:
        return Progress(cfg, step, cfg.steps, hist, params, running, done, diverged, time.perf_counter() - start)

    with blas_threads(threads), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # step 0: the first batch's gradient, no update; running averages start at its statistics
        first = backward(forward(params, x[order[0]], cfg, y[order[0]]), cfg)
        running.update(start_running(first.stats))
        losses.append(first.loss)
        accs.append(float((first.scores.argmax(axis=1) == y[order[0]]).mean()))
        record(0, first)
    yield progress(0)
    step = 0
    while step < cfg.steps:
        with blas_threads(threads), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            stop = min(cfg.steps, (step // cfg.record_every + 1) * cfg.record_every)
            diverged = False
            while step < stop:
                idx = order[step]
                yb = y[idx]
                last = backward(forward(params, x[idx], cfg, yb), cfg)
                if not np.isfinite(last.loss):
                    diverged = True
                    break
                step += 1
                losses.append(last.loss)
                accs.append(float((last.scores.argmax(axis=1) == yb).mean()))
                opt.step(flat.vector, flat.gather(last.grads))
                update_running(running, last.stats, cfg.momentum)
            if not diverged:
                record(step, last)
        if diverged:
            yield progress(step, done=True, diverged=True)
            return
        yield progress(step, done=step == cfg.steps)


def run(cfg: NetConfig, data: Digits | None = None) -> Progress:
    """Train to the end; the last :class:`Progress`."""
    last = None
    for last in train(cfg, data):  # noqa: B007 - the last item is the result
        pass
    return last


def train_together(configs: dict[str, NetConfig], data: Digits | None = None) -> Iterator[dict[str, Progress]]:
    """Train several networks side by side, a record of each in turn.

    Yields {name: latest Progress} after every record of any of them; ends
    when all are done.
    """
    gens = {name: train(cfg, data) for name, cfg in configs.items()}
    latest: dict[str, Progress] = {}
    while gens:
        for name in list(gens):
            try:
                latest[name] = next(gens[name])
            except StopIteration:
                del gens[name]
                continue
            if latest[name].done:
                del gens[name]
            yield dict(latest)


def numpy_losses(cfg: NetConfig, steps: int, data: Digits | None = None) -> list[float]:
    """Training losses of the first ``steps`` steps: the plain loop (no records, no running averages)."""
    data = (data or digits()).subset(cfg.train_samples)
    flat = Flat(init_params(cfg, data.x_train.shape[1], data.classes))
    opt = optimizer(cfg)
    out = []
    for idx in batch_indices(len(data.y_train), cfg.batch, steps, cfg.seed):
        loss, grads = loss_and_grads(flat.params, data.x_train[idx], data.y_train[idx], cfg)
        opt.step(flat.vector, flat.gather(grads))
        out.append(loss)
    return out
