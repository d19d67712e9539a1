"""Switch a path off: BN's backward with one of its terms removed, from the one BN graph.

The graph's backward record (:class:`bnviz.graph.Backward`) splits dx by the
last labelled node the gradient passed through: dx = via x̂ + via σ² + via μ
(``paths["x"]``). The μ path carries ∂L/∂μ, which the record splits again
(``paths["mu"]``): the part that reached μ through x̂ and the part that reached
it through σ². That σ² part of ∂L/∂μ (``mu_via_var``) is ∂L/∂σ² · (−2/m) Σᵢ(xᵢ − μ),
exactly 0 because Σᵢ(xᵢ − μ) = 0 (here: zero up to rounding, since the sum is
computed); pushed on through μ's local backward it is the ``mu_via_var`` term of dx.

:func:`ablate` returns the ablated dx = dx − the removed part (exactly that
subtraction), the centred finite-difference check of the TRUE loss against it
(which fails by the removed part's size) and Σᵢ ∂L/∂xᵢ (0 for the true gradient,
no longer 0 once the μ path, or the x̂ path, is removed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnviz import gradcheck
from bnviz.data import Problem
from bnviz.i18n import InputError, t
from bnviz.ops import bn

Array = np.ndarray

ABLATIONS = ("xhat", "var", "mu", "mu_via_var")
"""What can be switched off: one of the three paths to x, or the σ² term inside ∂L/∂μ."""

HARMLESS = frozenset({"mu_via_var"})
"""Removals that leave dx unchanged: Σᵢ(xᵢ − μ) = 0 makes the σ² term of ∂L/∂μ exactly 0."""


def removed_part(result: bn.BNResult, removed: str) -> Array:
    """The part of dx that ``removed`` carries, from the graph's backward record. Shape of x, (m, D).

    ``xhat``, ``var``, ``mu``: ``paths["x"][name]``. ``mu_via_var``: the σ² part
    of ∂L/∂μ (``paths["mu"]["var"]``, shape (1, D)) through μ's own local
    backward (the graph's node ``mu``), i.e. spread evenly over the m samples.
    """
    if removed not in ABLATIONS:
        raise InputError("error.learn.ablate", value=removed, choices=", ".join(ABLATIONS))
    back, values = result.back, result.values
    if removed != "mu_via_var":
        return np.asarray(back.paths["x"][removed])
    node = bn.STRUCTURE.node("mu")
    (part,) = node.op.backward(back.paths["mu"]["var"], [values["x"]], values["mu"])
    return np.asarray(part)


def dmu_via_var(result: bn.BNResult) -> Array:
    """The σ² term of ∂L/∂μ per feature, (D,): ∂L/∂σ² · (−2/m) Σᵢ(xᵢ − μ) (0 up to rounding)."""
    return np.asarray(result.back.paths["mu"]["var"]).reshape(-1)


@dataclass(frozen=True)
class Ablation:
    """One removal and what it does.

    removed:    the name (one of ABLATIONS)
    part:       the removed part of dx, (m, D)
    dx_true:    the graph's dx, (m, D)
    dx:         dx_true − part, (m, D): the gradient without it
    sum_true:   Σᵢ ∂L/∂xᵢ per feature for the true dx, (D,) (0 up to rounding)
    sum:        the same for the ablated dx, (D,)
    numeric:    centred finite differences of the true loss at ``entries``, (K,)
    entries:    the (i, j) entries of x checked
    rel_error:  cs231n's relative error of the ablated dx against ``numeric``
    rel_error_true: the same for the true dx (passes: < gradcheck.THRESHOLD)
    harmless:   whether the removal leaves dx unchanged (see HARMLESS)
    """

    removed: str
    part: Array
    dx_true: Array
    dx: Array
    sum_true: Array
    sum: Array
    numeric: Array
    entries: tuple[tuple[int, int], ...]
    rel_error: float
    rel_error_true: float
    harmless: bool

    @property
    def size(self) -> float:
        """max |removed part|: how far the ablated dx moved."""
        return float(np.max(np.abs(self.part))) if self.part.size else 0.0

    @property
    def passed(self) -> bool:
        """Whether the ablated dx still passes the gradient check."""
        return self.rel_error < gradcheck.THRESHOLD

    def as_json(self) -> dict:
        """The CLI's ``ablation`` key: ``removed``, ``dx``, ``rel_error`` and a few more."""
        return {
            "removed": self.removed,
            "dx": self.dx.tolist(),
            "rel_error": self.rel_error,
            "rel_error_true": self.rel_error_true,
            "removed_max_abs": self.size,
            "sum_dx": self.sum.tolist(),
            "sum_dx_true": self.sum_true.tolist(),
            "harmless": self.harmless,
        }


def check_entries(p: Problem, max_entries: int = gradcheck.MAX_ENTRIES) -> list[tuple[int, int]]:
    """The entries of x the gradient check nudges (all, or a fixed sample as ``gradcheck.check_bn``)."""
    all_x = [(i, j) for i in range(p.m) for j in range(p.d)]
    if len(all_x) <= max_entries:
        return all_x
    pick = np.random.default_rng(0).choice(len(all_x), max_entries, replace=False)
    return [all_x[k] for k in sorted(pick)]


def ablate(p: Problem, removed: str, result: bn.BNResult | None = None) -> Ablation:
    """Remove ``removed`` from the batch's backward pass and check what is left.

    p: the batch (x, dout (m, D); γ, β (D,)); result: its ``bn.bn_run`` (computed if not given).
    """
    if removed not in ABLATIONS:
        raise InputError("error.learn.ablate", value=removed, choices=", ".join(ABLATIONS))
    r = result if result is not None else bn.bn_run(p.x, p.gamma, p.beta, p.dout, p.eps)
    part = removed_part(r, removed)
    dx_true = np.asarray(r.dx)
    dx = dx_true - part
    entries = check_entries(p)
    rows, cols = (np.array(v, dtype=int) for v in zip(*entries, strict=True))
    numeric = gradcheck.numeric_grads(p, entries)["dx"]
    return Ablation(
        removed=removed, part=part, dx_true=dx_true, dx=dx,
        sum_true=dx_true.sum(axis=0), sum=dx.sum(axis=0),
        numeric=numeric, entries=tuple(entries),
        rel_error=gradcheck.rel_error(dx[rows, cols], numeric),
        rel_error_true=gradcheck.rel_error(dx_true[rows, cols], numeric),
        harmless=removed in HARMLESS,
    )


def _e(v: float) -> str:
    return f"{v:.2e}"


def columns(ab: Ablation, lang: str) -> dict[str, list[str]]:
    """What the removal does, as two text columns (quantity, value): the lesson's table."""
    rows = [
        ("row_size", ab.size),
        ("row_rel", ab.rel_error),
        ("row_rel_true", ab.rel_error_true),
        ("row_sum", float(np.max(np.abs(ab.sum)))),
        ("row_sum_true", float(np.max(np.abs(ab.sum_true)))),
    ]
    return {t("learn.ablation.quantity", lang): [t(f"learn.ablation.{k}", lang) for k, _ in rows],
            t("learn.ablation.value", lang): [_e(v) for _, v in rows]}


def verdict(ab: Ablation, lang: str) -> str:
    """One sentence: harmless and why, or the gradient check failing by how much."""
    path = t(f"learn.ablation.name.{ab.removed}", lang)
    key = "learn.ablation.harmless" if ab.harmless else "learn.ablation.fail"
    return t(key, lang, path=path, err=_e(ab.rel_error), size=_e(ab.size))
