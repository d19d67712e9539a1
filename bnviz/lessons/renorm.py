"""Batch Renormalization (Ioffe 2017): forward, the moving statistics, the backward pass.

The batch is the sidebar's (m, D); the moving statistics μ and σ (one value
for every feature) and r_max, d_max, α are the page's own controls. Values
come from :func:`bnviz.ops.renorm.renorm_run` (the BRN graph, r and d as
stop-gradient leaves); formulas from :func:`bnviz.ops.renorm.renorm_derivation`
and :func:`bnviz.ops.renorm.renorm_rules` (SymPy).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import data
from bnviz.i18n import t
from bnviz.ops import bn as bn_ops
from bnviz.ops import renorm
from bnviz.settings import Settings
from bnviz.steps import Step, Table, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

LIMITS = {"rmax": (0.5, 5.0), "dmax": (0.0, 5.0), "alpha": (0.001, 0.5), "mu": (-10.0, 10.0),
          "sigma": (0.1, 10.0)}
"""Ranges of the page's sliders. r_max below 1 is reachable on purpose: the page explains why it is refused."""
DEFAULTS = {"rmax": 3.0, "dmax": 5.0, "alpha": 0.01, "mu": 0.0, "sigma": 1.0}

FORWARD = ("x", "mu", "std", "rd", "xhat", "y", "moving", "inference")
BACKWARD = ("dxhat", "dparams", "dstd", "dmu", "dx", "bn_limit")
STEPS = tuple(f"forward.{n}" for n in FORWARD) + tuple(f"backward.{n}" for n in BACKWARD)



def _definitions() -> dict[str, sp.Basic]:
    """Value id -> what its label names: a node's symbol or definition, a rule's argument, a path term."""
    s, g, rules = renorm.RN_SYM, renorm.RN_GRAD, renorm.renorm_rules()
    xn = next(n.sym for n in renorm.RENORM_STRUCTURE.nodes if n.name == "xn")
    inside = {k: rules[k].args[0].args[0] for k in ("r", "d")}  # sg(clip(raw, lo, hi)) -> raw
    x = S.value_of(s["x"])
    return {
        "mu": s["mu"], "var": s["var"], "std": s["std"],
        "xn": sp.Eq(S.value_of(s["xn"]), S.plain(xn), evaluate=False),
        "r_raw": inside["r"], "r": s["r"], "d_raw": inside["d"], "d": s["d"],
        "mu_mov": s["mu_mov"], "sigma_mov": s["sigma_mov"],
        **{f"d{k}": S.value_of(g[k]) for k in ("xn", "std", "var", "mu")},
        **{f"dx_{lab}": S.mul(S.value_of(g[lab]), sp.Derivative(S.value_of(s[lab]), x, evaluate=False))
           for lab in renorm.RN_PATHS},
    }


LABELS = {name: P.text(expr) for name, expr in _definitions().items()}
"""Display names of the value ids, printed by :func:`bnviz.symbolic.printing.text` from the BRN symbols and rules."""
WORDED = ("mu_new", "sigma_new", "y_test", "y_gap", "dx_r1", "dx_bn")
"""Value ids whose display names are sentences in the catalog (``step.renorm.label.<id>``)."""

FOCUS = {"x": "x", "mu": "mu", "std": "std", "rd": "xhat", "xhat": "xhat", "y": "y", "moving": "std",
         "inference": "y", "dxhat": "xhat", "dparams": "y", "dstd": "std", "dmu": "mu", "dx": "x",
         "bn_limit": "x"}


def labels(lang: str) -> dict[str, str]:
    return {**LABELS, **{k: t(f"step.renorm.label.{k}", lang) for k in WORDED}}


@dataclass(frozen=True)
class Renorm:
    """One BRN step on the sidebar's batch; ``limit`` is the same batch with r = 1, d = 0
    and ``bn`` plain batch norm (they agree exactly)."""

    problem: data.Problem
    run: renorm.RenormResult
    limit: renorm.RenormResult
    bn: bn_ops.BNResult
    mu_mov: Array
    sigma_mov: Array
    rmax: float
    dmax: float
    alpha: float


def compute(settings: Settings, rmax: float = DEFAULTS["rmax"], dmax: float = DEFAULTS["dmax"],
            alpha: float = DEFAULTS["alpha"], mu: float = DEFAULTS["mu"],
            sigma: float = DEFAULTS["sigma"]) -> Renorm:
    """The numbers of the lesson. Raises InputError (r_max < 1, d_max < 0, σ ≤ 0, bad batch)."""
    return compute_problem(data.make_problem(settings), rmax, dmax, alpha, mu, sigma)


