"""Batch Renormalization (Ioffe 2017): the BRN graph, its rules, its derivation, the train/test gap.

With moving μ, σ, a batch is normalised as
  x̂ = r·(x − μ_B)/σ_B + d,  r = clip(σ_B/σ, 1/r_max, r_max),  d = clip((μ_B − μ)/σ, −d_max, d_max)
r and d are computed from the batch but treated as constants by the backward
pass (stop-gradient). In the graph they are leaves, which is exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.graph import Backward, Div, Dot, Graph, Mean, MeanSquare, Node, ScaleShift, SqrtPlus, Sub
from bnviz.i18n import InputError
from bnviz.ops.bn import DOUT, SYM, XHAT, X, Y, batchnorm_forward, i, j, m
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import Derivation, derive, reduce_sums, unchained

Array = np.ndarray

class Clip(sp.Function):
    """clip(x, lo, hi) = min(max(x, lo), hi), printed as clip_[lo, hi](x)."""

    nargs = 3

    def _latex(self, printer, exp=None):  # noqa: ARG002 (SymPy's printer protocol)
        x, lo, hi = (printer._print(a) for a in self.args)
        return rf"\operatorname{{clip}}_{{\left[{lo},\, {hi}\right]}}\left({x}\right)"

    def numeric(self) -> sp.Expr:
        x, lo, hi = self.args
        return sp.Min(sp.Max(x, lo), hi)


class StopGradient(sp.Function):
    """sg(x): the value of x, with no gradient flowing back through it."""

    nargs = 1

    def _latex(self, printer, exp=None):  # noqa: ARG002
        return rf"\operatorname{{sg}}\left({printer._print(self.args[0])}\right)"


_MU_B = S.scalar("mu_Bn", r"\mu_{B}", "μ_B")
RN_SYM = {
    "x": X,
    "mu": _MU_B,
    "xc": S.named_vector("xc_B", S.add(X[S.i], -_MU_B)),
    "var": S.scalar("var_Bn", r"\sigma^{2}_{B}", "σ²_B", nonnegative=True),
    "std": S.scalar("sigma_Bn", r"\sigma_{B}", "σ_B", positive=True),
    "xn": S.vector("xn", r"\tilde{x}", "x̃"),
    "r": S.scalar("r", "r", "r", positive=True),
    "d": S.scalar("d", "d", "d"),
    "xhat": XHAT,
    "y": Y,
    "L": SYM["L"],
    "gamma": SYM["gamma"],
    "beta": SYM["beta"],
    "dout": DOUT,
    "mu_mov": S.scalar("mu_mov", r"\mu", "μ"),
    "sigma_mov": S.scalar("sigma_mov", r"\sigma", "σ", positive=True),
    "rmax": S.scalar("r_max", r"r_{\max}", "r_max", positive=True),
    "dmax": S.scalar("d_max", r"d_{\max}", "d_max", nonnegative=True),
    "alpha": S.scalar("alpha", r"\alpha", "α", positive=True),
}
RN_GRAD = {name: S.grad_symbol(f"{name}_rn", RN_SYM[name])
           for name in ("x", "mu", "xc", "var", "std", "xn", "xhat", "gamma", "beta")}
RN_GRAD["y"] = DOUT
RN_PATHS = ("xhat", "std", "mu")
"""Path labels of dx in Batch Renorm (Ioffe 2017): via x̂, via σ_B, via μ_B."""


def renorm_graph(eps: float) -> Graph:
    """x → μ_B → x − μ_B → σ²_B → σ_B → x̃ = (x − μ_B)/σ_B → x̂ = r·x̃ + d → y → L.

    r and d are leaves (stop-gradient); per-set statistics over axis 0.
    """
    s = RN_SYM
    return Graph((
        Node("mu", Mean((0,)), ("x",), sp.Sum(X[j], (j, 1, m)) / m, path="mu"),
        Node("xc", Sub(), ("x", "mu"), sp.Add(X[i], -s["mu"], evaluate=False)),
        Node("var", MeanSquare((0,)), ("xc",), sp.Sum(s["xc"][j] ** 2, (j, 1, m)) / m),
        Node("std", SqrtPlus(eps), ("var",), sp.sqrt(sp.Add(s["var"], S.eps, evaluate=False)), path="std"),
        Node("xn", Div(), ("xc", "std"), s["xc"][i] / s["std"]),
        Node("xhat", ScaleShift(), ("xn", "r", "d"), sp.Add(s["r"] * s["xn"][i], s["d"], evaluate=False),
             path="xhat"),
        Node("y", ScaleShift(), ("xhat", "gamma", "beta"),
             sp.Add(SYM["gamma"] * XHAT[i], SYM["beta"], evaluate=False)),
        Node("L", Dot(), ("y", "dout"), sp.Sum(DOUT[j] * Y[j], (j, 1, m))),
    ))


RENORM_STRUCTURE = renorm_graph(0.0)


@lru_cache(maxsize=1)
def renorm_rules() -> dict[str, sp.Expr]:
    """r, d (displayed with clip and sg), the moving updates and inference, as SymPy."""
    s = RN_SYM
    return {
        "r": StopGradient(Clip(s["std"] / s["sigma_mov"], 1 / s["rmax"], s["rmax"])),
        "d": StopGradient(Clip((s["mu"] - s["mu_mov"]) / s["sigma_mov"], -s["dmax"], s["dmax"])),
        "mu_mov": S.add(s["mu_mov"], S.mul(s["alpha"], S.add(s["mu"], -s["mu_mov"]))),
        "sigma_mov": S.add(s["sigma_mov"], S.mul(s["alpha"], S.add(s["std"], -s["sigma_mov"]))),
        "y_test": S.add(S.mul(SYM["gamma"], S.add(X[i], -s["mu_mov"]) / s["sigma_mov"]), SYM["beta"]),
    }


def _numeric(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, StopGradient), lambda e: e.args[0]).replace(
        lambda e: isinstance(e, Clip), lambda e: e.numeric())


@lru_cache(maxsize=1)
def _renorm_functions():
    """r, d and the moving updates as NumPy functions of (μ_B, σ_B, μ, σ, r_max, d_max, α)."""
    s = RN_SYM
    args = [s["mu"], s["std"], s["mu_mov"], s["sigma_mov"], s["rmax"], s["dmax"], s["alpha"]]
    rules = renorm_rules()
    return {k: sp.lambdify(args, _numeric(rules[k]), modules="numpy") for k in ("r", "d", "mu_mov", "sigma_mov")}


def check_renorm(rmax: float, dmax: float, alpha: float, mu_mov: Array, sigma_mov: Array,
                 s: int) -> tuple[Array, Array]:
    """Validate BRN's settings; returns μ and σ as (S,) arrays."""
    if not np.isfinite(rmax) or rmax < 1:
        raise InputError("error.norms.rmax", rmax=f"{rmax:g}")
    if not np.isfinite(dmax) or dmax < 0:
        raise InputError("error.norms.dmax", dmax=f"{dmax:g}")
    if not np.isfinite(alpha) or not 0 <= alpha <= 1:
        raise InputError("error.norms.alpha", alpha=f"{alpha:g}")
    mu_mov, sigma_mov = (np.asarray(v, dtype=float).reshape(-1) for v in (mu_mov, sigma_mov))
    mu_mov, sigma_mov = (np.full(s, v[0]) if v.size == 1 else v for v in (mu_mov, sigma_mov))
    for name, v in (("mu", mu_mov), ("sigma", sigma_mov)):
        if v.shape != (s,):
            raise InputError("error.param_len", name=name, n=v.size, d=s)
        if not np.all(np.isfinite(v)):
            raise InputError("error.not_finite_file", what=name)
    if np.any(sigma_mov <= 0):
        raise InputError("error.norms.sigma", value=f"{float(sigma_mov.min()):g}")
    return mu_mov, sigma_mov


