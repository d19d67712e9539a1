"""A real network: an MLP with optional BN, trained with Adam on scikit-learn's digits.

Everything here reuses the one implementation of each layer
(:mod:`bnviz.layers`, batch norm from :mod:`bnviz.norms`); nothing is
re-derived. The pieces:

* :func:`digits`: the 1,797 8×8 images, standardised, with a fixed
  train/validation split (1,437 / 360);
* :class:`NetConfig`, :func:`init_params`, :func:`loss_and_grads`: the
  network ``(affine → [BN] → activation) × L → affine → softmax loss``;
* :class:`Adam` (cs231n's update, the same as ``torch.optim.Adam``) and
  :class:`SGD`;
* :func:`train`: the training loop as a *generator* yielding
  :class:`Progress` after every record, so a page can draw a progress bar,
  update its curves and stop early (stop iterating). A record holds the loss
  and accuracy curves and the per-layer statistics (pre-activation and
  gradient samples for histograms, percentiles, saturation share,
  gradient-to-data ratios);
* the reproductions: :func:`fig1` (the BN paper's Figure 1 on digits),
  :func:`weight_scale_sweep` and :func:`batch_size_sweep` (cs231n), each a
  generator of :class:`SweepProgress` whose last item carries the result;
* the same networks in PyTorch (:func:`torch_losses` for the equivalence
  test, :func:`compare_sweep_speed` for the benchmark's NumPy/PyTorch ratio).
  PyTorch is a dev dependency and is imported only inside those functions.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from bnviz.i18n import InputError
from bnviz.ops import layers

Array = np.ndarray

ACTIVATIONS = ("relu", "sigmoid")
OPTIMIZERS = ("adam", "sgd")
PERCENTILES = (15.0, 50.0, 85.0)
"""The percentiles the BN paper's Figure 1 follows."""
SATURATION_TAU = 0.01
"""A sigmoid unit counts as saturated where σ'(z) < this (|z| > 4.6; seed 004: |x| > 5)."""
VAL_SIZE = 360
SPLIT_SEED = 0
LIMITS = {
    "layers": (1, 8),
    "width": (2, 512),
    "steps": (1, 20_000),
    "batch": (2, 1_000),
    "seed": (0, 2**31 - 1),
    "lr": (1e-6, 10.0),
    "weight_scale": (1e-6, 10.0),
}
"""Accepted ranges (inclusive) of the command line's and pages' numeric inputs."""


# -------------------------------------------------------------------- data --


@dataclass(frozen=True)
class Digits:
    """scikit-learn's digits, standardised with the training split's mean and std.

    x_train: (1437, 64), y_train: (1437,) labels 0..9; x_val: (360, 64), y_val: (360,)
    """

    x_train: Array
    y_train: Array
    x_val: Array
    y_val: Array

    @property
    def classes(self) -> int:
        return 10

    def subset(self, n: int) -> Digits:
        """The first ``n`` training samples (all if n <= 0), the same validation set."""
        if n <= 0 or n >= len(self.y_train):
            return self
        return Digits(self.x_train[:n], self.y_train[:n], self.x_val, self.y_val)


