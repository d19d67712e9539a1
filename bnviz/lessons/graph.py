"""The BN computation-graph walkthrough: forward node by node, then backward.

Formulas come from :func:`bnviz.ops.bn.bn_derivation` (SymPy, cached);
values from :func:`bnviz.ops.bn.bn_run` (the NumPy graph). This module only
pairs them up into :class:`bnviz.steps.Step` objects.

The same graph walks LayerNorm (``norm="layer"``): each sample is normalised
over its D features, which is batch norm on xᵀ. The values are shown in that
transposed layout (rows i = 1..D are one sample's features, one column per
sample); the formulas are BN's with the count m renamed D
(:func:`bnviz.ops.layernorm.ln_derivation`, γ_i and β_i per feature).
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import ablation, gradcheck
from bnviz.data import Problem, make_problem, setup_code
from bnviz.i18n import InputError, t
from bnviz.ops import bn, family, layernorm
from bnviz.ops.bn import GRAD, SYM, BNResult
from bnviz.settings import Settings
from bnviz.steps import LABELS, Step, Table, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

FORWARD = ("x", "mu", "xc", "var", "std", "xhat", "y", "L")
BACKWARD = ("dy", "dparams", "dxhat", "dstd", "dvar", "dxc", "dmu", "dx", "closed")
NORMS = ("batch", "layer")
"""The graph page's norm selector: batch norm, or LayerNorm through the same graph."""
SAMPLES = S.scalar("m_samples", "m", positive=True)
"""LayerNorm's batch size in its formulas (m itself is renamed D there)."""


def _latex(expr: sp.Basic, norm: str = "batch") -> str:
    """``symbolic.printing.latex``; for LayerNorm the count m is printed as D (the same derivation, renamed)."""
    return P.latex(expr, {S.m: "D"} if norm == "layer" else None)


def _eq(lhs: sp.Basic, rhs: sp.Basic, norm: str = "batch") -> str:
    """``lhs = rhs`` in LaTeX; just ``rhs`` when the two print alike."""
    left, right = _latex(lhs, norm), _latex(rhs, norm)
    return right if left == right else f"{left} = {right}"


def _el(base: sp.Basic) -> sp.Basic:
    return base[S.i] if isinstance(base, sp.IndexedBase) else base


def _symbols(norm: str) -> tuple[dict, dict, bn.BNDerivation]:
    if norm == "layer":
        return layernorm.LN_SYM, layernorm.LN_GRAD, layernorm.ln_derivation()
    return SYM, GRAD, bn.bn_derivation()


def _partial(child: str, parent: str, norm: str = "batch") -> str:
    """LaTeX ∂child/∂parent with the derived local derivative."""
    sym, _, d = _symbols(norm)
    local = bn.display_form(d.local[(child, parent)])
    return f"{P.partial(_el(sym[child]), _el(sym[parent]))} = {_latex(local, norm)}"


def _over_samples(expr: sp.Expr) -> sp.Expr:
    """A per-sample term summed over the batch: a_i -> Σ_n a_{n,i} (LayerNorm's γ_i, β_i)."""
    n = sp.Symbol("n", integer=True, positive=True)
    per_sample = expr.replace(lambda e: isinstance(e, sp.Indexed),
                              lambda e: sp.IndexedBase(e.base.label)[n, e.indices[0]])
    return sp.Sum(per_sample, (n, 1, SAMPLES))


