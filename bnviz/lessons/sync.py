"""Batch norm on several devices: per-device BN, synchronized BN and GroupNorm side by side.

The sidebar's batch x (M, D) and ∂L/∂y are split into k equal consecutive
slices (k a page control, 1..8, dividing M). Numbers from
:mod:`bnviz.ops.sync` (per-device BN and GroupNorm through the one BN
graph, SyncBN as the device-by-device all-reduce); formulas from the BN
derivation (:func:`bnviz.ops.bn_derivation`) with the batch size renamed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import data
from bnviz.i18n import InputError, t
from bnviz.ops import bn as bn_ops
from bnviz.ops import sync as Y
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S
from bnviz.symbolic.derivation import reduce_sums

Array = np.ndarray

FORWARD = ("split", "local", "allreduce", "normalize", "groupnorm")
BACKWARD = ("local_grads", "allreduce_back", "paths", "equal", "gn_back", "small")
STEPS = tuple(f"forward.{n}" for n in FORWARD) + tuple(f"backward.{n}" for n in BACKWARD)
DEFAULTS = {"devices": 0, "groups": 1}
"""devices 0: the largest count up to 4 that divides M (so every sidebar batch has a default)."""

LABELS = {"mu_dev": "μ_d", "var_dev": "σ²_d", "devices": "k", "per_device": "n = M/k"}
WORDED = ("device", "sum_x", "sum_x2", "gn_y", "dx_local", "sum_dxhat", "sum_dxhat_xhat", "dx_whole", "max_diff",
          "gn_dx", "gn_diff", "mean_dev", "var_ratio")
"""Value ids whose display names carry words, in the catalog in both languages (``step.sync.label.<id>``)."""


def labels(lang: str) -> dict[str, str]:
    """The value ids' display names in ``lang``."""
    return {**LABELS, **{k: t(f"step.sync.label.{k}", lang) for k in WORDED}}


FOCUS = {"split": "x", "local": "mu", "allreduce": "var", "normalize": "xhat", "groupnorm": "xhat",
         "local_grads": "x", "allreduce_back": "xhat", "paths": "x", "equal": "x", "gn_back": "x", "small": "var"}


def default_devices(m: int) -> int:
    return max(k for k in (1, 2, 3, 4) if m % k == 0)


@dataclass(frozen=True)
class SyncLesson:
    problem: data.Problem
    k: int
    groups: int
    devices: list[Y.DeviceBN]
    sync: Y.SyncBN
    whole: bn_ops.BNResult
    gn: Y.GroupNormRun
    spread: dict[str, Array]


def compute(settings: Settings, devices: int = DEFAULTS["devices"], groups: int = DEFAULTS["groups"]) -> SyncLesson:
    """The lesson's numbers. Raises InputError (k not dividing M, groups not dividing D, bad sidebar input)."""
    p = data.make_problem(settings)
    k = default_devices(p.m) if int(devices) == 0 else Y.check_devices(p.m, devices)
    groups = int(groups)
    if groups < 1 or p.d % groups:
        raise InputError("error.sync.groups", g=groups, d=p.d)
    per = Y.per_device(p.x, p.gamma, p.beta, p.dout, p.eps, k)
    sync = Y.sync_bn(p.x, p.gamma, p.beta, p.dout, p.eps, k)
    whole = Y.bn_columns(p.x, p.gamma, p.beta, p.dout, p.eps)
    gn = Y.group_norm(p.x, p.gamma, p.beta, p.dout, p.eps, groups, k)
    return SyncLesson(p, k, groups, per, sync, whole, gn, Y.estimate_spread(p.x, Y.divisors(p.m)))


# ---------------------------------------------------------------- formulas --

n_sym, k_sym, M_sym = (sp.Symbol(name, integer=True, positive=True) for name in ("n", "k", "M"))
dev = sp.Symbol("d", integer=True, positive=True)
# Notation only: names of each device's sums (Σx, Σx², Σ∂L/∂x̂, Σ∂L/∂x̂·x̂) and statistics.
SUM_X, SUM_X2 = S.vector("sum_x", r"S^{x}"), S.vector("sum_x2", r"S^{x^{2}}")
SUM_G, SUM_GX = S.vector("sum_g", r"S^{\partial \hat{x}}"), S.vector("sum_gx", r"S^{\partial \hat{x} \cdot \hat{x}}")
MU_D = S.vector("mu_dev", r"\mu^{\mathrm{dev}}")
VAR_D = S.vector("var_dev", r"\sigma^{2,\mathrm{dev}}")
"""Device d's own variance of its n samples (the variance a small per-device batch would use)."""


