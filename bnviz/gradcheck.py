"""Centred finite differences against each backward form (cs231n's check).

``rel_error`` is cs231n's: max |a − b| / max(1e-8, |a| + |b|); below 1e-8
the analytic gradient is taken to be right. Large batches are checked on a
fixed random sample of entries of x (cs231n's ``grad_check_sparse``); γ and
β are always checked in full.
"""

from __future__ import annotations

from collections.abc import Callable
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


def numeric_grad(f: Callable[[Array], float], a: Array, entries: list[tuple[int, ...]], h: float = H) -> Array:
    """(f(a + h·e) − f(a − h·e)) / 2h at each of ``entries``; returns a 1-D array."""
    out = np.empty(len(entries))
    for n, idx in enumerate(entries):
        old = a[idx]
        a[idx] = old + h
        plus = f(a)
        a[idx] = old - h
        minus = f(a)
        a[idx] = old
        out[n] = (plus - minus) / (2 * h)
    return out


@dataclass(frozen=True)
class GradCheck:
    """Results: rows of (quantity, form, relative error), and how many x entries."""

    rows: tuple[tuple[str, str, float], ...]
    checked: int
    total: int

    def passed(self, err: float) -> bool:
        return err < THRESHOLD


def check_bn(p: Problem, max_entries: int = MAX_ENTRIES) -> GradCheck:
    """Check dx, dγ, dβ of every form in ``norms.BACKWARD_FORMS``."""
    x, gamma, beta = p.x.copy(), p.gamma.copy(), p.beta.copy()

    def loss(x_: Array, g_: Array, b_: Array) -> float:
        out, _ = norms.batchnorm_forward(x_, g_, b_, p.eps)
        return float(np.sum(p.dout * out))

    all_x = [(i, j) for i in range(x.shape[0]) for j in range(x.shape[1])]
    if len(all_x) > max_entries:
        pick = np.random.default_rng(0).choice(len(all_x), max_entries, replace=False)
        entries = [all_x[k] for k in sorted(pick)]
    else:
        entries = all_x
    num = {
        "dx": numeric_grad(lambda a: loss(a, gamma, beta), x, entries),
        "dgamma": numeric_grad(lambda a: loss(x, a, beta), gamma, [(j,) for j in range(gamma.size)]),
        "dbeta": numeric_grad(lambda a: loss(x, gamma, a), beta, [(j,) for j in range(beta.size)]),
    }
    rows = []
    rows_idx, cols_idx = np.array(entries).T
    for form, (dx, dgamma, dbeta) in norms.all_backward_forms(p.x, p.gamma, p.beta, p.dout, p.eps).items():
        rows.append(("dx", form, rel_error(dx[rows_idx, cols_idx], num["dx"])))
        rows.append(("dgamma", form, rel_error(dgamma, num["dgamma"])))
        rows.append(("dbeta", form, rel_error(dbeta, num["dbeta"])))
    return GradCheck(tuple(rows), len(entries), len(all_x))


def form_differences(p: Problem) -> dict[tuple[str, str], float]:
    """max |dx_a − dx_b| for each pair of backward forms."""
    forms = norms.all_backward_forms(p.x, p.gamma, p.beta, p.dout, p.eps)
    names = list(forms)
    return {
        (a, b): float(np.max(np.abs(forms[a][0] - forms[b][0])))
        for n, a in enumerate(names) for b in names[n + 1:]
    }
