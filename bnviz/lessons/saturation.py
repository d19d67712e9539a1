"""Why BN: batches that drift into a sigmoid's flat tails stop learning.

K batches with their own means and scales (page sliders) are drawn from the
sidebar's seed. The sigmoid's derivative, derived by SymPy, is at most 1/4
and falls below a threshold τ beyond |z| > z_τ (z_τ solved by SymPy); the
share of each batch beyond z_τ is the share that barely passes a gradient.
Batch norm (the sidebar's γ, β, ε; :func:`bnviz.ops.bn.batchnorm_forward`)
moves every batch back to the centre: the same shares after BN.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from bnviz.i18n import InputError, t
from bnviz.ops import bn as bn_ops
from bnviz.ops import layers
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

MEANS = (-4.0, 1.5, 6.0, 0.0)
SCALES = (2.0, 3.0, 1.5, 0.7)
"""Default batches: three reach beyond |x| > 5 (the usual picture of sigmoid saturation), one sits near 0."""
TAU = 0.01
TAUS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
SAMPLES = 1000
LIMITS = {"mean": (-10.0, 10.0), "scale": (0.1, 5.0), "samples": (10, 10_000), "batches": (1, 6)}

STEPS = ("batches", "sigmoid", "dsigmoid", "threshold", "share_before", "normalize", "share_after")

def labels(lang: str) -> dict[str, str]:
    """Display names of this lesson's value ids, in ``lang``."""
    return {
        "xs": "x", "batch_mean": t("page.saturation.table_mean", lang),
        "batch_std": t("page.saturation.table_std", lang),
        "sig": "σ(x)", "dsig": "σ'(x)", "tau": "τ", "z_tau": "z_τ", "xbn": "BN(x)", "dsig_bn": "σ'(BN(x))",
        "share_before": t("page.saturation.table_before", lang), "share_after": t("page.saturation.table_after", lang),
    }