@dataclass(frozen=True)
class RenormResult:
    """One Batch Renorm step on an (m, S) matrix.

    values, back: the graph's values and backward (r, d are leaves, shape (1, S))
    r, d: (S,); mu_new, sigma_new: the moving statistics after this batch (S,)
    """

    values: dict[str, Array]
    back: Backward
    eps: float
    r: Array
    d: Array
    mu_new: Array
    sigma_new: Array

    @property
    def dx(self) -> Array:
        return self.back.grads["x"]

    def path(self, label: str) -> Array:
        return self.back.paths["x"][label]


def renorm_run(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, mu_mov: Array,
               sigma_mov: Array, rmax: float, dmax: float, alpha: float = 0.01,
               r: Array | None = None, d: Array | None = None) -> RenormResult:
    """Batch Renorm in training mode on x (m, S) (sets in columns).

    gamma, beta: broadcasting against x, e.g. (S,); mu_mov, sigma_mov: the
    moving statistics before this batch, (S,) or scalars. r and d are
    computed from the batch (or given, to hold them constant).
    """
    x = np.asarray(x, dtype=float)
    mu_mov, sigma_mov = check_renorm(rmax, dmax, alpha, mu_mov, sigma_mov, x.shape[1])
    mu_b = x.mean(axis=0)
    sigma_b = np.sqrt(x.var(axis=0) + eps)
    fn = _renorm_functions()
    args = (mu_b, sigma_b, mu_mov, sigma_mov, rmax, dmax, alpha)
    r = np.broadcast_to(fn["r"](*args) if r is None else r, mu_b.shape).astype(float)
    d = np.broadcast_to(fn["d"](*args) if d is None else d, mu_b.shape).astype(float)
    g = renorm_graph(eps)
    leaves = {"x": x, "gamma": np.asarray(gamma, dtype=float), "beta": np.asarray(beta, dtype=float),
              "dout": np.asarray(dout, dtype=float), "r": r[None, :], "d": d[None, :]}
    values = g.forward(leaves)
    mu_new = np.broadcast_to(fn["mu_mov"](*args), mu_b.shape).astype(float)
    sigma_new = np.broadcast_to(fn["sigma_mov"](*args), mu_b.shape).astype(float)
    return RenormResult(values, g.backward(values), float(eps), r, d, mu_new, sigma_new)


