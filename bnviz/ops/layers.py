"""The layers around BN, in cs231n style: ``*_forward(...) -> (out, cache)``, ``*_backward(dout, cache)``.

Each layer is defined once, NumPy forward and local backward side by side,
vectorised and in float64. Batch norm itself lives in :mod:`bnviz.ops.bn`
(``batchnorm_forward`` and the closed-form ``batchnorm_backward_alt``, already
in the (out, cache) / (dout, cache) shape) and :mod:`bnviz.ops.testmode`
(``batchnorm_test``); they are re-exported here so a network can treat every
layer alike.

The SymPy side (:func:`derivations`) writes each layer as an expression and
*derives* its backward from it: the affine layer with matrix calculus, the
softmax cross-entropy loss with indexed sums (reduced by
:func:`bnviz.symbolic.derivation.reduce_sums`), ReLU and sigmoid element-wise. The
lessons show those derived formulas; the tests check that they reproduce the
NumPy numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.ops.bn import batchnorm_backward_alt as batchnorm_backward
from bnviz.ops.bn import batchnorm_forward
from bnviz.ops.testmode import batchnorm_test
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import reduce_sums

Array = np.ndarray

__all__ = ["batchnorm_backward", "batchnorm_forward", "batchnorm_test"]  # BN, re-exported (see above)


# ------------------------------------------------------------------ affine --


def affine_forward(x: Array, w: Array, b: Array | None) -> tuple[Array, tuple]:
    """out = x·w + b.

    x: (N, D), w: (D, M), b: (M,) or None (no bias: the layer feeds a BN
    layer, whose β plays that role). Returns out (N, M) and the cache (x, w).
    """
    out = x @ w
    if b is not None:
        out += b
    return out, (x, w)


def affine_backward(dout: Array, cache: tuple, bias: bool = True) -> tuple[Array, Array, Array | None]:
    """dout: (N, M). Returns dx (N, D) = dout·wᵀ, dw (D, M) = xᵀ·dout, db (M,) = Σᵢ dout (None if ``bias`` is False)."""
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0) if bias else None


# ------------------------------------------------------------- activations --


def relu_forward(x: Array) -> tuple[Array, Array]:
    """out = max(0, x), any shape. The cache is x."""
    return np.maximum(x, 0.0), x


def relu_backward(dout: Array, cache: Array) -> Array:
    """dx = dout where x > 0, else 0 (the gradient at the kink x = 0 is taken as 0). Same shape as dout."""
    return np.where(cache > 0, dout, 0.0)


def sigmoid(x: Array) -> Array:
    """σ(x) = 1/(1 + e⁻ˣ), written as (1 + tanh(x/2))/2: no overflow for any x."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_forward(x: Array) -> tuple[Array, Array]:
    """out = σ(x), any shape. The cache is out (the derivative needs only σ)."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout: Array, cache: Array) -> Array:
    """dx = dout · σ(x)(1 − σ(x)). Same shape as dout."""
    return dout * cache * (1.0 - cache)


def sigmoid_grad(x: Array) -> Array:
    """σ'(x) = σ(x)(1 − σ(x)), element-wise."""
    s = sigmoid(x)
    return s * (1.0 - s)


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
}
"""Activation name -> (forward, backward)."""


# ------------------------------------------------------------ softmax loss --


def softmax(x: Array) -> Array:
    """Row-wise softmax of scores x: (N, C) -> probabilities (N, C) (max subtracted for stability)."""
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_loss(x: Array, y: Array) -> tuple[float, Array]:
    """Softmax cross-entropy averaged over the batch, and its gradient.

    x: (N, C) scores, y: (N,) integer labels in 0..C-1.
    Returns loss (float) and dx (N, C) = (p − onehot(y)) / N.
    """
    n = x.shape[0]
    z = x - x.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p = z - log_norm
    rows = np.arange(n)
    loss = -float(log_p[rows, y].sum()) / n
    dx = np.exp(log_p)
    dx[rows, y] -= 1.0
    dx /= n
    return loss, dx


def onehot(y: Array, c: int) -> Array:
    """y: (N,) labels -> (N, c) one-hot float64."""
    out = np.zeros((y.shape[0], c))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


# ------------------------------------------------------------------ SymPy --

# element symbols: sample i, class/unit j, summation index k
i, j, k = sp.symbols("i j k", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)
C = sp.Symbol("C", integer=True, positive=True)
SCORES = S.vector("s", "s")
PROBS = S.vector("p", "p")
TARGETS = S.vector("label", "t")
"""Class labels t_i (y is BN's output in this course)."""
Z = S.scalar("z", "z", real=True)
SIG = S.scalar("sigma", r"\sigma", positive=True)
TAU = S.scalar("tau", r"\tau", positive=True)
LOSS = S.scalar("loss", "L")


def _msym(name: str, tex: str, rows: sp.Basic, cols: sp.Basic) -> sp.MatrixSymbol:
    """A matrix symbol printed as ``tex``."""
    return sp.MatrixSymbol(tex, rows, cols)