def _eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
    return f"{P.latex(lhs)} = {P.latex(rhs)}"


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[str, ...]]:
    """step name -> formula lines (SymPy), cached."""
    d = bn_ops.bn_derivation()
    X, mu, var, j, m = bn_ops.X, bn_ops.SYM["mu"], bn_ops.SYM["var"], S.j, S.m
    on_device = {m: n_sym}
    whole = {m: M_sym}
    var_def = sp.Sum(sp.expand((X[j] - mu) ** 2), (j, 1, m)) / m
    var_sums = sp.expand(reduce_sums(var_def, {sp.Sum(X[j], (j, 1, m)): m * mu})).subs(whole)
    sum_x2 = sp.Sum(X[j] ** 2, (j, 1, M_sym))
    var_reduced = var_sums.subs(sum_x2, sp.Sum(SUM_X2[dev], (dev, 1, k_sym)))
    dx_closed = d.dx_closed
    xh, g = bn_ops.SYM["xhat"], bn_ops.GRAD["xhat"]
    terms = sp.Add.make_args(sp.expand(dx_closed))
    by_path = {"xhat": sp.S.Zero, "mu": sp.S.Zero, "var": sp.S.Zero}
    for term in terms:
        if term.has(xh[S.i]):
            by_path["var"] += term
        elif term.has(sp.Sum):
            by_path["mu"] += term
        else:
            by_path["xhat"] += term
    gx = bn_ops.GRAD["x"][S.i]
    n_g, d_sym, g_sym = sp.Symbol("n_G", integer=True, positive=True), *sp.symbols("D G", integer=True, positive=True)
    return {
        "split": (_eq(M_sym, k_sym * n_sym),),
        "local": (_eq(bn_ops.SYM["mu"], d.definitions["mu"].subs(on_device)),
                  _eq(var, bn_ops.display_form(d.definitions["var"]).subs(on_device))),
        "allreduce": (_eq(SUM_X[dev], sp.Sum(X[j], (j, 1, n_sym))), _eq(SUM_X2[dev], sp.Sum(X[j] ** 2, (j, 1, n_sym))),
                      _eq(mu, sp.Sum(SUM_X[dev], (dev, 1, k_sym)) / M_sym),
                      _eq(var, var_sums), _eq(var, var_reduced)),
        "normalize": (_eq(xh[S.i], bn_ops.display_form(d.definitions["xhat"])),
                      _eq(bn_ops.Y[S.i], d.definitions["y"])),
        "groupnorm": (_eq(n_g, d_sym / g_sym), _eq(mu, d.definitions["mu"].subs(m, n_g)),
                      _eq(var, bn_ops.display_form(d.definitions["var"]).subs(m, n_g))),
        "local_grads": (_eq(gx, S.rename(dx_closed, on_device)),),
        "allreduce_back": (_eq(SUM_G[dev], sp.Sum(g[j], (j, 1, n_sym))),
                           _eq(SUM_GX[dev], sp.Sum(g[j] * xh[j], (j, 1, n_sym))),
                           _eq(gx, S.rename(dx_closed, whole))),
        "paths": tuple(_eq(S.via(gx, bn_ops.SYM[p]), by_path[p].subs(whole)) for p in ("xhat", "var", "mu")),
        "equal": (_eq(gx, sp.Add(*(by_path[p].subs(whole) for p in ("xhat", "var", "mu")), evaluate=False)),),
        "gn_back": (_eq(gx, S.rename(dx_closed, {m: n_g})),),
        "small": (_eq(MU_D[dev], d.definitions["mu"].subs(on_device)),
                  _eq(P.Expected(VAR_D[dev]), S.mul(S.add(n_sym, -1) / n_sym, var))),
    }


# -------------------------------------------------------------------- code --

BN_DX = ("def bn_dx(xp, dp):\n"
         "    n_ = xp.shape[0]\n"
         "    std_ = np.sqrt(xp.var(axis=0) + eps)\n"
         "    xh = (xp - xp.mean(axis=0)) / std_\n"
         "    g = dp * gamma\n"
         "    return (n_ * g - g.sum(axis=0) - xh * (g * xh).sum(axis=0)) / (n_ * std_)\n")
GN = ("def gn_parts(xp, dp):\n"
      "    n_ = xp.shape[0]\n"
      "    xg = xp.reshape(n_, groups, -1)\n"
      "    std_ = np.sqrt(xg.var(axis=2, keepdims=True) + eps)\n"
      "    xh = (xg - xg.mean(axis=2, keepdims=True)) / std_\n"
      "    g = (dp * gamma).reshape(n_, groups, -1)\n"
      "    c = xg.shape[2]\n"
      "    dxp = (c * g - g.sum(axis=2, keepdims=True) - xh * (g * xh).sum(axis=2, keepdims=True)) / (c * std_)\n"
      "    return gamma * xh.reshape(n_, -1) + beta, dxp.reshape(n_, -1)\n")