@lru_cache(maxsize=len(NORMS))
def formulas(norm: str = "batch") -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step name -> (formula lines, local-derivative lines), all derived. Cached per norm."""
    sym, grad, d = _symbols(norm)
    disp = bn.display_form

    def eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
        return _eq(lhs, rhs, norm)

    def local(child: str, parent: str) -> str:
        return _partial(child, parent, norm)

    g = {k: _el(v) for k, v in grad.items()}
    x_line = P.NOTATION["sample" if norm == "layer" else "batch"]
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {"x": ((x_line,), ())}
    locals_of = {
        "mu": (("mu", "x"),),
        "xc": (("xc", "x"), ("xc", "mu")),
        "var": (("var", "xc"),),
        "std": (("std", "var"),),
        "xhat": (("xhat", "xc"), ("xhat", "std")),
        "y": (("y", "xhat"), ("y", "gamma"), ("y", "beta")),
        "L": (("L", "y"),),
    }
    for name in FORWARD[1:]:
        lines = [eq(_el(sym[name]), d.definitions[name])]
        shown = disp(d.definitions[name])
        if shown != d.definitions[name]:
            lines.append(eq(_el(sym[name]), shown))
        out[name] = (tuple(lines), tuple(local(c, p) for c, p in locals_of[name]))

    def chain(name: str) -> list[str]:
        """The chain rule in node symbols, then written out if that differs."""
        lines = [eq(g[name], d.back.chain[name])]
        if d.expanded[name] != d.back.chain[name]:
            lines.append(eq(g[name], d.expanded[name]))
        return lines

    # the start: differentiating step 8's surrogate L gives back the given upstream array (no local of its own)
    y_i = _el(sym["y"])
    out["dy"] = ((f"{P.partial(sym['L'], y_i)} = {_latex(sp.Derivative(d.definitions['L'], y_i), norm)}"
                  f" = {_latex(d.local[('L', 'y')], norm)}",), ())
    params = [*chain("gamma"), *chain("beta")]
    if norm == "layer":  # γ_i, β_i are shared by the m samples: their gradients sum over the batch
        params = [eq(g["gamma"], _over_samples(d.back.chain["gamma"])),
                  eq(g["beta"], _over_samples(d.back.chain["beta"]))]
    out["dparams"] = (tuple(params), (local("y", "gamma"), local("y", "beta")))
    out["dxhat"] = (tuple(chain("xhat")), (local("y", "xhat"),))
    out["dstd"] = (tuple(chain("std")), (local("xhat", "std"),))
    out["dvar"] = (tuple(chain("var")), (local("std", "var"),))
    out["dxc"] = (tuple(chain("xc")), (local("xhat", "xc"), local("var", "xc")))
    out["dmu"] = (tuple(chain("mu")), (local("xc", "mu"),))
    out["dx"] = (tuple(chain("x")), (local("xc", "x"), local("mu", "x")))
    # cs231n's one line, reduced by SymPy from L(x) (d.dx_total is the same function of x, unfactored)
    out["closed"] = ((eq(g["x"], d.dx_closed),), ())
    return out



def _per_feature(a: Array) -> Array:
    return np.asarray(a).reshape(-1)


def step_values(r: BNResult, per_element: bool = False) -> dict[str, dict[str, Array]]:
    """step name -> the live values it shows (value ids as in steps.LABELS).

    per_element: γ and β are full (rows, S) arrays, one value per row (LayerNorm
    on xᵀ: per feature); they and their gradients (summed over the samples,
    i.e. along each row) are then shown as (rows, S) arrays.
    """
    v, gr = r.values, r.back.grads
    f = _per_feature
    paths = {f"dx_{p}": r.path(p) for p in bn.PATHS}
    if per_element:
        def p(a: Array) -> Array:
            return np.broadcast_to(a, v["x"].shape)

        gamma_v, beta_v = p(v["gamma"]), p(v["beta"])
        dgamma = p(p(gr["gamma"]).sum(axis=1, keepdims=True))
        dbeta = p(p(gr["beta"]).sum(axis=1, keepdims=True))
        _, cache = bn.batchnorm_forward(v["x"], gamma_v, beta_v, r.eps)
    else:
        gamma_v, beta_v, dgamma, dbeta = f(v["gamma"]), f(v["beta"]), f(gr["gamma"]), f(gr["beta"])
        _, cache = bn.batchnorm_forward(v["x"], gamma_v, beta_v, r.eps)
    closed, _, _ = bn.batchnorm_backward_alt(v["dout"], cache)
    return {
        "x": {"x": v["x"]},
        "mu": {"x": v["x"], "mu": f(v["mu"])},
        "xc": {"x": v["x"], "mu": f(v["mu"]), "xc": v["xc"]},
        "var": {"xc": v["xc"], "var": f(v["var"])},
        "std": {"var": f(v["var"]), "std": f(v["std"])},
        "xhat": {"xc": v["xc"], "std": f(v["std"]), "xhat": v["xhat"]},
        "y": {"xhat": v["xhat"], "gamma": gamma_v, "beta": beta_v, "y": v["y"]},
        "L": {"dout": v["dout"], "y": v["y"], "L": np.asarray(v["L"])},
        "dy": {"dout": gr["y"]},
        "dparams": {"dout": gr["y"], "xhat": v["xhat"], "dgamma": dgamma, "dbeta": dbeta},
        "dxhat": {"dout": gr["y"], "gamma": gamma_v, "dxhat": gr["xhat"]},
        "dstd": {"dxhat": gr["xhat"], "xc": v["xc"], "dstd": f(gr["std"])},
        "dvar": {"dstd": f(gr["std"]), "std": f(v["std"]), "dvar": f(gr["var"])},
        "dxc": {"dxhat": gr["xhat"], "dvar": f(gr["var"]), "xc": v["xc"], "dxc": gr["xc"]},
        "dmu": {"dxc": gr["xc"], "dmu": f(gr["mu"])},
        "dx": {"dxc": gr["xc"], "dmu": f(gr["mu"]), **paths, "dx": gr["x"]},
        "closed": {"dx": gr["x"], "dx_closed": closed},
    }


CODE = {
    "x": "",
    "mu": "mu = x.mean(axis=0)",
    "xc": "xc = x - mu",
    "var": "var = (xc ** 2).mean(axis=0)",
    "std": "std = np.sqrt(var + eps)",
    "xhat": "xhat = xc / std",
    "y": "y = gamma * xhat + beta",
    "L": "L = np.sum(dout * y)",
    "dy": "",
    "dparams": "dgamma = (dout * xhat).sum(axis=0)\ndbeta = dout.sum(axis=0)",
    "dxhat": "dxhat = gamma * dout",
    "dstd": "dstd = -(dxhat * xc).sum(axis=0) / std ** 2",
    "dvar": "dvar = dstd / (2 * std)",
    "dxc": "dxc = dxhat / std + dvar * 2 * xc / m",
    "dmu": "dmu = -dxc.sum(axis=0)",
    "dx": ("dx_xhat = dxhat / std\ndx_var = dvar * 2 * xc / m\n"
           "dx_mu = np.broadcast_to(dmu / m, x.shape)\ndx = dxc + dmu / m"),
    "closed": "dx_closed = (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (m * std)",
}
"""Each step again in plain NumPy, for the notebook export (which checks the two agree)."""

LN_SETUP = ("x, dout = x.T, dout.T\nD = x.shape[0]\n"
            "gamma, beta = np.broadcast_to(gamma[:, None], x.shape), np.broadcast_to(beta[:, None], x.shape)")
"""LayerNorm's extra setup: work on xᵀ (one column per sample), γ and β per row (feature)."""