def compute_problem(p: data.Problem, rmax: float = DEFAULTS["rmax"], dmax: float = DEFAULTS["dmax"],
                    alpha: float = DEFAULTS["alpha"], mu: float | Array = DEFAULTS["mu"],
                    sigma: float | Array = DEFAULTS["sigma"]) -> Renorm:
    """One BRN step on a given (m, D) batch; μ and σ one value or one per feature."""
    d = p.d
    mu_mov, sigma_mov = renorm.check_renorm(rmax, dmax, alpha, mu, sigma, d)
    run = renorm.renorm_run(p.x, p.gamma, p.beta, p.dout, p.eps, mu_mov, sigma_mov, rmax, dmax, alpha)
    limit = renorm.renorm_run(p.x, p.gamma, p.beta, p.dout, p.eps, mu_mov, sigma_mov, rmax, dmax, alpha,
                             r=1.0, d=0.0)
    bn = bn_ops.bn_run(p.x, p.gamma, p.beta, p.dout, p.eps)
    return Renorm(p, run, limit, bn, mu_mov, sigma_mov, float(rmax), float(dmax), float(alpha))


# ---------------------------------------------------------------- formulas --


def _el(base: sp.Basic) -> sp.Basic:
    return base[S.i] if isinstance(base, sp.IndexedBase) else base


