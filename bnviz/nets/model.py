"""The network: ``(affine → [BN] → activation) × L → affine → softmax loss``, its forward and backward.

Every layer is the one implementation in :mod:`bnviz.ops.layers` (batch norm from
:mod:`bnviz.ops.bn`); nothing is re-derived here. With ``NetConfig.ablate`` every
BN layer's backward drops one term (:mod:`bnviz.nets.ablation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bnviz.i18n import InputError
from bnviz.nets.ablation import ABLATIONS, ablated_dx
from bnviz.ops import layers

Array = np.ndarray

ACTIVATIONS = ("relu", "sigmoid")
OPTIMIZERS = ("adam", "sgd")
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
    ablate:       None, or a term removed from every BN layer's backward
                  (one of :data:`bnviz.nets.ablation.ABLATIONS`): a broken backward
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
    ablate: str | None = None

    @property
    def depth(self) -> int:
        return len(self.hidden)


def check_config(cfg: NetConfig) -> NetConfig:
    """The config, or InputError naming the first value out of range."""
    if cfg.activation not in ACTIVATIONS:
        raise InputError("error.nets.activation", value=cfg.activation, choices=", ".join(ACTIVATIONS))
    if cfg.optimizer not in OPTIMIZERS:
        raise InputError("error.nets.optimizer", value=cfg.optimizer, choices=", ".join(OPTIMIZERS))
    if cfg.ablate is not None and cfg.ablate not in ABLATIONS:
        raise InputError("error.nets.ablate", value=cfg.ablate, choices=", ".join(ABLATIONS))
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
            if cfg.ablate is not None:
                dz = ablated_dx(da, c_bn, cfg.ablate)[0]
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