def renorm_inference(x: Array, gamma: Array, beta: Array, mu_mov: Array, sigma_mov: Array) -> Array:
    """BRN at test time: y = γ(x − μ)/σ + β with the moving statistics."""
    return gamma * (x - mu_mov) / sigma_mov + beta


@lru_cache(maxsize=1)
def renorm_derivation() -> Derivation:
    """BRN's backward, derived: ∂L/∂σ_B, ∂L/∂μ_B and the three paths of ∂L/∂x (Ioffe 2017)."""
    d = derive(RENORM_STRUCTURE.nodes, RN_SYM, RN_GRAD, unchain=("xn", "y"))
    s = RN_SYM
    std_expr = sp.sqrt(s["var"] + S.eps)

    def shown(e: sp.Expr) -> sp.Expr:
        """Constants out of sums, σ_B for √(σ²_B + ε), x − μ_B written out."""
        return reduce_sums(e).subs(std_expr, s["std"]).replace(
            lambda a: isinstance(a, sp.Indexed) and a.base == s["xc"],
            lambda a: sp.Add(X[a.indices[0]], -s["mu"], evaluate=False))

    expanded = {k: shown(v) for k, v in d.expanded.items()}
    # ∂L/∂σ²_B in terms of ∂L/∂σ_B, and μ_B's gradient with σ_B's written out
    expanded["var"] = shown(d.back.chain["var"])
    expanded["mu"] = shown(unchained(d.back.chain["mu"], d.back.chain, RN_GRAD, ("xc", "xn", "y")))
    paths = {lab: shown(unchained(d.back.paths["x"][lab], d.back.chain, RN_GRAD, ("xn", "y")))
             for lab in RN_PATHS}
    expanded["x"] = sp.Add(*(paths[lab] for lab in RN_PATHS), evaluate=False)
    return replace(d, expanded=expanded)



# ------------------------------------------------ BRN vs BN: the train/test gap --

EXPERIMENT_SIZES = tuple(range(2, 9))
"""Batch sizes of the experiment (small batches are where BN's statistics are noisy)."""
CLASS_MEANS = (-1.5, -0.5, 0.5, 1.5)
CLASS_STD = 0.5
"""The experiment's population: four equally likely classes N(c, 0.5²); mean 0, variance 1.5."""


