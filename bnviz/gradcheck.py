"""Centred finite differences against each backward form (cs231n's check).

``rel_error`` is cs231n's: max |a − b| / max(1e-8, |a| + |b|); below 1e-8
the analytic gradient is taken to be right. Large batches are checked on a
fixed random sample of entries of x (cs231n's ``grad_check_sparse``); γ and
β are always checked in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnviz.data import Problem
from bnviz.ops import bn

Array = np.ndarray
THRESHOLD = 1e-8
MAX_ENTRIES = 64
H = 1e-3


def rel_error(a: Array, b: Array) -> float:
    """cs231n's relative error, the worst entry."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) if a.size else 0.0


def bn_losses(p: Problem, xs: Array, gammas: Array, betas: Array, douts: Array | None = None) -> Array:
    """L = Σ dout·BN(x) for a stack of inputs at once.

    xs: (K, m, D'), gammas and betas: (K, 1, D'), douts: (K, m, D') (default
    ``p.dout``), or anything broadcasting to those. Returns (K,).
    """
    out, _ = bn.batchnorm_forward(xs, gammas, betas, p.eps, axis=1)
    return ((p.dout if douts is None else douts) * out).sum(axis=(1, 2))


def _slope(f, bump: Array) -> Array:
    """Fourth-order centred difference of ``f`` along ``bump`` (whose size is h):
    (−f(+2h) + 8f(+h) − 8f(−h) + f(−2h)) / 12h. Its truncation error is O(h⁴), so
    h can be large enough (1e-3) that rounding in the sums stays far below
    the 1e-8 threshold."""
    h = np.abs(bump).reshape(bump.shape[0], -1).max(axis=1)  # one step size per copy
    return (-f(2 * bump) + 8 * f(bump) - 8 * f(-bump) + f(-2 * bump)) / (12 * h)


def numeric_grads(p: Problem, entries: list[tuple[int, int]], h: float = H) -> dict[str, Array]:
    """Centred differences of L at the given entries of x and at every γ_j, β_j.

    The step for x[i, j] is h·√(σ_j² + ε); γ and β are stepped by h.

    Batch norm treats columns independently, so nudging x[i, j], γ_j or β_j
    changes only column j's share of L: each nudged copy is that one column,
    and all of them are evaluated in one vectorised pass. Returns
    {"dx": (len(entries),), "dgamma": (D,), "dbeta": (D,)}.
    """
    rows, cols = (np.array(v, dtype=int) for v in zip(*entries, strict=True))
    # the step scales with each column's spread, so a nearly constant column is
    # nudged gently (√(σ²+ε) is its natural unit)
    step = h * np.sqrt(p.x.var(axis=0) + p.eps)

    def column_loss(cols_: Array):
        """f(bump_x, bump_g, bump_b) -> the loss of each selected column."""
        x, dout = p.x[:, cols_].T[:, :, None], p.dout[:, cols_].T[:, :, None]  # (K, m, 1)
        g, b = p.gamma[cols_][:, None, None], p.beta[cols_][:, None, None]  # (K, 1, 1)
        return lambda bx=0.0, bg=0.0, bb=0.0: bn_losses(p, x + bx, g + bg, b + bb, dout)

    bump = np.zeros((len(entries), p.m, 1))
    bump[np.arange(len(entries)), rows, 0] = step[cols]
    f_x = column_loss(cols)
    f_d = column_loss(np.arange(p.d))
    ones = np.full((p.d, 1, 1), h)
    return {
        "dx": _slope(lambda bx: f_x(bx=bx), bump),
        "dgamma": _slope(lambda bg: f_d(bg=bg), ones),
        "dbeta": _slope(lambda bb: f_d(bb=bb), ones),
    }


@dataclass(frozen=True)
class GradCheck:
    """Results: rows of (quantity, form, relative error, absolute error), and
    how many entries of x were checked out of how many."""

    rows: tuple[tuple[str, str, float, float], ...]
    checked: int
    total: int

    def passed(self, err: float) -> bool:
        return err < THRESHOLD


def check_bn(p: Problem, forms: dict[str, tuple[Array, Array, Array]],
             max_entries: int = MAX_ENTRIES) -> GradCheck:
    """Check dx, dγ, dβ of every form (``bn.all_backward_forms``'s result)."""
    all_x = [(i, j) for i in range(p.m) for j in range(p.d)]
    if len(all_x) > max_entries:
        pick = np.random.default_rng(0).choice(len(all_x), max_entries, replace=False)
        entries = [all_x[k] for k in sorted(pick)]
    else:
        entries = all_x
    num = numeric_grads(p, entries)
    rows = []
    rows_idx, cols_idx = np.array(entries).T
    for form, (dx, dgamma, dbeta) in forms.items():
        for name, analytic in (("dx", dx[rows_idx, cols_idx]), ("dgamma", dgamma), ("dbeta", dbeta)):
            analytic = np.ravel(analytic)
            rows.append((name, form, rel_error(analytic, num[name]), float(np.max(np.abs(analytic - num[name])))))
    return GradCheck(tuple(rows), len(entries), len(all_x))


def form_differences(forms: dict[str, tuple[Array, Array, Array]]) -> dict[tuple[str, str], float]:
    """max |dx_a − dx_b| for each pair of backward forms."""
    names = list(forms)
    return {
        (a, b): float(np.max(np.abs(forms[a][0] - forms[b][0])))
        for n, a in enumerate(names) for b in names[n + 1:]
    }
