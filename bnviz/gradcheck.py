"""Centred finite differences against each backward form (cs231n's check).

``rel_error`` is cs231n's: max |a − b| / max(1e-8, |a| + |b|); below 1e-8
the analytic gradient is taken to be right. Large batches are checked on a
fixed random sample of entries of x (cs231n's ``grad_check_sparse``); γ and
β are always checked in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnviz import norms
from bnviz.data import Problem

Array = np.ndarray
THRESHOLD = 1e-8
MAX_ENTRIES = 64
H = 1e-5


def rel_error(a: Array, b: Array) -> float:
    """cs231n's relative error, the worst entry."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) if a.size else 0.0


def bn_losses(p: Problem, xs: Array, gammas: Array, betas: Array) -> Array:
    """L = Σ dout·BN(x) for a stack of inputs at once.

    xs: (K, m, D), gammas and betas: (K, 1, D), or anything broadcasting to
    those. Returns (K,).
    """
    out, _ = norms.batchnorm_forward(xs, gammas, betas, p.eps, axis=1)
    return (p.dout * out).sum(axis=(1, 2))


def numeric_grads(p: Problem, entries: list[tuple[int, int]], h: float = H) -> dict[str, Array]:
    """Centred differences of L at the given entries of x and at every γ_j, β_j.

    Every nudged copy is evaluated in one vectorised pass. Returns
    {"dx": (len(entries),), "dgamma": (D,), "dbeta": (D,)}.
    """
    d = p.d
    rows, cols = (np.array(v, dtype=int) for v in zip(*entries, strict=True))
    k = np.arange(len(entries))
    bump = np.zeros((len(entries), p.m, d))
    bump[k, rows, cols] = h
    x, g, b = p.x[None], p.gamma[None, None], p.beta[None, None]
    dx = (bn_losses(p, x + bump, g, b) - bn_losses(p, x - bump, g, b)) / (2 * h)
    eye = np.eye(d)[:, None, :] * h
    dgamma = (bn_losses(p, x, g + eye, b) - bn_losses(p, x, g - eye, b)) / (2 * h)
    dbeta = (bn_losses(p, x, g, b + eye) - bn_losses(p, x, g, b - eye)) / (2 * h)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


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
    """Check dx, dγ, dβ of every form (``norms.all_backward_forms``'s result)."""
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