LN_CODE = {k: re.sub(r"\bm\b", "D", v) for k, v in CODE.items()}
LN_CODE["dparams"] = ("dgamma = np.broadcast_to((dout * xhat).sum(axis=1, keepdims=True), x.shape)\n"
                      "dbeta = np.broadcast_to(dout.sum(axis=1, keepdims=True), x.shape)")
"""CODE for LayerNorm on xᵀ: the count is D, γ's and β's gradients sum along each row."""

TARGETS = {
    "dy": ("y",), "dparams": ("gamma", "beta"), "dxhat": ("xhat",), "dstd": ("std",),
    "dvar": ("var",), "dxc": ("xc",), "dmu": ("mu",), "dx": ("x",), "closed": ("x",),
}
"""Backward step -> the nodes whose gradient it computes."""


def active_edges(step_key: str) -> set[tuple[str, str]]:
    """(child, parent) edges a step is about: a node's inputs going forward,
    the edges its gradient arrives through going backward."""
    phase, name = step_key.split(".")
    edges = bn.STRUCTURE.edges
    if phase == "forward":
        return {(c, p) for c, p in edges if c == name}
    given = {(c, p) for c, p in edges if p == "dout"} if name == "dy" else set()  # ∂L/∂y enters through L
    return {(c, p) for c, p in edges if p in TARGETS[name]} | given


def lesson_tables(problem: Problem, lang: str, norm: str = "batch") -> tuple[Table, ...]:
    """The three backward forms compared (max |dx_a − dx_b|), and for BN the finite-difference check."""
    layer = norm == "layer"
    p = problem
    if layer:
        forms = layernorm.layernorm_backward_forms(p.x, p.gamma, p.beta, p.dout, p.eps)
    else:
        forms = bn.all_backward_forms(p.x, p.gamma, p.beta, p.dout, p.eps)
    diffs = gradcheck.form_differences(forms)
    tables = [Table("forms", t("page.graph.forms_title", lang),
                    t("page.graph.norm.ln_forms_intro" if layer else "page.graph.forms_intro", lang), {
        t("page.graph.form_pair", lang): [f"{t(f'page.graph.form_{a}', lang)} − {t(f'page.graph.form_{b}', lang)}"
                                          for a, b in diffs],
        t("page.graph.max_diff", lang): [f"{v:.3e}" for v in diffs.values()],
    })]
    if not layer:  # the finite-difference check is written for BN's per-column parameters
        check = gradcheck.check_bn(p, forms)
        rows = check.rows
        tables.append(Table(
            "gradcheck", t("page.graph.gradcheck_title", lang),
            t("page.graph.gradcheck_intro", lang, h=gradcheck.H, checked=check.checked, total=check.total), {
                t("page.graph.quantity", lang): [LABELS[q] for q, *_ in rows],
                t("page.graph.form", lang): [t(f"page.graph.form_{f}", lang) for _, f, *_ in rows],
                t("page.graph.rel_error", lang): [f"{e:.2e}" for _, _, e, _ in rows],
                t("page.graph.abs_error", lang): [f"{a:.2e}" for *_, a in rows],
                t("page.graph.verdict", lang): [t("page.graph.pass" if check.passed(e) else "page.graph.fail", lang)
                                                for _, _, e, _ in rows],
            }, "" if all(check.passed(e) for _, _, e, _ in rows) else t("page.graph.gradcheck_tiny", lang)))
    return tuple(tables)


