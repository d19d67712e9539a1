"""BN forward+backward in NumPy (closed form and staged graph) vs PyTorch CPU, and the network sweep.

**BN kernels.** Forward + backward in float64 on the same arrays, at the
default (8, 3) and the maximum (512, 16): NumPy's closed form
(``batchnorm_forward`` + ``batchnorm_backward_alt``), NumPy's staged graph
(``bn_run``) and PyTorch CPU (``F.batch_norm(training=True)`` + autograd of
``sum(dout * y)``) with as many threads as NumPy's BLAS. The ratio is
NumPy / PyTorch (> 1: PyTorch faster). PyTorch is a dev dependency: without
it the row says so.

**Network sweep.** :func:`compare_sweep_speed`: the network lesson's
weight-scale sweep in bnviz, and the same networks trained in PyTorch.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from bench.machine import numpy_threads
from bnviz import nets
from bnviz.ops import bn as bn_ops

KERNEL_SHAPES: tuple[tuple[int, int], ...] = ((8, 3), (512, 16))
"""(m, D) of the NumPy-vs-PyTorch comparison: the defaults and the maximum."""


@dataclass
class KernelResult:
    """BN forward+backward per call, in microseconds (best of ``repeats`` repeats; medians in ``median_us``).

    numpy_us:    batchnorm_forward + batchnorm_backward_alt
    staged_us:   bn_ops.bn_run (the staged graph, forward and backward)
    torch_us:    F.batch_norm(training=True) + autograd with ``torch_threads``
                 threads; None without torch
    torch_1thread_us: the same on one thread (only when torch_threads > 1)
    ratio:       numpy_us / torch_us (> 1: PyTorch faster)
    max_abs_dx:  max |dx_numpy − dx_torch| (sanity: same arrays, same answer)
    """

    m: int
    d: int
    numpy_us: float
    staged_us: float
    repeats: int = 0
    torch_us: float | None = None
    torch_threads: int | None = None
    torch_1thread_us: float | None = None
    ratio: float | None = None
    staged_ratio: float | None = None
    max_abs_dx: float | None = None
    median_us: dict[str, float] = field(default_factory=dict)
    note: str = ""


def bn_arrays(m: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, gamma, beta, dout (float64) for an (m, d) batch."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, d)), rng.uniform(0.5, 1.5, d), rng.standard_normal(d),
            rng.standard_normal((m, d)))


def time_call(fn: Callable[[], object], repeat: int = 20, min_time: float = 0.05) -> tuple[float, float]:
    """(best, median) seconds per call of ``fn`` over ``repeat`` repeats of about ``min_time`` s each.

    Many short repeats and the best of them: on a shared machine the best
    one is the one least disturbed by other processes.
    """
    timer = timeit.Timer(fn)
    number, took = timer.autorange()  # ≥ 0.2 s
    number = max(1, round(number * min_time / took))
    runs = np.asarray(timer.repeat(repeat=repeat, number=number)) / number
    return float(runs.min()), float(np.median(runs))


def numpy_bn(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dout: np.ndarray,
             eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy closed form: ``batchnorm_forward`` + ``batchnorm_backward_alt``; (dx, dgamma, dbeta)."""
    _, cache = bn_ops.batchnorm_forward(x, gamma, beta, eps)
    return bn_ops.batchnorm_backward_alt(dout, cache)


def torch_bn(x: Any, gamma: Any, beta: Any, dout: Any, eps: float) -> None:
    """PyTorch: ``F.batch_norm(training=True)`` + autograd of sum(dout·y); grads land in ``.grad``.

    x, gamma, beta: leaf tensors with ``requires_grad``; their old grads are cleared.
    """
    import torch.nn.functional as F

    x.grad = gamma.grad = beta.grad = None
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    (dout * y).sum().backward()


def time_kernels(shapes: Sequence[tuple[int, int]] = KERNEL_SHAPES, eps: float = 1e-5, repeat: int = 20,
                 min_time: float = 0.05, threads: int | None = None) -> list[KernelResult]:
    """NumPy vs PyTorch BN forward+backward on the same float64 arrays, per shape.

    threads: PyTorch's thread count while timing (default: NumPy's BLAS
             threads); the previous count is restored afterwards.
    """
    threads = threads or numpy_threads()
    try:
        import torch
    except ImportError:
        torch = None
    results = []
    for m, d in shapes:
        x, gamma, beta, dout = bn_arrays(m, d)
        np_best, np_med = time_call(partial(numpy_bn, x, gamma, beta, dout, eps), repeat, min_time)
        st_best, st_med = time_call(partial(bn_ops.bn_run, x, gamma, beta, dout, eps), repeat, min_time)
        r = KernelResult(m, d, np_best * 1e6, st_best * 1e6, repeats=repeat,
                         median_us={"numpy": np_med * 1e6, "staged": st_med * 1e6})
        results.append(r)
        if torch is None:
            r.note = "torch not installed"
            continue
        old_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            leaves = [torch.from_numpy(a).requires_grad_(True) for a in (x, gamma, beta)]
            step = partial(torch_bn, *leaves, torch.from_numpy(dout), eps)
            t_best, t_med = time_call(step, repeat, min_time)
            if threads != 1:  # for reference: one thread, immune to a descheduled worker thread
                torch.set_num_threads(1)
                r.torch_1thread_us = time_call(step, repeat, min_time)[0] * 1e6
            step()
            r.max_abs_dx = float(np.abs(leaves[0].grad.numpy() - numpy_bn(x, gamma, beta, dout, eps)[0]).max())
        finally:
            torch.set_num_threads(old_threads)
        r.torch_us, r.torch_threads = t_best * 1e6, threads
        r.median_us["torch"] = t_med * 1e6
        r.ratio, r.staged_ratio = r.numpy_us / r.torch_us, r.staged_us / r.torch_us
    return results


