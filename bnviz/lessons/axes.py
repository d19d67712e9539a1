"""Which axes? One (N, C, H, W) tensor, five ways to choose the cells averaged together.

Every member of the family is batch norm on a rearranged matrix
(:class:`bnviz.ops.family.Layout`): the cells of each normalisation set become one
column of an (m, S) matrix and the BN graph runs on it. So the formulas are
BN's (derived once, :func:`bnviz.ops.bn.bn_derivation`) with m counting the
cells of one set, and the step tables show one set (column) at a time. For
conv BN the page adds Caffe's way of taking the mean: two matrix-vector
products with vectors of ones (Caffe's batch_norm_layer.cpp gemv calls).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import data
from bnviz.i18n import InputError, t
from bnviz.ops import bn, family
from bnviz.settings import Settings
from bnviz.steps import LABELS as BASE_LABELS
from bnviz.steps import Step, Table, Walkthrough, feature_table
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

KINDS = family.KINDS
LIMITS = {"n": (1, 6), "c": (1, 8), "h": (1, 5), "w": (1, 5), "groups": (1, 8)}
"""Ranges of the page's shape sliders (small: every cell is drawn)."""
DEFAULTS = {"norm": "batch", "groups": 2, "n": 2, "c": 4, "h": 3, "w": 3}

LABELS = {"num_by_chans": "t", "mu_caffe": "μ (Caffe)", "var_caffe": "σ² (Caffe)",
          "dgamma": "∂L/∂γ_c", "dbeta": "∂L/∂β_c"}

SETS = S.scalar("sets", "S", positive=True, integer=True)
"""The number of sets the statistics are taken over (one μ, σ² each)."""
SIZE = {n: S.scalar(f"size_{n}", n, positive=True, integer=True) for n in ("N", "C", "H", "W", "G")}
"""The tensor's dimensions as symbols (printed N, C, H, W, G)."""


@dataclass(frozen=True)
class Axes:
    """The tensor, its layout and the BN graph run on its (m, S) matrix."""

    tensor: Array
    dout: Array
    gamma: Array
    beta: Array
    eps: float
    run: family.NormRun
    notes: tuple[tuple[str, dict], ...] = ()

    @property
    def layout(self) -> family.Layout:
        return self.run.layout


def tensors(settings: Settings, shape: tuple[int, ...]) -> tuple[Array, Array]:
    """x and ∂L/∂y as the sidebar describes them: drawn as an (N, C·H·W) batch
    and reshaped to ``shape``; a typed-in x (N rows, C numbers each) is used
    as an (N, C, 1, 1) tensor instead, whatever ``shape`` says."""
    if settings.dist == "custom":
        typed = data.parse_matrix(settings.x_text, "x")
        x = typed.reshape(*typed.shape, 1, 1)
        shape = x.shape
    else:
        n, rest = shape[0], int(np.prod(shape[1:]))
        x = data.draw_x(settings.dist, n, rest, np.random.default_rng(settings.seed)).reshape(shape)
    if settings.upstream == "ones":
        dout = np.ones(shape)
    elif settings.upstream == "custom":
        typed = data.parse_matrix(settings.dout_text, "dout")
        if typed.size != x.size or typed.shape[0] != shape[0]:
            raise InputError("error.dout_shape", x=str(x.shape[:2]), dout=str(typed.shape))
        dout = typed.reshape(shape)
    else:
        dout = np.random.default_rng(settings.seed + 1).standard_normal(shape)
    return x, dout


def _check_size(name: str, value: int) -> int:
    lo, hi = LIMITS[name]
    if not lo <= int(value) <= hi:
        raise InputError("error.norms.size", name=name.upper(), value=value, lo=lo, hi=hi)
    return int(value)


def run_tensor(x: Array, dout: Array, gamma: Array, beta: Array, eps: float, norm: str, groups: int) -> Axes:
    """A family member on any (N, C) or (N, C, H, W) tensor (the CLI's 4-D input too)."""
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    if dout.shape != x.shape:
        raise InputError("error.dout_shape", x=str(x.shape), dout=str(dout.shape))
    if not math_ok(eps):
        raise InputError("error.eps", eps=eps)
    run = family.norm_run(x, gamma, beta, dout, eps, norm, groups)
    g, b = family.check_params(gamma, beta, x.shape[1])
    notes: list[tuple[str, dict]] = []
    lay = run.layout
    const = np.ptp(lay.to_sets(x), axis=0) == 0
    if lay.m == 1 or np.any(const):
        if eps == 0:
            raise InputError("error.norms.const_set_eps0")
        notes.append(("step.axes.const_note", {"count": int(const.sum()), "total": lay.sets}))
    return Axes(x, dout, g, b, float(eps), run, tuple(notes))