@lru_cache(maxsize=1)
def digits() -> Digits:
    """The fixed split: a permutation seeded with ``SPLIT_SEED``; the first 360 are validation."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    x, y = raw.data.astype(np.float64) / 16.0, raw.target.astype(np.int64)
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    val, tr = perm[:VAL_SIZE], perm[VAL_SIZE:]
    mean = x[tr].mean(axis=0)
    std = x[tr].std(axis=0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    for a in (x, y):
        a.setflags(write=False)
    return Digits(x[tr], y[tr], x[val], y[val])


# ----------------------------------------------------------------- network --


@dataclass(frozen=True)
class NetConfig:
    """One network and how it is trained.

    hidden:       widths of the hidden layers, e.g. (100,) * 5
    activation:   "relu" or "sigmoid"
    bn:           BN between each hidden affine layer and its activation
                  (those affine layers then have no bias: β takes its role)
    weight_scale: std of the initial weights; None: fan-in scaling, √(2/fan_in)
                  for ReLU layers (He) and √(1/fan_in) otherwise
    optimizer:    "adam" (β₁ 0.9, β₂ 0.999, ε 1e-8) or "sgd"
    lr:           learning rate; batch: samples per step; steps: updates
    seed:         seeds the initial weights and the order of the batches
    eps:          BN's ε; momentum: of BN's running averages (cs231n's 0.9)
    record_every: a record every this many steps (and at step 0 and the end)
    train_samples: use the first n training samples (0: all 1,437)
    eval_train:   also measure the accuracy on the training samples at each record
    samples:      values kept per layer and record for the histograms (0: none)
    """

    hidden: tuple[int, ...] = (100, 100, 100, 100, 100)
    activation: str = "relu"
    bn: bool = True
    weight_scale: float | None = None
    optimizer: str = "adam"
    lr: float = 1e-3
    batch: int = 50
    steps: int = 500
    seed: int = 0
    eps: float = 1e-5
    momentum: float = 0.9
    record_every: int = 10
    train_samples: int = 0
    eval_train: bool = False
    samples: int = 600

    @property
    def depth(self) -> int:
        return len(self.hidden)


def check_config(cfg: NetConfig) -> NetConfig:
    """The config, or InputError naming the first value out of range."""
    if cfg.activation not in ACTIVATIONS:
        raise InputError("error.nets.activation", value=cfg.activation, choices=", ".join(ACTIVATIONS))
    if cfg.optimizer not in OPTIMIZERS:
        raise InputError("error.nets.optimizer", value=cfg.optimizer, choices=", ".join(OPTIMIZERS))
    checks = [("layers", len(cfg.hidden)), ("steps", cfg.steps), ("batch", cfg.batch), ("seed", cfg.seed),
              ("lr", cfg.lr), *(("width", w) for w in cfg.hidden)]
    if cfg.weight_scale is not None:
        checks.append(("weight_scale", cfg.weight_scale))
    for name, value in checks:
        lo, hi = LIMITS[name]
        if not (isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value)
                and lo <= value <= hi):
            raise InputError("error.nets.range", name=name, value=value, lo=lo, hi=hi)
    return cfg


def init_params(cfg: NetConfig, d_in: int = 64, classes: int = 10) -> dict[str, Array]:
    """W1..W(L+1) drawn from ``default_rng(seed)`` in layer order; b where no BN follows; γ = 1, β = 0.

    W_l: (fan_in, fan_out), b_l / gamma_l / beta_l: (fan_out,)
    """
    rng = np.random.default_rng(cfg.seed)
    dims = (d_in, *cfg.hidden, classes)
    params: dict[str, Array] = {}
    for n in range(1, len(dims)):
        fan_in, fan_out = dims[n - 1], dims[n]
        last = n == len(dims) - 1
        if cfg.weight_scale is not None:
            scale = cfg.weight_scale
        else:
            scale = np.sqrt((1.0 if last or cfg.activation != "relu" else 2.0) / fan_in)
        params[f"W{n}"] = scale * rng.standard_normal((fan_in, fan_out))
        if last or not cfg.bn:
            params[f"b{n}"] = np.zeros(fan_out)
        if cfg.bn and not last:
            params[f"gamma{n}"] = np.ones(fan_out)
            params[f"beta{n}"] = np.zeros(fan_out)
    return params


@dataclass
class Pass:
    """One forward (and optionally backward) pass.

    scores: (N, C); loss: mean softmax loss (None without labels)
    pre:    per hidden layer, the activation's input (N, width): BN's output
            with BN, the affine output without
    grads:  parameter name -> gradient (after ``backward``)
    dpre:   per hidden layer, ∂L/∂(activation input) (N, width)
    stats:  per hidden layer (with BN, train mode), the batch mean and
            biased variance, for the running averages
    """

    scores: Array
    caches: list = field(default_factory=list)
    pre: list[Array] = field(default_factory=list)
    loss: float | None = None
    dscores: Array | None = None
    grads: dict[str, Array] = field(default_factory=dict)
    dpre: list[Array] = field(default_factory=list)
    stats: list[tuple[Array, Array]] = field(default_factory=list)


def forward(params: dict[str, Array], x: Array, cfg: NetConfig, y: Array | None = None,
            running: dict[str, Array] | None = None) -> Pass:
    """x: (N, D) -> scores (N, C), caching what backward needs.

    BN uses the batch's statistics, or with ``running`` (test mode) the
    running averages ``mean{l}``/``var{l}``. With labels y (N,) the loss and
    ∂L/∂scores are computed too.
    """
    act_forward, _ = layers.ACTIVATIONS[cfg.activation]
    h = x
    p = Pass(scores=x)
    for n in range(1, cfg.depth + 1):
        z, c_aff = layers.affine_forward(h, params[f"W{n}"], params.get(f"b{n}"))
        c_bn = None
        if cfg.bn:
            gamma, beta = params[f"gamma{n}"], params[f"beta{n}"]
            if running is None:
                a, c_bn = layers.batchnorm_forward(z, gamma, beta, cfg.eps)
                xhat, _, inv_std = c_bn
                inv_std = inv_std.ravel()
                # the batch mean and variance, read back from the cache: μ = z₀ − x̂₀·√(σ²+ε)
                p.stats.append((z[0] - xhat[0] / inv_std, 1.0 / (inv_std * inv_std) - cfg.eps))
            else:
                a = layers.batchnorm_test(z, gamma, beta, running[f"mean{n}"], running[f"var{n}"], cfg.eps)
        else:
            a = z
        h, c_act = act_forward(a)
        p.pre.append(a)
        p.caches.append((c_aff, c_bn, c_act))
    last = cfg.depth + 1
    p.scores, c_out = layers.affine_forward(h, params[f"W{last}"], params[f"b{last}"])
    p.caches.append(c_out)
    if y is not None:
        p.loss, p.dscores = layers.softmax_loss(p.scores, y)
    return p


def backward(p: Pass, cfg: NetConfig) -> Pass:
    """Back-propagate ``p.dscores`` through the cached layers; fills ``p.grads`` and ``p.dpre``."""
    _, act_backward = layers.ACTIVATIONS[cfg.activation]
    last = cfg.depth + 1
    dh, p.grads[f"W{last}"], p.grads[f"b{last}"] = layers.affine_backward(p.dscores, p.caches[-1])
    dpre: list[Array] = []
    for n in range(cfg.depth, 0, -1):
        c_aff, c_bn, c_act = p.caches[n - 1]
        da = act_backward(dh, c_act)
        dpre.append(da)
        if cfg.bn:
            dz, p.grads[f"gamma{n}"], p.grads[f"beta{n}"] = layers.batchnorm_backward(da, c_bn)
        else:
            dz = da
        dh, p.grads[f"W{n}"], db = layers.affine_backward(dz, c_aff, bias=not cfg.bn)
        if db is not None:
            p.grads[f"b{n}"] = db
    p.dpre = dpre[::-1]
    return p


def loss_and_grads(params: dict[str, Array], x: Array, y: Array, cfg: NetConfig) -> tuple[float, dict[str, Array]]:
    """Training-mode loss and every parameter's gradient. x: (N, D), y: (N,)."""
    p = backward(forward(params, x, cfg, y), cfg)
    return p.loss, p.grads


def accuracy(params: dict[str, Array], x: Array, y: Array, cfg: NetConfig,
             running: dict[str, Array] | None) -> tuple[float, float]:
    """(loss, accuracy) on (x, y) in test mode (running averages), or with the set's own statistics if None."""
    p = forward(params, x, cfg, y, running)
    return float(p.loss), float((p.scores.argmax(axis=1) == y).mean())


# -------------------------------------------------------------- optimizers --


class Adam:
    """cs231n's Adam, written in the operation order of ``torch.optim.Adam`` (default settings).

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)

    ``step`` updates an array in place with its gradient (the same shape);
    :func:`train` passes all parameters as one flat vector, so an update is a
    handful of NumPy operations whatever the depth of the network.
    """

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: Array | None = None
        self.v: Array | None = None

    def step(self, w: Array, g: Array) -> None:
        """Update ``w`` in place."""
        if self.m is None:
            self.m, self.v = np.zeros_like(w), np.zeros_like(w)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        m, v = self.m, self.v
        m += (1.0 - b1) * (g - m)
        v *= b2
        v += (1.0 - b2) * g * g
        denom = np.sqrt(v)
        denom /= np.sqrt(1.0 - b2 ** self.t)
        denom += self.eps
        w -= (self.lr / (1.0 - b1 ** self.t)) * m / denom


class SGD:
    """w ← w − lr·g (in place)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, w: Array, g: Array) -> None:
        w -= self.lr * g


class Flat:
    """All parameters in one float64 vector; ``params[name]`` are views into it.

    ``gather(grads)`` lays gradients out in the same order, so one optimizer
    step updates every parameter at once.
    """

    def __init__(self, params: dict[str, Array]) -> None:
        self.names = list(params)
        self.vector = np.concatenate([params[k].ravel() for k in self.names])
        self.params: dict[str, Array] = {}
        offset = 0
        for k in self.names:
            size = params[k].size
            self.params[k] = self.vector[offset:offset + size].reshape(params[k].shape)
            offset += size

    def gather(self, grads: dict[str, Array]) -> Array:
        return np.concatenate([grads[k].ravel() for k in self.names])


def optimizer(cfg: NetConfig) -> Adam | SGD:
    return Adam(cfg.lr) if cfg.optimizer == "adam" else SGD(cfg.lr)


def batch_indices(n: int, batch: int, steps: int, seed: int) -> Array:
    """(steps, batch) sample indices: each epoch a fresh permutation of 0..n-1 (``default_rng(seed + 1)``),
    cut into batches; a batch never straddles two epochs (the remainder is dropped)."""
    batch = min(batch, n)
    per_epoch = n // batch
    rng = np.random.default_rng(seed + 1)
    epochs = -(-steps // per_epoch)
    out = [rng.permutation(n)[: per_epoch * batch].reshape(per_epoch, batch) for _ in range(epochs)]
    return np.concatenate(out)[:steps]


# ------------------------------------------------------------- training --


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


BLAS_THREADS = 1
"""BLAS threads while training. The matrices are small (batch × 100): a second thread
gains little, and on a busy 2-core machine OpenBLAS's waiting threads made a 200×100
product up to 100× slower in our measurements."""


@lru_cache(maxsize=1)
def _threadpools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads(n: int | None):
    """A context limiting NumPy's BLAS to ``n`` threads (None: leave it alone)."""
    if n is None:
        return contextlib.nullcontext()
    return _threadpools().limit(limits=n, user_api="blas")


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
    mom = cfg.momentum

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
        for n, (mean, var) in enumerate(first.stats, start=1):
            running[f"mean{n}"], running[f"var{n}"] = mean.copy(), var.copy()
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
                for n, (mean, var) in enumerate(last.stats, start=1):
                    rm, rv = running[f"mean{n}"], running[f"var{n}"]
                    rm *= mom
                    rm += (1.0 - mom) * mean
                    rv *= mom
                    rv += (1.0 - mom) * var
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


# ---------------------------------------------------------- reproductions --


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


def weight_scale_sweep(scales: Array | None = None, epochs: int = 10, seed: int = 0,
                       data: Digits | None = None, threads: int | None = BLAS_THREADS) -> Iterator[SweepProgress]:
    """BN vs baseline at each initial weight scale (default ``np.logspace(-4, 0, 20)``).

    result: {"scales", "config", "baseline"/"bn": {"train_acc", "val_acc", "best_val_acc", "loss"} (arrays
    over scales, NaN where not run yet or diverged)}
    """
    scales = np.logspace(-4, 0, 20) if scales is None else np.asarray(scales, dtype=float)
    steps = epochs_to_steps(epochs, WEIGHT_SWEEP.batch, WEIGHT_SWEEP.train_samples)
    base = replace(WEIGHT_SWEEP, steps=steps, seed=seed, record_every=steps)
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

    runs = [(f"{kind}:{n}", replace(base, weight_scale=float(s), bn=kind == "bn"))
            for n, s in enumerate(scales) for kind in ("baseline", "bn")]
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


# ----------------------------------------------------------------- PyTorch --


def torch_net(params: dict[str, Array], cfg: NetConfig):
    """The same network in PyTorch (float64 leaf tensors), with BN running averages as bnviz keeps them.

    Returns (tensors: dict name -> tensor requiring grad, scores(x, training) -> class scores).
    In training mode BN uses the batch statistics and updates the running averages.
    """
    import torch
    import torch.nn.functional as F

    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    act = torch.relu if cfg.activation == "relu" else torch.sigmoid
    running = {n: (torch.zeros(w, dtype=torch.float64), torch.ones(w, dtype=torch.float64))
               for n, w in enumerate(cfg.hidden, start=1)}

    def scores(x, training: bool = True):
        h = x
        for n in range(1, cfg.depth + 1):
            z = h @ t[f"W{n}"]
            if f"b{n}" in t:
                z = z + t[f"b{n}"]
            if cfg.bn:
                rm, rv = running[n]
                z = F.batch_norm(z, rm, rv, t[f"gamma{n}"], t[f"beta{n}"], training=training,
                                 momentum=1.0 - cfg.momentum, eps=cfg.eps)
            h = act(z)
        last = cfg.depth + 1
        return h @ t[f"W{last}"] + t[f"b{last}"]

    return t, scores


def _torch_optimizer(t: dict, cfg: NetConfig):
    import torch

    return torch.optim.Adam(t.values(), lr=cfg.lr) if cfg.optimizer == "adam" else torch.optim.SGD(
        t.values(), lr=cfg.lr)


def torch_losses(cfg: NetConfig, steps: int, data: Digits | None = None) -> list[float]:
    """Training losses of the first ``steps`` steps in PyTorch (float64, ``torch.optim``), starting from
    bnviz's initial weights and using bnviz's batches: the oracle for :func:`numpy_losses`."""
    import torch
    import torch.nn.functional as F

    data = (data or digits()).subset(cfg.train_samples)
    params = init_params(cfg, data.x_train.shape[1], data.classes)
    t, scores = torch_net(params, cfg)
    opt = _torch_optimizer(t, cfg)
    order = batch_indices(len(data.y_train), cfg.batch, steps, cfg.seed)
    x, y = torch.from_numpy(np.ascontiguousarray(data.x_train)), torch.from_numpy(data.y_train)
    out = []
    for idx in order:
        opt.zero_grad()
        loss = F.cross_entropy(scores(x[idx]), y[idx])
        loss.backward()
        opt.step()
        out.append(float(loss.detach()))
    return out


def numpy_losses(cfg: NetConfig, steps: int, data: Digits | None = None) -> list[float]:
    """Training losses of the first ``steps`` steps in bnviz (the same batches as :func:`torch_losses`)."""
    data = (data or digits()).subset(cfg.train_samples)
    flat = Flat(init_params(cfg, data.x_train.shape[1], data.classes))
    opt = optimizer(cfg)
    out = []
    for idx in batch_indices(len(data.y_train), cfg.batch, steps, cfg.seed):
        loss, grads = loss_and_grads(flat.params, data.x_train[idx], data.y_train[idx], cfg)
        opt.step(flat.vector, flat.gather(grads))
        out.append(loss)
    return out


def _torch_train(cfg: NetConfig, data: Digits) -> float:
    """Train in PyTorch as :func:`train` does (same batches, final test-mode accuracy with running
    averages); returns the validation accuracy."""
    import torch
    import torch.nn.functional as F

    t, fwd = torch_net(init_params(cfg, data.x_train.shape[1], data.classes), cfg)
    opt = _torch_optimizer(t, cfg)
    x, y = torch.from_numpy(np.ascontiguousarray(data.x_train)), torch.from_numpy(data.y_train)
    for idx in torch.from_numpy(batch_indices(len(data.y_train), cfg.batch, cfg.steps, cfg.seed)):
        opt.zero_grad()
        F.cross_entropy(fwd(x[idx], True), y[idx]).backward()
        opt.step()
    with torch.no_grad():
        scores = fwd(torch.from_numpy(np.ascontiguousarray(data.x_val)), False)
    return float((scores.argmax(dim=1).numpy() == data.y_val).mean())


@dataclass(frozen=True)
class SweepSpeed:
    """Wall-clock seconds of the weight-scale sweep's networks, NumPy (bnviz) vs PyTorch (CPU, float64).

    runs: networks trained; steps: updates each; threads: PyTorch's threads
    (NumPy's BLAS threads); ratio = numpy_s / torch_s (< 1: NumPy faster).
    """

    numpy_s: float
    torch_s: float | None
    ratio: float | None
    runs: int
    steps: int
    threads: int
    note: str = ""


def compare_sweep_speed(scales: Array | None = None, epochs: int = 10, threads: int | None = None,
                        progress: Callable[[str], None] | None = None) -> SweepSpeed:
    """Time the full weight-scale sweep (20 scales × BN and baseline, 1,000 samples, ``epochs`` epochs,
    batch 50) in bnviz (:func:`weight_scale_sweep`, records and evaluation included) and the same
    networks trained in PyTorch on the same batches.

    Both run with ``threads`` threads (default :data:`BLAS_THREADS`, what training uses): NumPy's
    BLAS through threadpoolctl, PyTorch through ``torch.set_num_threads`` (restored afterwards).
    Without torch installed, ``torch_s`` is None and ``note`` says so.
    """
    say = progress or (lambda _msg: None)
    scales = np.logspace(-4, 0, 20) if scales is None else np.asarray(scales, dtype=float)
    threads = threads or BLAS_THREADS
    data = digits()
    t0 = time.perf_counter()
    finish(weight_scale_sweep(scales, epochs, data=data, threads=threads))
    numpy_s = time.perf_counter() - t0
    steps = epochs_to_steps(epochs, WEIGHT_SWEEP.batch, WEIGHT_SWEEP.train_samples)
    runs = 2 * len(scales)
    say(f"numpy sweep: {numpy_s:.2f} s")
    try:
        import torch
    except ImportError:
        return SweepSpeed(numpy_s, None, None, runs, steps, threads, "torch not installed")
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        sub = data.subset(WEIGHT_SWEEP.train_samples)
        t0 = time.perf_counter()
        for s in scales:
            for bn in (False, True):
                _torch_train(replace(WEIGHT_SWEEP, steps=steps, weight_scale=float(s), bn=bn), sub)
        torch_s = time.perf_counter() - t0
    finally:
        torch.set_num_threads(old)
    say(f"torch sweep: {torch_s:.2f} s")
    return SweepSpeed(numpy_s, torch_s, numpy_s / torch_s, runs, steps, threads)


def percentile_drift(pct: Array) -> float:
    """How far percentile curves (R, 3) move over training: the largest distance from their
    starting value, averaged over the percentiles."""
    p = np.asarray(pct, dtype=float)
    return float(np.abs(p - p[0]).max(axis=0).mean())