def _eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
    return f"{P.latex(lhs)} = {P.latex(rhs)}"


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step key -> (formula lines, local-derivative lines), printed from SymPy. Cached."""
    d = renorm.renorm_derivation()
    s, g = renorm.RN_SYM, {k: _el(v) for k, v in renorm.RN_GRAD.items()}
    rules = renorm.renorm_rules()

    def written(e: sp.Expr) -> sp.Expr:
        """(x − μ_B)_j written out, as the seed does."""
        return e.replace(lambda a: isinstance(a, sp.Indexed) and a.base == s["xc"],
                         lambda a: sp.Add(bn_ops.X[a.indices[0]], -s["mu"], evaluate=False))

    defs = {k: written(v) for k, v in d.definitions.items()}

    def local(child: str, parent: str) -> str:
        value = written(d.local[(child, parent)]).subs(sp.sqrt(s["var"] + S.eps), s["std"])
        return f"{P.partial(_el(s[child]), _el(s[parent]))} = {P.latex(value)}"

    def chain(name: str) -> tuple[str, ...]:
        lines = [_eq(g[name], d.back.chain[name])]
        if d.expanded[name] != d.back.chain[name]:
            lines.append(_eq(g[name], d.expanded[name]))
        return tuple(lines)

    one = {s["r"]: sp.Integer(1), s["d"]: sp.Integer(0)}
    xhat_limit = d.definitions["xhat"].subs(one)
    dx_limit = sp.Add(*(term.subs(one) for term in d.expanded["x"].args), evaluate=False)
    at_limit = P.NOTATION["at"].format(P.NOTATION["and_small"].join(P.eq(k, v) for k, v in one.items()))
    return {
        "forward.x": ((P.NOTATION["batch"],), ()),
        "forward.mu": ((_eq(s["mu"], defs["mu"]),), (local("mu", "x"),)),
        "forward.std": ((_eq(s["var"], defs["var"]), _eq(s["std"], defs["std"])),
                        (local("std", "var"),)),
        "forward.rd": ((_eq(s["r"], rules["r"]), _eq(s["d"], rules["d"])), ()),
        "forward.xhat": ((_eq(_el(s["xn"]), defs["xn"]), _eq(bn_ops.XHAT[S.i], defs["xhat"])),
                         (local("xhat", "xn"), local("xn", "xc"), local("xn", "std"))),
        "forward.y": ((_eq(bn_ops.Y[S.i], defs["y"]),), (local("y", "xhat"),)),
        "forward.moving": (tuple(P.latex(P.Update(s[k], rules[k])) for k in ("mu_mov", "sigma_mov")), ()),
        "forward.inference": ((_eq(bn_ops.Y[S.i], rules["y_test"]),), ()),
        "backward.dxhat": (chain("xhat") + chain("xn"), (local("y", "xhat"), local("xhat", "xn"))),
        "backward.dparams": (chain("gamma") + chain("beta"), ()),
        "backward.dstd": (chain("std") + chain("var"), (local("xn", "std"), local("std", "var"))),
        "backward.dmu": (chain("mu"), (local("xc", "mu"),)),
        "backward.dx": (chain("x"), (local("xc", "x"), local("mu", "x"))),
        "backward.bn_limit": ((f"{P.latex(bn_ops.XHAT[S.i])}{at_limit} = {P.latex(xhat_limit)}",
                               f"{P.latex(g['x'])}{at_limit} = {P.latex(dx_limit)}"), ()),
    }


# ------------------------------------------------------------------ values --


def _f(a: Array) -> Array:
    return np.asarray(a).reshape(-1)


def values(rn: Renorm) -> dict[str, dict[str, Array]]:
    r = rn.run
    v, gr = r.values, r.back.grads
    p = rn.problem
    mu_b, std = _f(v["mu"]), _f(v["std"])
    y_test = renorm.renorm_inference(p.x, p.gamma, p.beta, rn.mu_mov, rn.sigma_mov)
    return {
        "forward.x": {"x": p.x},
        "forward.mu": {"x": p.x, "mu": mu_b},
        "forward.std": {"var": _f(v["var"]), "std": std},
        "forward.rd": {"mu": mu_b, "mu_mov": rn.mu_mov, "d_raw": (mu_b - rn.mu_mov) / rn.sigma_mov, "d": r.d,
                       "std": std, "sigma_mov": rn.sigma_mov, "r_raw": std / rn.sigma_mov, "r": r.r},
        "forward.xhat": {"x": p.x, "xn": v["xn"], "r": r.r, "d": r.d, "xhat": v["xhat"]},
        "forward.y": {"xhat": v["xhat"], "gamma": p.gamma, "beta": p.beta, "y": v["y"]},
        "forward.moving": {"mu_mov": rn.mu_mov, "mu": mu_b, "mu_new": r.mu_new, "sigma_mov": rn.sigma_mov,
                           "std": std, "sigma_new": r.sigma_new},
        "forward.inference": {"y": v["y"], "y_test": y_test, "y_gap": v["y"] - y_test},
        "backward.dxhat": {"dout": p.dout, "dxhat": gr["xhat"], "r": r.r, "dxn": gr["xn"]},
        "backward.dparams": {"dout": p.dout, "xhat": v["xhat"], "dgamma": _f(gr["gamma"]), "dbeta": _f(gr["beta"])},
        "backward.dstd": {"dxn": gr["xn"], "xc": v["xc"], "dstd": _f(gr["std"]), "dvar": _f(gr["var"])},
        "backward.dmu": {"dxn": gr["xn"], "dmu": _f(gr["mu"])},
        "backward.dx": {**{f"dx_{lab}": r.path(lab) for lab in renorm.RN_PATHS}, "dx": r.dx},
        "backward.bn_limit": {"dx_r1": rn.limit.dx, "dx_bn": rn.bn.back.grads["x"]},
    }


CODE = {
    "forward.x": "",
    "forward.mu": "mu = x.mean(axis=0)",
    "forward.std": "var = x.var(axis=0)\nstd = np.sqrt(var + eps)",
    "forward.rd": ("d_raw = (mu - mu_mov) / sigma_mov\nd = np.clip(d_raw, -dmax, dmax)\n"
                   "r_raw = std / sigma_mov\nr = np.clip(r_raw, 1 / rmax, rmax)"),
    "forward.xhat": "xn = (x - mu) / std\nxhat = r * xn + d",
    "forward.y": "y = gamma * xhat + beta",
    "forward.moving": "mu_new = mu_mov + alpha * (mu - mu_mov)\nsigma_new = sigma_mov + alpha * (std - sigma_mov)",
    "forward.inference": "y_test = gamma * (x - mu_mov) / sigma_mov + beta\ny_gap = y - y_test",
    "backward.dxhat": "dxhat = gamma * dout\ndxn = r * dxhat",
    "backward.dparams": "dgamma = (dout * xhat).sum(axis=0)\ndbeta = dout.sum(axis=0)",
    "backward.dstd": "xc = x - mu\ndstd = -(dxn * xc).sum(axis=0) / std ** 2\ndvar = dstd / (2 * std)",
    "backward.dmu": "dmu = -(dxn / std + dvar * 2 * xc / m).sum(axis=0)",
    "backward.dx": ("dx_xhat = dxn / std\ndx_std = dstd * xc / (m * std)\n"
                    "dx_mu = np.broadcast_to(dmu / m, x.shape)\ndx = dx_xhat + dx_std + dx_mu"),
    "backward.bn_limit": ("dstd_1 = -(dxhat * xc).sum(axis=0) / std ** 2\n"
                          "dmu_1 = -(dxhat / std + dstd_1 / std * xc / m).sum(axis=0)\n"
                          "dx_r1 = dxhat / std + dstd_1 * xc / (m * std) + dmu_1 / m\n"
                          "dx_bn = (m * dxhat - dxhat.sum(axis=0) - xn * (dxhat * xn).sum(axis=0)) / (m * std)"),
}
"""Each step in plain NumPy (the notebook export runs them; the tests compare)."""


def setup(rn: Renorm, settings: Settings) -> str:
    return "\n".join([
        data.setup_code(rn.problem, settings),
        f"rmax, dmax, alpha = {rn.rmax!r}, {rn.dmax!r}, {rn.alpha!r}",
        f"mu_mov, sigma_mov = np.array({rn.mu_mov.tolist()!r}), np.array({rn.sigma_mov.tolist()!r})",
    ])


def active_edges(step: Step) -> set[tuple[str, str]]:
    """The BRN graph's edges a step is about: the focus node's inputs going forward, its incoming gradients backward."""
    backward = step.phase == "backward"
    return {(c, p) for c, p in renorm.RENORM_STRUCTURE.edges if (p if backward else c) == step.focus}


def limit_check(step: Step, lang: str) -> str:
    """The r = 1, d = 0 step's check, as a sentence: max |∂L/∂x (BRN at the limit) − ∂L/∂x (BN)|."""
    diff = float(np.max(np.abs(step.values["dx_r1"] - step.values["dx_bn"])))
    return t("page.renorm.limit_check", lang, diff=f"{diff:.2e}")