CODE = {
    "split": "M = x.shape[0]\nn = M // k\nxs, ds = np.split(x, k), np.split(dout, k)\n"
             "device = np.repeat(np.arange(1, k + 1), n).astype(float)",
    "local": "mu_dev = np.array([p.mean(axis=0) for p in xs])\nvar_dev = np.array([p.var(axis=0) for p in xs])",
    "allreduce": "sum_x = np.array([p.sum(axis=0) for p in xs])\nsum_x2 = np.array([(p * p).sum(axis=0) for p in xs])\n"
                 "mu = sum_x.sum(axis=0) / M\nvar = np.maximum(sum_x2.sum(axis=0) / M - mu**2, 0.0)",
    "normalize": "std = np.sqrt(var + eps)\nxhat = (x - mu) / std\ny = gamma * xhat + beta",
    "groupnorm": GN + "gn_y = gn_parts(x, dout)[0]",
    "local_grads": BN_DX + "dx_local = np.concatenate([bn_dx(p, q) for p, q in zip(xs, ds)])",
    "allreduce_back": "dxhat = dout * gamma\n"
                      "sum_dxhat = np.array([g.sum(axis=0) for g in np.split(dxhat, k)])\n"
                      "sum_dxhat_xhat = np.array([(g * h).sum(axis=0) for g, h in zip(np.split(dxhat, k), "
                      "np.split(xhat, k))])",
    "paths": "dx_xhat = dxhat / std\ndx_var = -xhat * sum_dxhat_xhat.sum(axis=0) / (M * std)\n"
             "dx_mu = np.broadcast_to(-sum_dxhat.sum(axis=0) / (M * std), x.shape).copy()\n"
             "dx = dx_xhat + dx_var + dx_mu",
    "equal": "dx_whole = bn_dx(x, dout)\nmax_diff = np.array(np.abs(dx - dx_whole).max())",
    "gn_back": "gn_dx = gn_parts(x, dout)[1]\n"
               "gn_diff = np.array(np.abs(gn_dx - np.concatenate([gn_parts(p, q)[1] for p, q in zip(xs, ds)])).max())",
    "small": "sizes = [q for q in range(1, 9) if M % q == 0]\nsafe = np.where(x.var(axis=0) > 0, x.var(axis=0), 1.0)\n"
             "devices = np.array(sizes, dtype=float)\nper_device = M / devices\n"
             "mean_dev = np.array([np.mean([np.abs(p.mean(axis=0) - x.mean(axis=0)) for p in np.split(x, q)]) "
             "for q in sizes])\n"
             "var_ratio = np.array([np.mean([p.var(axis=0) / safe for p in np.split(x, q)]) for q in sizes])",
}


def values(le: SyncLesson) -> dict[str, dict[str, Array]]:
    p, s, k = le.problem, le.sync, le.k
    n = p.m // k
    dx_local = np.concatenate([dv.dx for dv in le.devices])
    gn_split = np.concatenate(le.gn.device_dx)
    sp_ = le.spread
    return {
        "split": {"x": p.x, "dout": p.dout, "device": np.repeat(np.arange(1, k + 1), n).astype(float)},
        "local": {"mu_dev": np.array([dv.mean for dv in le.devices]),
                  "var_dev": np.array([dv.var for dv in le.devices])},
        "allreduce": {"sum_x": s.sums["x"], "sum_x2": s.sums["x2"], "mu": s.mean, "var": s.var},
        "normalize": {"std": s.std, "xhat": s.xhat, "y": s.y},
        "groupnorm": {"gn_y": le.gn.y},
        "local_grads": {"dx_local": dx_local},
        "allreduce_back": {"sum_dxhat": s.sums["dxhat"], "sum_dxhat_xhat": s.sums["dxhat_xhat"]},
        "paths": {"dx_xhat": s.paths["xhat"], "dx_var": s.paths["var"], "dx_mu": s.paths["mu"], "dx": s.dx},
        "equal": {"dx_whole": le.whole.dx, "max_diff": np.array(np.abs(s.dx - le.whole.dx).max())},
        "gn_back": {"gn_dx": le.gn.dx, "gn_diff": np.array(np.abs(le.gn.dx - gn_split).max())},
        "small": {"devices": sp_["devices"], "per_device": sp_["per_device"], "mean_dev": sp_["mean_dev"],
                  "var_ratio": sp_["var_ratio"]},
    }


def walkthrough(settings: Settings, lang: str, devices: int = DEFAULTS["devices"],
                groups: int = DEFAULTS["groups"]) -> Walkthrough:
    """The several-devices lesson as steps (course entry point)."""
    le = compute(settings, devices, groups)
    return build(le, settings, lang)


def build(le: SyncLesson, settings: Settings, lang: str) -> Walkthrough:
    lines, vals = formulas(), values(le)
    fields = {"k": le.k, "n": le.problem.m // le.k, "m": le.problem.m, "g": le.groups,
              "diff": f"{float(vals['equal']['max_diff']):.1e}", "gn_diff": f"{float(vals['gn_back']['gn_diff']):.1e}"}
    steps = []
    for key in STEPS:
        phase, name = key.split(".")
        steps.append(Step(key, phase, t(f"step.sync.{name}.title", lang), lines[name], (),
                          t(f"step.sync.{name}.note", lang, **fields), vals[name], FOCUS[name], CODE[name]))
    setup = "\n".join([data.setup_code(le.problem, settings), f"k, groups = {le.k}, {le.groups}"])
    record = {**asdict(settings), "devices": le.k, "groups": le.groups}
    return Walkthrough("sync", t("page.sync.title", lang), lang, record, tuple(steps), setup, labels(lang))