def ablation_table(problem: Problem, removed: str, lang: str) -> Table:
    """"Switch a path off" as lesson data: the removal's verdict, errors and sums (``bnviz.ablation``)."""
    ab = ablation.ablate(problem, removed)
    return Table("ablation", f"{t('learn.ablation.title', lang)}: {t(f'learn.ablation.name.{removed}', lang)}",
                 ablation.verdict(ab, lang), ablation.columns(ab, lang), t("learn.ablation.sum_note", lang))


def bn_walkthrough(problem: Problem, settings: Settings | None = None, lang: str = "en",
                   norm: str = "batch", ablate: str | None = None) -> Walkthrough:
    """The graph page's steps for one batch, in ``lang``.

    norm="layer": LayerNorm through the same graph, values on xᵀ (D, m).
    ablate: batch norm only; one of ``bnviz.ablation.ABLATIONS`` switched off, as a lesson table.
    """
    if norm == "layer":
        run = family.norm_run(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps, "layer")
        vals, code = step_values(run.bn, per_element=True), LN_CODE
        title_of = {**{n: f"step.ln.{n}" for n in FORWARD}, **{n: f"step.ln.{n}" for n in BACKWARD}}
    else:
        r = bn.bn_run(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
        vals, code = step_values(r), CODE
        title_of = {**{n: f"step.forward.{n}" for n in FORWARD}, **{n: f"step.backward.{n}" for n in BACKWARD}}
    forms = formulas(norm)
    steps = []
    for name in FORWARD:
        lines, local = forms[name]
        steps.append(Step(f"forward.{name}", "forward", t(f"{title_of[name]}.title", lang),
                          lines, local, t(f"{title_of[name]}.note", lang), vals[name], name, code[name]))
    for name in BACKWARD:
        lines, local = forms[name]
        steps.append(Step(f"backward.{name}", "backward", t(f"{title_of[name]}.title", lang),
                          lines, local, t(f"{title_of[name]}.note", lang), vals[name], TARGETS[name][0],
                          code[name]))
    record = asdict(settings) if settings else {}
    record.update(m=problem.m, d=problem.d, eps=problem.eps,
                  gamma=problem.gamma.tolist(), beta=problem.beta.tolist(), norm=norm)
    setup = setup_code(problem, settings)
    if norm == "layer":
        setup = f"{setup}\n{LN_SETUP}"
    tables = lesson_tables(problem, lang, norm)
    if ablate is not None and norm == "batch":
        record["ablate"] = ablate
        tables = (*tables, ablation_table(problem, ablate, lang))
    return Walkthrough("graph", t("page.graph.title", lang), lang, record, tuple(steps), setup,
                       tables=tables)


def ln_checked(x: Array, dout: Array, gamma: Array, beta: Array, eps: float) -> Problem:
    """A batch for LayerNorm, checked per sample: a sample whose D features are
    all equal has variance 0 (an error with ε = 0, a note otherwise)."""
    const = [int(r) + 1 for r in np.flatnonzero(np.ptp(x, axis=1) == 0)]
    notes: tuple[tuple[str, dict], ...] = ()
    if const:
        rows = ", ".join(map(str, const[:10])) + ("…" if len(const) > 10 else "")
        if eps == 0:
            raise InputError("error.norms.ln_const_eps0", rows=rows)
        notes = (("step.ln.const_note", {"rows": rows}),)
    return Problem(x, dout, gamma, beta, float(eps), notes)


def ln_problem(settings: Settings) -> Problem:
    """The sidebar's batch for LayerNorm: the same checks of the input, but the
    statistics' checks are per sample (row) rather than per feature (column)."""
    p = make_problem(replace(settings, eps=1.0) if settings.eps == 0 else settings)
    return ln_checked(p.x, p.dout, p.gamma, p.beta, settings.eps)


def walkthrough(settings: Settings, lang: str = "en", norm: str = "batch", ablate: str | None = None) -> Walkthrough:
    """The course builder (``bnviz.course``): the sidebar's batch, walked through.

    norm: "batch" (default) or "layer" (the page's norm selector); ablate: the
    page's "switch a path off" picker (None: nothing switched off).
    """
    problem = ln_problem(settings) if norm == "layer" else make_problem(settings)
    return bn_walkthrough(problem, settings, lang, norm, ablate)