def experiment(params: dict, seed: int) -> renorm.GapExperiment:
    """The BN/BRN train/test-gap experiment for the page's r_max, d_max and α (cached in bnviz.ops.renorm)."""
    return renorm.gap_experiment(float(params["rmax"]), float(params["dmax"]), float(params["alpha"]), int(seed))


def experiment_names(exp: renorm.GapExperiment, lang: str) -> dict[tuple[str, str], str]:
    """(method, batches) -> the series' name in ``lang``."""
    return {key: t(f"page.renorm.{key[0]}_{key[1]}", lang) for key in exp.gaps}


def experiment_table(exp: renorm.GapExperiment, lang: str) -> Table:
    """The gap per batch size and series, as lesson data (the page's chart, the exports' table)."""
    names = experiment_names(exp, lang)
    columns = {t("page.renorm.batch_size", lang): [str(n) for n in exp.sizes]}
    columns.update({names[key]: [f"{g:.4g}" for g in gap] for key, gap in exp.gaps.items()})
    return Table("experiment", t("page.renorm.experiment", lang),
                 t("page.renorm.experiment_intro", lang, steps=exp.steps), columns,
                 t("page.renorm.experiment_note", lang, clipped=f"{exp.clipped['iid'][0]:.0%}"))


def build(rn: Renorm, settings: Settings, lang: str, params: dict) -> Walkthrough:
    forms, vals = formulas(), values(rn)
    steps = []
    for key in STEPS:
        phase, name = key.split(".")
        lines, local = forms[key]
        steps.append(Step(key, phase, t(f"step.renorm.{name}.title", lang), lines, local,
                          t(f"step.renorm.{name}.note", lang), vals[key], FOCUS[name], CODE[key]))
    p = rn.problem
    record = asdict(settings)
    record.update(params, m=p.m, d=p.d, eps=p.eps, gamma=p.gamma.tolist(), beta=p.beta.tolist(),
                  r=rn.run.r.tolist(), d_shift=rn.run.d.tolist())
    table = experiment_table(experiment({**DEFAULTS, **params}, settings.seed), lang)
    return Walkthrough("renorm", t("page.renorm.title", lang), lang, record, tuple(steps), setup(rn, settings),
                       labels(lang), (table,))


def walkthrough(settings: Settings, lang: str = "en", **params: object) -> Walkthrough:
    """The course builder: one BRN training step on the sidebar's batch."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown renorm parameters: {sorted(unknown)}")
    p = {**DEFAULTS, **params}
    return build(compute(settings, **p), settings, lang, p)
