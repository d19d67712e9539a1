"""Folding a test-mode batch norm into the layer before it (affine or conv).

At inference BN is a fixed affine map per output channel, so it can be
absorbed by the preceding linear layer. The rule is *derived* here: SymPy
composes the layer z = L(x) + b (L linear: x·W for affine, the correlation
with W for conv) with test-mode BN

    y = γ·(z − μ_run)/√(σ²_run + ε) + β

and reads y off as a·L(x) + c: a = ∂y/∂L(x) is the factor every weight of
that output channel is multiplied by, c = y at L(x) = 0 is the new bias::

    W′ = W·γ/√(σ²_run + ε),   b′ = (b − μ_run)·γ/√(σ²_run + ε) + β

The numbers come from those derived expressions (``lambdify``), never from a
hand-typed copy. Shapes (cs231n): affine W (D_in, D_out), b (D_out,); conv W
(F, C, HH, WW), b (F,); γ, β, μ_run, σ²_run one per output channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.i18n import InputError
from bnviz.ops import conv as conv_op
from bnviz.symbolic import symbols as S

Array = np.ndarray

LAYERS = ("affine", "conv")

k, n_in = sp.Symbol("k", integer=True, positive=True), sp.Symbol("D_in", integer=True, positive=True)
c, r, s = sp.symbols("c r s", integer=True, nonnegative=True)
C, HH, WW = sp.symbols("C HH WW", integer=True, positive=True)
h, w = sp.symbols("h w", integer=True, nonnegative=True)
j = S.j

SYM = {
    "x": sp.IndexedBase("x"),
    "W": sp.IndexedBase("W"),
    "Wf": sp.IndexedBase("W'"),
    "b": S.scalar("b_j", "b_{j}", "b"),
    "bf": S.scalar("bf_j", "b'_{j}", "b'"),
    "z": S.scalar("z_j", "z_{j}", "z"),
    "y": S.scalar("y_j", "y_{j}", "y"),
    "yf": S.scalar("yf_j", "y'_{j}", "y'"),
    "lin": sp.Symbol("ell_j"),
    "gamma": S.scalar("gamma_j", r"\gamma_{j}", "γ"),
    "beta": S.scalar("beta_j", r"\beta_{j}", "β"),
    "mu": S.scalar("mu_run_j", r"\mu_{\mathrm{run},j}", "μ_run"),
    "var": S.scalar("var_run_j", r"\sigma^{2}_{\mathrm{run},j}", "σ²_run", nonnegative=True),
}
"""Per output channel j; the text names (labels of a whole value, every channel) carry no j."""


def linear_part(layer: str) -> sp.Expr:
    """L(x) for output j: Σ_k x_k W_kj (affine) or Σ_{c,r,s} W_{j,c,r,s} x_{c,h+r,w+s} (conv)."""
    x, W = SYM["x"], SYM["W"]
    if layer == "affine":
        return sp.Sum(x[k] * W[k, j], (k, 1, n_in))
    return sp.Sum(W[j, c, r, s] * x[c, h + r, w + s], (c, 1, C), (r, 0, HH - 1), (s, 0, WW - 1))


def bn_test(z: sp.Expr) -> sp.Expr:
    """Test-mode BN of one value z of output channel j."""
    g = SYM
    return g["gamma"] * (z - g["mu"]) / sp.sqrt(g["var"] + S.eps) + g["beta"]


@dataclass(frozen=True)
class FoldDerivation:
    """The fold rule, derived. lin: L(x); layer: z = L(x) + b; composed: BN(z);
    scale: ∂y/∂L(x) (multiplies W); bias: y at L(x) = 0 (the new b); folded: y = L′(x) + b′."""

    lin: sp.Expr
    layer: sp.Expr
    composed: sp.Expr
    scale: sp.Expr
    bias: sp.Expr
    folded_lin: sp.Expr
    check: sp.Expr


@lru_cache(maxsize=len(LAYERS))
def derivation(layer: str) -> FoldDerivation:
    """Compose the layer with test-mode BN and read off W′ and b′ (cached)."""
    lin = linear_part(layer)
    ell = SYM["lin"]
    z = ell + SYM["b"]
    y = bn_test(z)
    scale = sp.simplify(sp.diff(y, ell))
    bias = sp.simplify(y.subs(ell, 0))
    check = sp.simplify(y - (scale * ell + bias))  # 0: y is exactly a·L(x) + c
    W, Wf = SYM["W"], SYM["Wf"]
    folded_lin = lin.subs(W, Wf)
    return FoldDerivation(lin, sp.Add(lin, SYM["b"], evaluate=False), y.subs(ell, lin), scale, bias, folded_lin,
                          check)


@lru_cache(maxsize=1)
def _functions():
    g = SYM
    d = derivation("affine")
    args = (g["gamma"], g["var"], S.eps)
    scale = sp.lambdify(args, d.scale, modules="numpy")
    bias = sp.lambdify((g["b"], g["mu"], g["gamma"], g["beta"], g["var"], S.eps), d.bias, modules="numpy")
    return scale, bias


def layer_of(w: Array) -> str:
    """"affine" for a 2-D W (D_in, D_out), "conv" for a 4-D W (F, C, HH, WW)."""
    if w.ndim == 2:
        return "affine"
    if w.ndim == 4:
        return "conv"
    raise InputError("error.fold.w_rank", shape=str(tuple(w.shape)))


def _vec(v: Array | float, n: int, name: str) -> Array:
    v = np.asarray(v, dtype=float).reshape(-1)
    if v.size == 1:
        v = np.full(n, v[0])
    if v.shape != (n,):
        raise InputError("error.param_len", name=name, n=v.size, d=n)
    if not np.all(np.isfinite(v)):
        raise InputError("error.not_finite_file", what=name)
    return v


@dataclass(frozen=True)
class Fold:
    """A folded layer. w, b: the layer's; w_fold, b_fold: the folded ones (same shapes);
    scale: γ/√(σ²_run + ε) per output channel (D_out,) or (F,)."""

    layer: str
    w: Array
    b: Array
    gamma: Array
    beta: Array
    running_mean: Array
    running_var: Array
    eps: float
    scale: Array
    w_fold: Array
    b_fold: Array


def fold(w: Array, b: Array | float, gamma: Array | float, beta: Array | float, running_mean: Array | float,
         running_var: Array | float, eps: float) -> Fold:
    """Fold test-mode BN into the layer with weights ``w``.

    w: (D_in, D_out) affine or (F, C, HH, WW) conv; b, gamma, beta, running_mean,
    running_var: (D_out,) / (F,) or one number for all. Raises InputError for
    shapes that do not fit, non-finite values, σ²_run < 0 or σ²_run + ε = 0.
    """
    w = np.asarray(w, dtype=float)
    layer = layer_of(w)
    if not np.all(np.isfinite(w)):
        raise InputError("error.not_finite_file", what="W")
    n_out = w.shape[1] if layer == "affine" else w.shape[0]
    b, g, be, mu, var = (_vec(v, n_out, name) for v, name in ((b, "b"), (gamma, "gamma"), (beta, "beta"),
                                                            (running_mean, "running_mean"),
                                                            (running_var, "running_var")))
    eps = float(eps)
    if not np.isfinite(eps) or eps < 0:
        raise InputError("error.fold.eps", eps=eps)
    if np.any(var < 0):
        raise InputError("error.norms.negative_var", value=f"{float(var.min()):g}")
    if np.any(var + eps == 0):
        raise InputError("error.norms.zero_var_eps0")
    scale_fn, bias_fn = _functions()
    scale = np.asarray(scale_fn(g, var, eps), dtype=float)
    b_fold = np.asarray(bias_fn(b, mu, g, be, var, eps), dtype=float)
    w_fold = w * (scale[None, :] if layer == "affine" else scale[:, None, None, None])
    return Fold(layer, w, b, g, be, mu, var, eps, scale, w_fold, b_fold)


def layer_forward(x: Array, w: Array, b: Array) -> Array:
    """The layer alone: affine x (N, D_in) -> (N, D_out), conv x (N, C, H, W) -> (N, F, H−HH+1, W−WW+1)
    (stride 1, no padding)."""
    if w.ndim == 2:
        return x @ w + b
    return conv_op.forward(x, w, b, 1, 0)[0]


def bn_test_forward(z: Array, f: Fold) -> Array:
    """Test-mode BN per output channel (axis 1) of the layer's output z."""
    shape = (1, -1) + (1,) * (z.ndim - 2)
    return (f.gamma.reshape(shape) * (z - f.running_mean.reshape(shape))
            / np.sqrt(f.running_var.reshape(shape) + f.eps) + f.beta.reshape(shape))