# ---------------------------------------------------------- network sweep --


@dataclass(frozen=True)
class SweepSpeed:
    """Wall-clock seconds of the weight-scale sweep's networks, NumPy (bnviz) vs PyTorch (CPU, float64).

    runs: networks trained; steps: updates each; threads: both libraries'
    threads; ratio = numpy_s / torch_s (< 1: NumPy faster).
    """

    numpy_s: float
    torch_s: float | None
    ratio: float | None
    runs: int
    steps: int
    threads: int
    note: str = ""


def torch_mlp(cfg: nets.NetConfig, d_in: int, classes: int) -> Any:
    """``torch.nn.Sequential``: (Linear → [BatchNorm1d] → activation) × L → Linear, float64, with bnviz's
    initial weights (``nets.init_params``) copied in.

    Linear layers followed by BN have no bias (β takes its role), as in bnviz;
    BN's momentum is PyTorch's (1 − bnviz's).
    """
    import torch

    params = nets.init_params(cfg, d_in, classes)
    dims = (d_in, *cfg.hidden, classes)
    layers: list[Any] = []
    for n in range(1, len(dims)):
        last = n == len(dims) - 1
        lin = torch.nn.Linear(dims[n - 1], dims[n], bias=last or not cfg.bn, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[f"W{n}"].T))
            if lin.bias is not None:
                lin.bias.copy_(torch.from_numpy(params[f"b{n}"]))
        layers.append(lin)
        if not last:
            if cfg.bn:
                layers.append(torch.nn.BatchNorm1d(dims[n], eps=cfg.eps, momentum=1.0 - cfg.momentum,
                                                   dtype=torch.float64))
            layers.append(torch.nn.ReLU() if cfg.activation == "relu" else torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers)


def torch_train(cfg: nets.NetConfig, data: Any) -> float:
    """Train ``cfg`` in PyTorch on bnviz's batches (``nets.batch_indices``), Adam or SGD; the validation
    accuracy in eval mode (running averages). data: a ``nets.Digits`` (x_train (N, 64), y_train (N,), ...)."""
    import torch
    import torch.nn.functional as F

    model = torch_mlp(cfg, data.x_train.shape[1], data.classes)
    opt = (torch.optim.Adam(model.parameters(), lr=cfg.lr) if cfg.optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=cfg.lr))
    x, y = torch.from_numpy(np.ascontiguousarray(data.x_train)), torch.from_numpy(data.y_train)
    model.train()
    for idx in torch.from_numpy(nets.batch_indices(len(data.y_train), cfg.batch, cfg.steps, cfg.seed)):
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        scores = model(torch.from_numpy(np.ascontiguousarray(data.x_val)))
    return float((scores.argmax(dim=1).numpy() == data.y_val).mean())


def compare_sweep_speed(scales: np.ndarray | None = None, epochs: int = 10, threads: int = 1,
                        progress: Callable[[str], None] | None = None) -> SweepSpeed:
    """Time the full weight-scale sweep (20 scales × BN and baseline, 1,000 samples, ``epochs`` epochs,
    batch 50) in bnviz (``nets.weight_scale_sweep``, records and evaluation included) and the same
    networks trained in PyTorch on the same batches (:func:`torch_train`).

    Both run with ``threads`` threads (1: what the app's training uses): NumPy's BLAS through
    ``weight_scale_sweep(threads=...)``, PyTorch through ``torch.set_num_threads`` (restored afterwards).
    Without torch installed, ``torch_s`` is None and ``note`` says so.
    """
    say = progress or (lambda _msg: None)
    scales = nets.default_scales() if scales is None else np.asarray(scales, dtype=float)
    data = nets.digits()
    t0 = time.perf_counter()
    nets.finish(nets.weight_scale_sweep(scales, epochs, data=data, threads=threads))
    numpy_s = time.perf_counter() - t0
    base = nets.WEIGHT_SWEEP
    steps = nets.epochs_to_steps(epochs, base.batch, base.train_samples)
    networks = [cfg for _, cfg in nets.weight_sweep_runs(scales, epochs)]  # what the sweep trains
    runs = len(networks)
    say(f"numpy sweep: {numpy_s:.2f} s")
    try:
        import torch
    except ImportError:
        return SweepSpeed(numpy_s, None, None, runs, steps, threads, "torch not installed")
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        sub = data.subset(base.train_samples)
        t0 = time.perf_counter()
        for cfg in networks:
            torch_train(cfg, sub)
        torch_s = time.perf_counter() - t0
    finally:
        torch.set_num_threads(old)
    say(f"torch sweep: {torch_s:.2f} s")
    return SweepSpeed(numpy_s, torch_s, numpy_s / torch_s, runs, steps, threads)