def _code(expr: sp.Expr) -> str:
    """A SymPy expression as NumPy code (``np.`` prefix)."""
    return NumPyPrinter().doprint(expr).replace("numpy.", "np.")


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """step -> (formula lines, local lines), from :func:`bnviz.ops.layers.derivations` and BN's derivation."""
    d = layers.derivations()
    z, tau = layers.Z, layers.TAU
    sig_of = sp.Function("sigma")(z)
    dsig = sp.Derivative(sig_of, z)
    z_tau = sp.Symbol("z_tau")
    n, k = sp.Symbol("n", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
    x = sp.IndexedBase("x")
    share_k = sp.Eq(S.word("share")[k], _share(x, z_tau, n), evaluate=False)
    bn = bn_ops.bn_derivation()
    xk, xi = sp.IndexedBase("x^(k)")[S.i], sp.IndexedBase("xi")[S.i]
    mu_k, s_k = sp.Symbol("mu_k"), sp.Symbol("s_k")
    batch_k = sp.Eq(xk, sp.Add(mu_k, sp.Mul(s_k, xi, evaluate=False), evaluate=False), evaluate=False)
    return {
        "batches": ((P.relations(batch_k, P.Distributed(xi, P.NORMAL(0, 1))),), ()),
        "sigmoid": ((P.eq(sig_of, d.sigmoid),), ()),
        "dsigmoid": ((P.eq(dsig, d.dsigmoid_raw, d.dsigmoid),),
                     (P.eq(P.Maximum(dsig, z), dsig.subs(z, 0), d.dsigmoid_max),)),
        "threshold": ((P.iff((d.dsigmoid, tau), (sp.Abs(z), z_tau, d.threshold)),), ()),
        "share_before": ((P.latex(share_k),), ()),
        "normalize": ((P.eq(bn_ops.SYM['xhat'][S.i], bn_ops.display_form(bn.definitions['xhat'])),
                       P.eq(bn_ops.SYM['y'][S.i], bn.definitions['y'])), ()),
        "share_after": ((P.latex(S.rename(share_k, {x: bn_ops.SYM['y']})),), ()),
    }


def _share(x: sp.IndexedBase, z_tau: sp.Symbol, n: sp.Symbol) -> sp.Expr:
    """The share of a batch's n samples x_i beyond |x_i| > z_τ (Heaviside of |x_i| − z_τ, averaged)."""
    beyond = sp.Add(sp.Abs(x[S.i]), -z_tau, evaluate=False)
    return sp.Mul(sp.Sum(sp.Heaviside(beyond), (S.i, 1, n)), sp.Pow(n, -1), evaluate=False)


@lru_cache(maxsize=1)
def threshold_code() -> str:
    """z_τ as NumPy code, printed from the derived expression."""
    return _code(layers.derivations().threshold)


def check_params(means, scales, tau: float, samples: int) -> tuple[Array, Array]:
    means = np.asarray(means, dtype=float).ravel()
    scales = np.asarray(scales, dtype=float).ravel()
    lo, hi = LIMITS["batches"]
    if means.shape != scales.shape or not lo <= means.size <= hi:
        raise InputError("error.nets.batches", n=means.size, k=scales.size, lo=lo, hi=hi)
    for name, values in (("mean", means), ("scale", scales)):
        lo, hi = LIMITS[name]
        bad = [v for v in values if not (np.isfinite(v) and lo <= v <= hi)]
        if bad:
            raise InputError("error.nets.range", name=name, value=bad[0], lo=lo, hi=hi)
    if not (np.isfinite(tau) and 0 < tau < 0.25):
        raise InputError("error.nets.tau", value=tau)
    lo, hi = LIMITS["samples"]
    if not (isinstance(samples, (int, np.integer)) and lo <= samples <= hi):
        raise InputError("error.nets.range", name="samples", value=samples, lo=lo, hi=hi)
    return means, scales


def values(settings: Settings, means, scales, tau: float, samples: int) -> dict[str, Array]:
    """Every value of the lesson (shapes: xs, sig, dsig, xbn, dsig_bn (n, K); per batch (K,))."""
    means, scales = check_params(means, scales, tau, samples)
    k = means.size
    xs = means + scales * np.random.default_rng(settings.seed).standard_normal((samples, k))
    z_tau = layers.saturation_threshold(tau)
    gamma, beta = np.full(k, float(settings.gamma)), np.full(k, float(settings.beta))
    xbn, _ = bn_ops.batchnorm_forward(xs, gamma, beta, settings.eps)
    return {
        "xs": xs, "batch_mean": xs.mean(axis=0), "batch_std": xs.std(axis=0),
        "sig": layers.sigmoid(xs), "dsig": layers.sigmoid_grad(xs), "tau": np.asarray(tau),
        "z_tau": np.asarray(z_tau), "share_before": (np.abs(xs) > z_tau).mean(axis=0),
        "xbn": xbn, "dsig_bn": layers.sigmoid_grad(xbn), "share_after": (np.abs(xbn) > z_tau).mean(axis=0),
    }


SHOWN = {
    "batches": ("xs", "batch_mean", "batch_std"),
    "sigmoid": ("xs", "sig"),
    "dsigmoid": ("xs", "dsig"),
    "threshold": ("tau", "z_tau"),
    "share_before": ("share_before",),
    "normalize": ("xs", "xbn"),
    "share_after": ("dsig_bn", "share_after"),
}


def code() -> dict[str, str]:
    return {
        "batches": ("xs = means + scales * np.random.default_rng(seed).standard_normal((n, len(means)))\n"
                    "batch_mean = xs.mean(axis=0)\nbatch_std = xs.std(axis=0)"),
        "sigmoid": "sig = 1 / (1 + np.exp(-xs))",
        "dsigmoid": "dsig = sig * (1 - sig)",
        "threshold": f"z_tau = {threshold_code()}",
        "share_before": "share_before = (np.abs(xs) > z_tau).mean(axis=0)",
        "normalize": ("xhat = (xs - xs.mean(axis=0)) / np.sqrt(xs.var(axis=0) + eps)\n"
                      "xbn = gamma * xhat + beta"),
        "share_after": ("s_bn = 1 / (1 + np.exp(-xbn))\ndsig_bn = s_bn * (1 - s_bn)\n"
                        "share_after = (np.abs(xbn) > z_tau).mean(axis=0)"),
    }


@lru_cache(maxsize=8)
def _cached(settings: Settings, lang: str, means: tuple, scales: tuple, tau: float, samples: int) -> Walkthrough:
    return _walkthrough(settings, lang, means, scales, tau, samples)


def walkthrough(settings: Settings, lang: str = "en", means=MEANS, scales=SCALES, tau: float = TAU,
                samples: int = SAMPLES) -> Walkthrough:
    """The saturation lesson for these batches (columns k = 1..K of every (n, K) value).
    Cached by its arguments: treat the result as read-only."""
    try:
        key = (tuple(float(v) for v in means), tuple(float(v) for v in scales))
    except (TypeError, ValueError):
        raise InputError("error.nets.batches", n=np.size(means), k=np.size(scales), lo=LIMITS["batches"][0],
                         hi=LIMITS["batches"][1]) from None
    return _cached(settings, lang, *key, tau, samples)


def _walkthrough(settings: Settings, lang: str, means, scales, tau: float, samples: int) -> Walkthrough:
    vals = values(settings, means, scales, tau, samples)
    forms = formulas()
    codes = code()
    z_tau = float(vals["z_tau"])
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        note = t(f"step.saturation.{name}.note", lang, tau=tau, z=f"{z_tau:.2f}",
                 before=", ".join(f"{100 * v:.1f}%" for v in vals["share_before"]),
                 after=", ".join(f"{100 * v:.1f}%" for v in vals["share_after"]))
        steps.append(Step(name, "forward", t(f"step.saturation.{name}.title", lang), lines, local, note,
                          {v: vals[v] for v in SHOWN[name]}, name, codes[name]))
    means, scales = (np.asarray(v, dtype=float) for v in (means, scales))
    record = asdict(settings)
    record.update(means=means.tolist(), scales=scales.tolist(), tau=tau, samples=samples)
    setup = "\n".join([
        "import numpy as np", "",
        f"means = np.array({means.tolist()!r})", f"scales = np.array({scales.tolist()!r})",
        f"n, seed, tau, eps = {samples}, {settings.seed}, {tau!r}, {settings.eps!r}",
        f"gamma, beta = {float(settings.gamma)!r}, {float(settings.beta)!r}",
    ])
    return Walkthrough("saturation", t("page.saturation.title", lang), lang, record, tuple(steps), setup,
                       labels(lang))