@dataclass(frozen=True)
class GapExperiment:
    """Mean |x̂_train − x̂_test| over the last half of the steps, per batch size.

    sizes: the batch sizes m; gaps[(method, batches)]: (len(sizes),) for
    method "bn" or "brn" and batches "iid" (each sample of a random class) or
    "noniid" (all samples of a batch from one class). clipped[(batches)]:
    the fraction of BRN's r and d values that hit a clip bound.
    """

    sizes: tuple[int, ...]
    gaps: dict[tuple[str, str], Array]
    clipped: dict[str, Array]
    steps: int


@lru_cache(maxsize=32)
def gap_experiment(rmax: float, dmax: float, alpha: float, seed: int = 0, steps: int = 400,
                   features: int = 4, eps: float = 1e-5) -> GapExperiment:
    """Stream ``steps`` batches through BN and BRN (one shared moving μ, σ each,
    updated with rate α from μ = 0, σ = 1) and measure how far the training-mode
    output of each batch is from the inference output (moving statistics) for
    the same batch. BRN's r, d come from ``renorm_rules`` (clip); unclipped,
    its two outputs are equal. Cached (the figure reruns for free)."""
    check_renorm(rmax, dmax, alpha, 0.0, 1.0, 1)
    rng = np.random.default_rng(seed)
    sizes = EXPERIMENT_SIZES
    n = max(sizes)
    means = np.asarray(CLASS_MEANS)
    iid = means[rng.integers(0, len(means), (steps, n, features))]
    noniid = np.broadcast_to(means[rng.integers(0, len(means), (steps, 1, 1))], (steps, n, features))
    x = np.stack([iid, noniid], axis=1) + CLASS_STD * rng.standard_normal((steps, 2, n, features))
    fn = _renorm_functions()
    # The batch statistics do not depend on the moving ones: BN over every step at once, per batch size
    # (each (steps, 2, size, F); the two batch kinds share the stream's moving μ, σ, as both methods do).
    runs = [batchnorm_forward(x[:, :, :size], 1.0, 0.0, eps, axis=2) for size in sizes]
    mu_b = np.stack([x[:, :, :size].mean(axis=2, keepdims=True) for size in sizes])  # (S, steps, 2, 1, F)
    sigma_b = np.stack([1.0 / inv_std for _, (_, _, inv_std) in runs])
    mu, sigma = _moving_statistics(fn, mu_b, sigma_b, rmax, dmax, alpha)
    late = slice(steps // 2, None)  # measured over the second half of the stream
    gaps = {key: np.zeros(len(sizes)) for key in
            ((meth, kind) for meth in ("bn", "brn") for kind in ("iid", "noniid"))}
    clipped = {kind: np.zeros(len(sizes)) for kind in ("iid", "noniid")}
    for col, (size, (train_bn, _)) in enumerate(zip(sizes, runs, strict=True)):
        args = (mu_b[col, late], sigma_b[col, late], mu[col, late], sigma[col, late], rmax, dmax, alpha)
        r, d = fn["r"](*args), fn["d"](*args)
        test = renorm_inference(x[late, :, :size], 1.0, 0.0, mu[col, late], sigma[col, late])
        trains = {"bn": train_bn[late], "brn": r * train_bn[late] + d}  # x̂ = r·x̃ + d, BRN's ScaleShift node
        hit = (r != args[1] / args[3]) | (d != (args[0] - args[2]) / args[3])
        for k, kind in enumerate(("iid", "noniid")):
            for meth, train in trains.items():
                gaps[(meth, kind)][col] = np.abs(train[:, k] - test[:, k]).mean()
            clipped[kind][col] = hit[:, k].mean()
    return GapExperiment(sizes, gaps, clipped, steps)


def _moving_statistics(fn: dict, mu_b: Array, sigma_b: Array, rmax: float, dmax: float,
                       alpha: float) -> tuple[Array, Array]:
    """The moving μ, σ in force at each step (from μ = 0, σ = 1): arrays shaped like ``mu_b`` (…, steps, …).

    mu_b, sigma_b: (S, steps, 2, 1, F), the batches' statistics; step t's values are updated with them after use.
    """
    mu, sigma = np.zeros_like(mu_b), np.ones_like(sigma_b)
    for t in range(mu_b.shape[1] - 1):
        args = (mu_b[:, t], sigma_b[:, t], mu[:, t], sigma[:, t], rmax, dmax, alpha)
        mu[:, t + 1], sigma[:, t + 1] = fn["mu_mov"](*args), fn["sigma_mov"](*args)
    return mu, sigma
