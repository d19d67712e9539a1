"""The reproductions: the BN paper's Figure 1 on digits and cs231n's weight-scale and batch-size sweeps.

Each is a generator of :class:`SweepProgress` whose last item carries the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from bnviz.nets.dataset import Digits
from bnviz.nets.model import NetConfig
from bnviz.nets.threads import BLAS_THREADS
from bnviz.nets.train import Progress, train

Array = np.ndarray


@dataclass
class SweepProgress:
    """Yielded by the reproductions: ``runs_done`` of ``runs`` finished, the current run's fraction,
    and ``result`` (partial until ``done``)."""

    runs_done: int
    runs: int
    run_fraction: float
    result: dict
    done: bool = False

    @property
    def fraction(self) -> float:
        return min(1.0, (self.runs_done + self.run_fraction) / self.runs) if self.runs else 1.0


def _sweep(runs: list[tuple[str, NetConfig]], data: Digits | None,
           collect: Callable[[dict, str, Progress], None], result: dict,
           threads: int | None = BLAS_THREADS) -> Iterator[SweepProgress]:
    for n, (name, cfg) in enumerate(runs):
        for p in train(cfg, data, threads):
            if p.done:
                collect(result, name, p)
                yield SweepProgress(n + 1, len(runs), 0.0, result, done=n + 1 == len(runs))
            else:
                yield SweepProgress(n, len(runs), p.fraction, result)


FIG1 = NetConfig(hidden=(100, 100, 100), activation="sigmoid", optimizer="sgd", lr=0.5, batch=60, steps=2000,
                 weight_scale=0.1, record_every=50, samples=0)
"""The BN paper's Figure 1 setting on digits: 3 sigmoid layers of 100, batch 60, plain SGD,
small random Gaussian initial weights."""


def fig1(steps: int = FIG1.steps, seed: int = 0, data: Digits | None = None,
         threads: int | None = BLAS_THREADS) -> Iterator[SweepProgress]:
    """Validation accuracy vs steps and the 15/50/85th percentiles of one sigmoid's input, with and without BN.

    result: {"config": ..., "baseline"/"bn": {"steps", "val_acc", "unit_pct" (records, 3), "layer_pct"}}
    """
    base = replace(FIG1, steps=steps, seed=seed, record_every=max(1, min(FIG1.record_every, steps // 20 or 1)))
    result: dict = {"config": base}

    def collect(res: dict, name: str, p: Progress) -> None:
        h = p.history.arrays()
        res[name] = {"steps": h["steps"], "val_acc": h["val_acc"], "train_loss": h["train_loss"],
                     "unit_pct": h["unit_pct"], "layer_pct": h["layer_pct"], "diverged": p.diverged}

    runs = [("baseline", replace(base, bn=False)), ("bn", replace(base, bn=True))]
    yield from _sweep(runs, data, collect, result, threads)


WEIGHT_SWEEP = NetConfig(hidden=(50,) * 7, activation="relu", lr=1e-3, batch=50, train_samples=1000,
                         samples=0, eval_train=True)
"""cs231n's weight-initialisation experiment: 7 ReLU layers of 50, 1,000 training samples, Adam 1e-3, batch 50."""