@dataclass(frozen=True)
class LayerDerivation:
    """Every formula of the layers around BN, derived by SymPy once.

    softmax:       p_ij as a function of the scores
    loss:          L = −(1/N) Σᵢ log p_{i,yᵢ}, written with the scores
    dscores:       ∂L/∂s_ij derived from ``loss`` (reduced), in terms of p
    affine:        S = A·W + 1·b (matrices; b a row vector)
    affine_grads:  name ("A", "W", "b") -> (symbol, derived ∂L/∂name), from tr(Gᵀ S)
    relu, drelu:   max(0, z) and its derivative (Heaviside θ(z))
    sigmoid:       1/(1 + e^{−z})
    dsigmoid_raw:  dσ/dz as SymPy differentiates it
    dsigmoid:      the same rewritten in σ itself: σ(1 − σ)
    threshold:     the |z| beyond which σ'(z) < τ, solved for z
    dsigmoid_max:  the largest value of σ'(z) (at z = 0)
    """

    softmax: sp.Expr
    loss: sp.Expr
    dscores: sp.Expr
    affine: sp.Expr
    affine_grads: dict[str, tuple[sp.Basic, sp.Expr]]
    relu: sp.Expr
    drelu: sp.Expr
    sigmoid: sp.Expr
    dsigmoid_raw: sp.Expr
    dsigmoid: sp.Expr
    threshold: sp.Expr
    dsigmoid_max: sp.Expr
    symbols: dict[str, sp.Basic]


@lru_cache(maxsize=1)
def derivations() -> LayerDerivation:
    """Derive the softmax loss, affine, ReLU and sigmoid backward formulas (~0.5 s, cached)."""
    # softmax cross-entropy: differentiate the mean loss w.r.t. one score s[a, j]
    a = sp.Symbol("a", integer=True, positive=True)
    s, y = SCORES, TARGETS
    softmax_e = sp.exp(s[i, j]) / sp.Sum(sp.exp(s[i, k]), (k, 1, C))
    loss = -sp.Sum(s[i, y[i]] - sp.log(sp.Sum(sp.exp(s[i, k]), (k, 1, C))), (i, 1, N)) / N
    d = reduce_sums(sp.diff(loss, s[a, j]))
    total = sp.Sum(sp.exp(s[a, k]), (k, 1, C))
    d = sp.expand(d.subs(sp.exp(s[a, j]), PROBS[a, j] * total)).subs(a, i)
    # (p − δ)/N: the 1/N factored out, p first
    inner = sp.expand(d * N)
    dscores = sp.Mul(sp.Add(*sorted(sp.Add.make_args(inner), key=lambda e: e.has(sp.KroneckerDelta)),
                            evaluate=False), 1 / N, evaluate=False)
    loss_shown = -sp.Sum(sp.log(PROBS[i, y[i]]), (i, 1, N)) / N

    # affine: matrix calculus on tr(Gᵀ S), G = ∂L/∂S
    nn, dd, cc = sp.symbols("N D C", integer=True, positive=True)
    A = _msym("A", "A", nn, dd)
    W = _msym("W", "W", dd, cc)
    b = _msym("b", "b", 1, cc)  # a row vector, so no transposed gradient appears
    ones = _msym("1", r"\mathbf{1}", nn, 1)
    scores = _msym("S", "S", nn, cc)
    G = S.grad_matrix(scores)
    affine = A * W + ones * b
    surrogate = sp.Trace(G.T * affine)
    affine_grads = {name: (sym, sp.diff(surrogate, sym)) for name, sym in (("A", A), ("W", W), ("b", b))}

    relu = sp.Max(0, Z)
    drelu = sp.diff(relu, Z)

    sig = 1 / (1 + sp.exp(-Z))
    dsig_raw = sp.diff(sig, Z)
    (e_of_sig,) = sp.solve(sp.Eq(SIG, sig), sp.exp(-Z))
    dsig = sp.factor(sp.simplify(dsig_raw.subs(sp.exp(-Z), e_of_sig)))
    dsig = sp.Mul(SIG, sp.cancel(dsig / SIG), evaluate=False)  # σ times the rest
    # σ'(z) = τ: the larger root σ, then z = σ⁻¹(σ) (the curve is symmetric about 0)
    roots = sp.solve(sp.Eq(dsig, TAU), SIG)
    upper = max(roots, key=lambda r: float(r.subs(TAU, sp.Rational(1, 10))))
    (z_of_sig,) = sp.solve(sp.Eq(SIG, sig), Z)
    threshold = sp.simplify(z_of_sig.subs(SIG, upper))
    if isinstance(threshold, sp.log):  # log(−u/−v) reads better as log(u/v)
        num, den = sp.fraction(threshold.args[0])
        if num.could_extract_minus_sign():
            threshold = sp.log(sp.Mul(-num, 1 / -den, evaluate=False), evaluate=False)
    (z0,) = sp.solve(sp.diff(dsig_raw, Z), Z)
    dsig_max = sp.simplify(dsig_raw.subs(Z, z0))
    symbols = {"A": A, "W": W, "b": b, "ones": ones, "G": G, "S": scores}
    return LayerDerivation(softmax_e, loss_shown, dscores, affine, affine_grads, relu, drelu, sig, dsig_raw,
                           dsig, threshold, dsig_max, symbols)


def saturation_threshold(tau: float) -> float:
    """|z| beyond which σ'(z) < τ (0 < τ < 1/4), from the derived formula."""
    return float(derivations().threshold.subs(TAU, tau))