def math_ok(eps: float) -> bool:
    return bool(np.isfinite(eps) and eps >= 0)


def compute(settings: Settings, norm: str = DEFAULTS["norm"], groups: int = DEFAULTS["groups"],
            n: int = DEFAULTS["n"], c: int = DEFAULTS["c"], h: int = DEFAULTS["h"],
            w: int = DEFAULTS["w"]) -> Axes:
    """The sidebar's tensor of shape (n, c, h, w) under ``norm``. Raises InputError."""
    shape = tuple(_check_size(k, v) for k, v in (("n", n), ("c", c), ("h", h), ("w", w)))
    x, dout = tensors(settings, shape)
    family.layout(x.shape, norm, int(groups))  # the clear sentence for groups that do not divide C
    ax = run_tensor(x, dout, settings.gamma, settings.beta, settings.eps, norm, int(groups))
    if settings.dist == "custom":
        ax = replace(ax, notes=(("step.axes.custom_note", {"n": x.shape[0], "c": x.shape[1]}), *ax.notes))
    return ax


# ---------------------------------------------------------------- formulas --


def count_expr(lay: family.Layout) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """m and S as products of the tensor's dimensions, and of their values (unevaluated)."""
    names = ("N", "C", "H", "W")[: len(lay.shape)] if len(lay.shape) == 4 else ("N", "C")
    if lay.kind == "group":
        dims = [SIZE["N"], SIZE["G"], SIZE["C"] / SIZE["G"], *(SIZE[k] for k in names[2:])]
        nums = [lay.shape[0], lay.groups, lay.shape[1] // lay.groups, *lay.shape[2:]]
    else:
        dims, nums = [SIZE[k] for k in names], list(lay.shape)

    def prod(items: list, axes: tuple[int, ...]) -> sp.Expr:
        chosen = [items[a] for a in axes]
        return chosen[0] if len(chosen) == 1 else sp.Mul(*chosen, evaluate=False)

    return prod(dims, lay.reduce), prod(nums, lay.reduce), prod(dims, lay.keep), prod(nums, lay.keep)


def count_text(lay: family.Layout) -> str:
    """m as plain text for sentences: "N·H·W", "(C/G)·H·W"."""
    names = ["N", "C", "H", "W"][: len(lay.shape)]
    if lay.kind == "group":
        names = ["N", "G", "(C/G)", *names[2:]]
    return "·".join(names[a] for a in lay.reduce)


def _counted(expr: sp.Expr, m_value: sp.Expr) -> str:
    """``expr`` printed with the count m written as the product it is (m = N H W)."""
    return P.latex(expr, {S.m: P.latex(m_value)})


@lru_cache(maxsize=64)
def formulas(kind: str, shape: tuple[int, ...], groups: int) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step key -> (formula lines, local lines) for this layout; printed from SymPy. Cached."""
    lay = family.layout(shape, kind, groups)
    d = bn.bn_derivation()
    m_dims, m_nums, s_dims, s_nums = count_expr(lay)
    count = P.eq(S.m, m_dims, *((m_nums,) if isinstance(m_nums, sp.Mul) else ()), lay.m)
    sets = P.eq(SETS, s_dims, *((s_nums,) if isinstance(s_nums, sp.Mul) else ()), lay.sets)
    disp = bn.display_form
    g = {k: (v[S.i] if isinstance(v, sp.IndexedBase) else v) for k, v in bn.GRAD.items()}
    sym = bn.SYM
    out = {
        "forward.sets": ((count, sets), ()),
        "forward.mu": ((f"{P.latex(sym['mu'])} = {P.latex(d.definitions['mu'])}",
                        f"{P.latex(sym['mu'])} = {_counted(d.definitions['mu'], m_dims)}"), ()),
        "forward.var": ((f"{P.latex(sym['var'])} = {P.latex(disp(d.definitions['var']))}",), ()),
        "forward.xhat": ((f"{P.latex(bn.XHAT[S.i])} = {P.latex(disp(d.definitions['xhat']))}",), ()),
        "forward.y": ((f"{P.latex(bn.Y[S.i])} = {P.latex(d.definitions['y'])}",), ()),
        "backward.dx": ((f"{P.latex(g['x'])} = {P.latex(d.expanded['x'])}",
                         f"{P.latex(g['x'])} = {P.latex(d.dx_closed)}"), ()),
    }
    # γ_c, β_c belong to channel c whatever the statistics' axes: their gradients sum over the other axes
    idx = [sp.Symbol(k.lower(), integer=True, positive=True) for k in ("N", "C", "H", "W")[: len(shape)]]
    limits = [(ix, 1, SIZE[k]) for ix, k in zip(idx, ("N", "C", "H", "W"), strict=False) if k != "C"]
    dout4, xhat4 = sp.IndexedBase(sym["dout"].label), sp.IndexedBase(bn.XHAT.label)
    gamma_c, beta_c = S.scalar("gamma_c", r"\gamma_{c}"), S.scalar("beta_c", r"\beta_{c}")
    dgamma = sp.Sum(dout4[tuple(idx)] * xhat4[tuple(idx)], *limits)
    dbeta = sp.Sum(dout4[tuple(idx)], *limits)
    out["backward.dparams"] = ((P.eq(S.grad_element(gamma_c), dgamma), P.eq(S.grad_element(beta_c), dbeta)), ())
    if kind == "batch" and len(shape) == 4:
        size = SIZE
        nc = sp.Mul(size["N"], size["C"], evaluate=False)
        hw = sp.Mul(size["H"], size["W"], evaluate=False)
        nhw = sp.Mul(size["N"], size["H"], size["W"], evaluate=False)
        n, c, h, w = idx
        xmat = sp.MatrixSymbol("X", nc, hw)
        ones_hw = sp.MatrixSymbol(r"\mathbf{1}_{HW}", hw, 1)
        ones_n = sp.MatrixSymbol(r"\mathbf{1}_{N}", size["N"], 1)
        tvec, tmat = sp.MatrixSymbol("t", nc, 1), sp.MatrixSymbol("T", size["N"], size["C"])
        t_el = sp.IndexedBase("t")
        x4 = sp.IndexedBase(bn.X.label)
        row = S.add(S.mul(S.add(n, -1), size["C"]), c)
        out["forward.caffe"] = ((P.relations(P.element_of(xmat, P.real_matrices(nc, hw)),
                                             P.eq(xmat[row, S.add(S.mul(S.add(h, -1), size["W"]), w)], x4[n, c, h, w])),
                                 P.eq(tvec, sp.MatMul(sp.Pow(nhw, -1, evaluate=False), xmat, ones_hw)),
                                 P.eq(tmat[n, c], t_el[row]),
                                 P.eq(sym["mu"], tmat.T * ones_n)), ())
    return out


# ------------------------------------------------------------------ values --


def step_keys(lay: family.Layout) -> tuple[str, ...]:
    caffe = ("forward.caffe",) if lay.kind == "batch" and len(lay.shape) == 4 else ()
    return ("forward.sets", "forward.mu", "forward.var", "forward.xhat", "forward.y", *caffe,
            "backward.dx", "backward.dparams")


def caffe_mean(tensor: Array) -> tuple[Array, Array]:
    """Caffe's per-channel mean of an (N, C, H, W) blob: two gemv with vectors of ones (Caffe's batch_norm_layer.cpp).

    Returns t as (N, C) (the spatial means, "num_by_chans") and μ (C,).
    """
    n, c, h, w = tensor.shape
    spatial_sum_multiplier, batch_sum_multiplier = np.ones(h * w), np.ones(n)
    num_by_chans = (tensor.reshape(n * c, h * w) @ spatial_sum_multiplier / (n * h * w)).reshape(n, c)
    return num_by_chans, num_by_chans.T @ batch_sum_multiplier


def values(ax: Axes) -> dict[str, dict[str, Array]]:
    r = ax.run.bn
    v, gr = r.values, r.back.grads

    def f(a: Array) -> Array:
        return np.asarray(a).reshape(-1)

    out = {
        "forward.sets": {"x": v["x"]},
        "forward.mu": {"x": v["x"], "mu": f(v["mu"])},
        "forward.var": {"xc": v["xc"], "var": f(v["var"])},
        "forward.xhat": {"xc": v["xc"], "std": f(v["std"]), "xhat": v["xhat"]},
        "forward.y": {"xhat": v["xhat"], "gamma": v["gamma"], "beta": v["beta"], "y": v["y"]},
        "backward.dx": {"dout": v["dout"], "dxhat": gr["xhat"], **{f"dx_{p}": r.path(p) for p in bn.PATHS},
                        "dx": gr["x"]},
        "backward.dparams": {"dgamma": ax.run.dgamma, "dbeta": ax.run.dbeta},
    }
    if "forward.caffe" in step_keys(ax.layout):
        num_by_chans, mu = caffe_mean(ax.tensor)
        out["forward.caffe"] = {"num_by_chans": num_by_chans, "mu_caffe": mu}
    return out


def code(lay: family.Layout) -> dict[str, str]:
    nd = len(lay.shape)
    chan = (1, -1) + (1,) * (nd - 2)
    to_sets = f".reshape({lay.work}).transpose({lay.perm}).reshape({lay.m}, {lay.sets})"
    out = {
        "forward.sets": "\n".join([
            f"x = tensor{to_sets}",
            f"dout = dtensor{to_sets}",
            f"gamma = np.broadcast_to(gamma_c.reshape({chan}), tensor.shape){to_sets}",
            f"beta = np.broadcast_to(beta_c.reshape({chan}), tensor.shape){to_sets}",
            "m = x.shape[0]",
        ]),
        "forward.mu": "mu = x.mean(axis=0)",
        "forward.var": "xc = x - mu\nvar = (xc ** 2).mean(axis=0)",
        "forward.xhat": "std = np.sqrt(var + eps)\nxhat = xc / std",
        "forward.y": "y = gamma * xhat + beta",
        "forward.caffe": "\n".join([
            "n, c, h, w = tensor.shape",
            "spatial_sum_multiplier, batch_sum_multiplier = np.ones(h * w), np.ones(n)",
            "num_by_chans = (tensor.reshape(n * c, h * w) @ spatial_sum_multiplier / (n * h * w)).reshape(n, c)",
            "mu_caffe = num_by_chans.T @ batch_sum_multiplier",
        ]),
        "backward.dx": "\n".join([
            "dxhat = gamma * dout",
            "dvar = -(dxhat * xc).sum(axis=0) / (2 * std ** 3)",
            "dmu = -(dxhat / std).sum(axis=0) - dvar * 2 * xc.sum(axis=0) / m",
            "dx_xhat = dxhat / std",
            "dx_var = dvar * 2 * xc / m",
            "dx_mu = np.broadcast_to(dmu / m, x.shape)",
            "dx = dx_xhat + dx_var + dx_mu",
        ]),
        "backward.dparams": "\n".join([
            f"dgamma = (dtensor * (xhat.reshape({[lay.work[k] for k in lay.perm]})"
            f".transpose({tuple(np.argsort(lay.perm).tolist())}).reshape(tensor.shape)))"
            f".sum(axis={tuple(k for k in range(nd) if k != 1)})",
            f"dbeta = dtensor.sum(axis={tuple(k for k in range(nd) if k != 1)})",
        ]),
    }
    return out


def setup(ax: Axes, settings: Settings | None) -> str:
    shape = ax.tensor.shape
    n, rest = shape[0], int(np.prod(shape[1:]))
    lines = ["import numpy as np", "", f"shape, eps = {shape}, {ax.eps!r}"]
    drawn = settings is not None and settings.dist in data.DRAWS
    if drawn:
        expr = data.DRAWS[settings.dist][1].replace("rng", "np.random.default_rng(seed)").replace("(m, d)",
                                                                                                  f"({n}, {rest})")
        lines += [f"seed = {settings.seed}", f"tensor = ({expr}).reshape(shape)"]
    else:
        lines.append(f"tensor = np.array({ax.tensor.tolist()!r})")
    if settings is not None and settings.upstream == "ones":
        lines.append("dtensor = np.ones(shape)")
    elif settings is not None and settings.upstream == "random" and drawn:
        lines.append("dtensor = np.random.default_rng(seed + 1).standard_normal(shape)")
    else:
        lines.append(f"dtensor = np.array({ax.dout.tolist()!r})")
    lines += [f"gamma_c, beta_c = np.array({ax.gamma.tolist()!r}), np.array({ax.beta.tolist()!r})"]
    return "\n".join(lines)


def labels(lang: str) -> dict[str, str]:
    del lang  # notation only
    return dict(LABELS)


def compare_table(lay: family.Layout, lang: str) -> Table:
    """m and the number of sets of every family member on this tensor ("—" where it does not apply)."""
    compare = []
    for kind in KINDS:
        try:
            other = family.layout(lay.shape, kind, lay.groups if lay.kind == "group" else DEFAULTS["groups"])
            compare.append((kind, str(other.m), str(other.sets)))
        except InputError:
            compare.append((kind, "—", "—"))
    return Table("compare", t("page.axes.compare", lang), "", {
        t("page.axes.col_norm", lang): [t(f"page.axes.kind.{k}", lang) for k, _, _ in compare],
        t("page.axes.col_m", lang): [m for _, m, _ in compare],
        t("page.axes.col_sets", lang): [n for _, _, n in compare],
        t("page.axes.col_train_test", lang): [t("page.axes.yes" if k in ("feature", "batch") else "page.axes.no",
                                                lang) for k, _, _ in compare],
    })


def build(ax: Axes, settings: Settings | None, lang: str, params: dict) -> Walkthrough:
    lay = ax.layout
    forms = formulas(lay.kind, lay.shape, lay.groups)
    vals, codes = values(ax), code(lay)
    steps = []
    for key in step_keys(lay):
        phase, name = key.split(".")
        lines, local = forms[key]
        note = t(f"step.axes.{name}.note", lang, m=lay.m, sets=lay.sets, count=count_text(lay))
        if name == "sets":
            note = f"{t(f'step.axes.kind.{lay.kind}', lang)} {note}"
        steps.append(Step(key, phase, t(f"step.axes.{name}.title", lang), lines, local, note, vals[key],
                          _focus(name), codes[key]))
    record = asdict(settings) if settings is not None else {}
    record.update(params, shape=list(lay.shape), m=lay.m, sets=lay.sets, eps=ax.eps, gamma=ax.gamma.tolist(),
                  beta=ax.beta.tolist())
    return Walkthrough("axes", t("page.axes.title", lang), lang, record, tuple(steps), setup(ax, settings),
                       labels(lang), (compare_table(lay, lang),))


def _focus(name: str) -> str:
    return {"sets": "x", "mu": "mu", "var": "var", "xhat": "xhat", "y": "y", "caffe": "mu", "dx": "x",
            "dparams": "gamma"}[name]


def walkthrough(settings: Settings, lang: str = "en", **params: object) -> Walkthrough:
    """The course builder: the sidebar's tensor under the chosen normalization."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown axes parameters: {sorted(unknown)}")
    p = {**DEFAULTS, **params}
    return build(compute(settings, **p), settings, lang, p)


# ------------------------------------------------------------------ tables --


def table(step: Step, column: int, labels_: dict[str, str], lay: family.Layout | None = None) -> dict[str, list]:
    """The step's values for set ``column``: rows are the set's m cells, with
    their coordinates (n, c, h, w) in the tensor when ``lay`` is given.

    A step with only per-channel vectors (∂L/∂γ_c, ∂L/∂β_c) is a table with
    one row per channel; Caffe's step has one row per sample (its columns are channels).
    """
    names = {**BASE_LABELS, **labels_}
    mats = [v for v in step.values.values() if v.ndim == 2]
    if not mats:
        n = max(v.size for v in step.values.values())
        out: dict[str, list] = {"c": list(range(1, n + 1))}
        out.update({names.get(k, k): np.broadcast_to(v, (n,)).tolist() for k, v in step.values.items()})
        return out
    column = min(column, mats[0].shape[1] - 1)
    values = feature_table(step, column, names)
    if lay is None or mats[0].shape != (lay.m, lay.sets):
        return values
    coords = {k: (lay.to_sets(idx)[:, column] + 1).tolist()
              for k, idx in zip("nchw", np.indices(lay.shape), strict=False)}
    return {"i": values.pop("i"), **coords, **values}