def epochs_to_steps(epochs: int, batch: int, n: int = 1000) -> int:
    return epochs * max(1, n // batch)


def default_scales() -> Array:
    """The sweep's 20 initial weight scales, 10⁻⁴ … 1, evenly spaced in log."""
    return np.logspace(-4, 0, 20)


def weight_sweep_runs(scales: Array, epochs: int = 10, seed: int = 0) -> list[tuple[str, NetConfig]]:
    """The sweep's networks, ("baseline:k" / "bn:k", config) for each scale k: what
    :func:`weight_scale_sweep` trains (and what a benchmark times)."""
    steps = epochs_to_steps(epochs, WEIGHT_SWEEP.batch, WEIGHT_SWEEP.train_samples)
    base = replace(WEIGHT_SWEEP, steps=steps, seed=seed, record_every=steps)
    return [(f"{kind}:{n}", replace(base, weight_scale=float(s), bn=kind == "bn"))
            for n, s in enumerate(np.asarray(scales, dtype=float)) for kind in ("baseline", "bn")]


def weight_scale_sweep(scales: Array | None = None, epochs: int = 10, seed: int = 0,
                       data: Digits | None = None, threads: int | None = BLAS_THREADS) -> Iterator[SweepProgress]:
    """BN vs baseline at each initial weight scale (default ``np.logspace(-4, 0, 20)``).

    result: {"scales", "config", "baseline"/"bn": {"train_acc", "val_acc", "best_val_acc", "loss"} (arrays
    over scales, NaN where not run yet or diverged)}
    """
    scales = default_scales() if scales is None else np.asarray(scales, dtype=float)
    runs = weight_sweep_runs(scales, epochs, seed)
    base = replace(runs[0][1], weight_scale=WEIGHT_SWEEP.weight_scale, bn=WEIGHT_SWEEP.bn)
    keys = ("train_acc", "val_acc", "best_val_acc", "loss")
    result: dict = {"scales": scales, "config": base, "epochs": epochs,
                    **{name: {k: np.full(len(scales), np.nan) for k in keys} for name in ("baseline", "bn")}}

    def collect(res: dict, name: str, p: Progress) -> None:
        kind, n = name.split(":")
        h, row = p.history, res[kind]
        if p.diverged:
            return
        n = int(n)
        row["train_acc"][n] = h.full_train_acc[-1]
        row["val_acc"][n] = h.val_acc[-1]
        row["best_val_acc"][n] = max(h.val_acc[1:] or h.val_acc)
        row["loss"][n] = h.train_loss[-1]

    yield from _sweep(runs, data, collect, result, threads)


BATCH_SWEEP = NetConfig(hidden=(100,) * 5, activation="relu", lr=10 ** -3.5, weight_scale=2e-2,
                        train_samples=1000, samples=0, eval_train=True)
"""cs231n's batch-size experiment: 5 ReLU layers of 100, weight scale 2e-2, Adam 10^-3.5, 1,000 samples."""


def batch_size_sweep(batches: tuple[int, ...] = (5, 10, 50), epochs: int = 10, seed: int = 0,
                     data: Digits | None = None, threads: int | None = BLAS_THREADS) -> Iterator[SweepProgress]:
    """Train/validation accuracy per epoch: the baseline at the smallest batch, BN at each batch size.

    result: {"batches", "config", "runs": {name: {"epochs", "train_acc", "val_acc"}}}; names
    "baseline:B" and "bn:B".
    """
    result: dict = {"batches": tuple(batches), "config": BATCH_SWEEP, "epochs": epochs, "runs": {}}

    def cfg(b: int, bn: bool) -> NetConfig:
        steps = epochs_to_steps(epochs, b, BATCH_SWEEP.train_samples)
        return replace(BATCH_SWEEP, batch=b, steps=steps, seed=seed, bn=bn, record_every=steps // epochs)

    def collect(res: dict, name: str, p: Progress) -> None:
        h = p.history
        per_epoch = p.config.record_every
        res["runs"][name] = {"epochs": np.asarray(h.steps) / per_epoch, "train_acc": np.asarray(h.full_train_acc),
                             "val_acc": np.asarray(h.val_acc), "diverged": p.diverged}

    runs = [(f"baseline:{batches[0]}", cfg(batches[0], False))] + [(f"bn:{b}", cfg(b, True)) for b in batches]
    yield from _sweep(runs, data, collect, result, threads)


def finish(gen: Iterator[SweepProgress]) -> dict:
    """Run a reproduction to the end; its result."""
    last = None
    for last in gen:  # noqa: B007
        pass
    return last.result

def percentile_drift(pct: Array) -> float:
    """How far percentile curves (R, 3) move over training: the largest distance from their
    starting value, averaged over the percentiles."""
    p = np.asarray(pct, dtype=float)
    return float(np.abs(p - p[0]).max(axis=0).mean())
