"""The normalization family on the command line.

* ``derive --norm batch|layer|instance|group|renorm --mode train|test ...``:
  :func:`run_family` (called by ``bnviz.cli.derive.run_derive`` for everything but
  training-mode batch norm on a 2-D batch, which keeps its original path).
  Inputs may be 2-D (samples × features) or, from a ``.npy`` file, 4-D
  (N, C, H, W); γ, β and the running statistics have one value per channel.
* ``stats``: K training steps on batches from a population; the running
  estimates of cs231n, PyTorch and Caffe (``bnviz.lessons.train_test``).

Everything is computed by ``bnviz.norms`` and the lesson builders; the
output is the same Step model as the pages' (``bnviz.export``).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from bnviz import data, export
from bnviz.cli.common import (
    EXIT_OK,
    Command,
    add_output_arguments,
    batch_options,
    emit,
    float_option,
    int_option,
    vector_option,
)
from bnviz.i18n import InputError, t
from bnviz.lessons import axes as axes_lesson
from bnviz.lessons import graph as graph_lesson
from bnviz.lessons import renorm as renorm_lesson
from bnviz.lessons import train_test as tt_lesson
from bnviz.limits import MAX_TENSOR_CELLS
from bnviz.ops import bn, family, renorm, testmode
from bnviz.settings import DEFAULTS, LIMITS, Settings

Array = np.ndarray

NORM_CHOICES = ("batch", "layer", "instance", "group", "renorm")
MODES = ("train", "test")
MAX_CELLS = MAX_TENSOR_CELLS
"""Largest tensor accepted (N·C·H·W): every cell appears in the output (``bnviz.limits``)."""


# ------------------------------------------------------------------ options --


def add_family_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    """derive's family options (added by ``bnviz.cli.derive._add_derive_arguments``)."""
    p.add_argument("--norm", choices=NORM_CHOICES, default="batch", help=t("cli.norms.opt_norm", lang))
    p.add_argument("--groups", default="1", metavar="G", help=t("cli.norms.opt_groups", lang))
    p.add_argument("--mode", choices=MODES, default="train", help=t("cli.norms.opt_mode", lang))
    p.add_argument("--running-mean", default="0", metavar="M[,M...]", help=t("cli.norms.opt_running_mean", lang))
    p.add_argument("--running-var", default="1", metavar="V[,V...]", help=t("cli.norms.opt_running_var", lang))
    p.add_argument("--rmax", default=str(renorm_lesson.DEFAULTS["rmax"]), metavar="R",
                   help=t("cli.norms.opt_rmax", lang))
    p.add_argument("--dmax", default=str(renorm_lesson.DEFAULTS["dmax"]), metavar="D",
                   help=t("cli.norms.opt_dmax", lang))


def is_family(args: argparse.Namespace) -> bool:
    """Does ``derive`` need the family path (anything but 2-D training-mode batch norm)?"""
    return (args.norm != "batch" or args.mode != "train"
            or any(rank_of(path) == 4 for path in (args.x, args.dout) if path))


def rank_of(path: str) -> int | None:
    """The rank of a ``.npy`` file's array (read from its header only), None for other or unreadable files."""
    p = Path(path)
    if p.suffix != ".npy" or not p.is_file():
        return None
    try:
        return len(data.npy_shape(path, "--x"))
    except InputError:
        return None


def load_array(option: str, path: str) -> Array:
    """A 2-D matrix (CSV or .npy, checked by ``bnviz.data``) or a 4-D .npy tensor (N, C, H, W)."""
    rank = rank_of(path)
    if rank is not None and rank not in (1, *family.RANKS):
        raise InputError("error.norms.rank", shape=str(data.npy_shape(path, option)))
    if rank != 4:
        return data.load_matrix(path, option)
    shape = data.npy_shape(path, option)  # file size and header shape checked before loading
    if math.prod(shape) > MAX_CELLS:
        raise InputError("cli.norms.too_big", what=option, shape=str(shape), cells=MAX_CELLS)
    arr = data.load_npy(path, option, MAX_CELLS)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InputError("error.dtype", what=option, dtype=str(arr.dtype))
    if arr.size == 0:
        raise InputError("error.empty", what=option)
    if arr.size > MAX_CELLS:
        raise InputError("cli.norms.too_big", what=option, shape=str(arr.shape), cells=MAX_CELLS)
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise InputError("error.not_finite_file", what=option)
    if np.max(np.abs(arr)) > data.MAX_ABS:
        raise InputError("error.too_large", what=option, limit=f"{data.MAX_ABS:.0e}")
    return arr


def family_inputs(args: argparse.Namespace) -> tuple[Array, Array, Array, Array, float, Settings]:
    """x, ∂L/∂y (same shape), γ and β (one per channel), ε and the settings that describe them.

    Without files x is the app's batch (m × D from ``--m``, ``--d``); a file's
    shape wins, and the missing half is drawn as in the app (x from
    ``default_rng(seed)``, drawn as N rows of C·H·W numbers for a 4-D shape).
    """
    m, d, seed, eps = batch_options(args)
    x = load_array("--x", args.x) if args.x is not None else None
    dout = load_array("--dout", args.dout) if args.dout is not None else None
    shape = (x if x is not None else dout).shape if (x is not None or dout is not None) else (m, d)
    if x is None:
        rest = int(np.prod(shape[1:]))
        x = data.draw_x(args.dist, shape[0], rest, np.random.default_rng(seed)).reshape(shape)
    if dout is None:
        dout = np.ones(shape) if args.upstream == "ones" else np.random.default_rng(seed + 1).standard_normal(shape)
    if dout.shape != x.shape:
        raise InputError("error.dout_shape", x=str(x.shape), dout=str(dout.shape))
    c = x.shape[1]
    gamma = vector_option("--gamma", args.gamma, c)
    beta = vector_option("--beta", args.beta, c)
    settings = Settings(m=x.shape[0], d=c, gamma=float(gamma[0]), beta=float(beta[0]), eps=eps, seed=seed,
                        dist="custom" if args.x is not None else args.dist,
                        upstream="custom" if args.dout is not None else args.upstream, lang=args.lang)
    return x, dout, gamma, beta, eps, settings


# ------------------------------------------------------------------ derive --


def _flat(a: Array) -> list[float]:
    return np.asarray(a, dtype=float).reshape(-1).tolist()


def _summary(x: Array, dout: Array, mu: Array, var: Array, xhat: Array, y: Array, dx: Array, dgamma: Array,
             dbeta: Array, paths: dict[str, Array], notes: list[str]) -> dict[str, object]:
    """The JSON keys ``derive`` always writes; arrays in x's shape, statistics one per set."""
    return {
        "x": x.tolist(), "dout": dout.tolist(),
        "forward": {"mu": _flat(mu), "var": _flat(var), "xhat": xhat.tolist(), "y": y.tolist()},
        "backward": {"dx": dx.tolist(), "dgamma": _flat(dgamma), "dbeta": _flat(dbeta),
                     "paths": {k: v.tolist() for k, v in paths.items()}},
        "notes": notes,
    }


def _finite(*arrays: object) -> None:
    for a in arrays:
        if not np.all(np.isfinite(np.asarray(a, dtype=float))):
            raise InputError("cli.not_finite_result")


def run_family(args: argparse.Namespace) -> int:
    """``derive`` for the family: the walkthrough of the chosen norm and mode, JSON as before."""
    x, dout, gamma, beta, eps, settings = family_inputs(args)
    c, lang = x.shape[1], args.lang
    groups = int_option("--groups", args.groups, 1, max(1, c))
    if len(x.shape) not in family.RANKS:
        raise InputError("error.norms.rank", shape=str(x.shape))
    notes: list[str] = []
    record = {"norm": args.norm, "mode": args.mode, "x_file": args.x, "dout_file": args.dout}
    with np.errstate(all="ignore"):
        if args.norm in ("batch", "renorm") and args.mode == "test":
            walk, extra = _test_mode(args, x, dout, gamma, beta, eps, settings, notes)
        elif args.norm == "renorm":
            walk, extra = _renorm(args, x, dout, gamma, beta, eps, settings, notes)
        elif args.norm == "layer" and x.ndim == 2:
            walk, extra = _layer_2d(x, dout, gamma, beta, eps, settings, lang, notes)
        else:
            kind = {"batch": "batch", "layer": "layer", "instance": "instance", "group": "group"}[args.norm]
            walk, extra = _axes(kind, groups, x, dout, gamma, beta, eps, settings, lang, notes)
            record["groups"] = groups
    if args.mode == "test" and args.norm in ("layer", "instance", "group"):
        notes.append(t("cli.norms.no_running", lang, norm=args.norm))
    _finite(*(v for s in walk.steps for v in s.values.values()))
    walk = replace(walk, settings={**walk.settings, **record})
    emit(export.render(walk, args.format, extra if args.format == "json" else None), args.output)
    return EXIT_OK


def _layer_2d(x, dout, gamma, beta, eps, settings, lang, notes):
    problem = graph_lesson.ln_checked(data.checked_matrix(x, "x"), data.checked_matrix(dout, "dout"), gamma, beta,
                                      eps)
    walk = graph_lesson.bn_walkthrough(problem, settings, lang, "layer")
    run = family.norm_run(x, gamma, beta, dout, eps, "layer")
    notes += [t(k, lang, **f) for k, f in problem.notes]
    return walk, _summary(x, dout, run.stat("mu"), run.stat("var"), run.full("xhat"), run.y, run.dx, run.dgamma,
                          run.dbeta, {p: run.path(p) for p in bn.PATHS}, notes)


def _axes(kind, groups, x, dout, gamma, beta, eps, settings, lang, notes):
    ax = axes_lesson.run_tensor(x, dout, gamma, beta, eps, kind, groups)
    walk = axes_lesson.build(ax, settings, lang, {"norm": kind, "groups": groups})
    run = ax.run
    notes += [t(k, lang, **f) for k, f in ax.notes]
    return walk, _summary(x, dout, run.stat("mu"), run.stat("var"), run.full("xhat"), run.y, run.dx, run.dgamma,
                          run.dbeta, {p: run.path(p) for p in bn.PATHS}, notes)


def _running(args: argparse.Namespace, c: int) -> tuple[Array, Array]:
    mean = vector_option("--running-mean", args.running_mean, c)
    var = vector_option("--running-var", args.running_var, c)
    return testmode.check_running(mean, var, c)


def _test_mode(args, x, dout, gamma, beta, eps, settings, notes):
    mean, var = _running(args, x.shape[1])
    walk = tt_lesson.test_walkthrough(x, dout, gamma, beta, eps, mean, var, settings, args.lang)
    run = testmode.bn_test_run(x, gamma, beta, dout, eps, mean, var)
    lay = run.layout
    grads = run.bn.back.grads
    dx = lay.from_sets(grads["x"])
    zero = np.zeros_like(dx)
    if args.norm == "renorm":
        notes.append(t("cli.norms.renorm_test", args.lang))
    return walk, _summary(x, dout, mean, var, run.full("xhat"), run.y, dx,
                          lay.channel_sum(lay.from_sets(grads["gamma"])), lay.channel_sum(lay.from_sets(grads["beta"])),
                          {"xhat": dx, "var": zero, "mu": zero}, notes)


def _renorm(args, x, dout, gamma, beta, eps, settings, notes):
    rmax, dmax = float_option("--rmax", args.rmax), float_option("--dmax", args.dmax)
    mean, var = _running(args, x.shape[1])
    sigma = np.sqrt(var + eps)
    lay = family.layout(x.shape, "batch")
    problem = data.Problem(lay.to_sets(x), lay.to_sets(dout), gamma, beta, float(eps))
    if eps == 0 and np.any(np.ptp(problem.x, axis=0) == 0):
        raise InputError("error.norms.zero_var_eps0")
    if eps == 0 and np.any(sigma == 0):
        raise InputError("error.norms.sigma", value="0")
    rn = renorm_lesson.compute_problem(problem, rmax, dmax, renorm_lesson.DEFAULTS["alpha"], mean, sigma)
    walk = renorm_lesson.build(rn, settings if x.ndim == 2 else replace(settings, dist="custom", upstream="custom"),
                               args.lang, {"rmax": rmax, "dmax": dmax, "running_mean": mean.tolist(),
                                           "running_var": var.tolist()})
    r = rn.run
    v, g = r.values, r.back.grads
    extra = _summary(x, dout, v["mu"], v["var"], lay.from_sets(v["xhat"]), lay.from_sets(v["y"]),
                     lay.from_sets(r.dx), g["gamma"], g["beta"],
                     {lab: lay.from_sets(r.path(lab)) for lab in renorm.RN_PATHS}, notes)
    extra.update(r=r.r.tolist(), d=r.d.tolist())
    return walk, extra


# ------------------------------------------------------------------- stats --


def _stats_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    d = tt_lesson.DEFAULTS
    lo, hi = tt_lesson.LIMITS["k"]
    p.add_argument("--k", default=str(d["k"]), metavar="K", help=t("cli.stats.opt_k", lang, lo=lo, hi=hi))
    p.add_argument("--m", default=str(DEFAULTS.m), metavar="M",
                   help=t("cli.opt_m", lang, lo=int(LIMITS["m"][0]), hi=int(LIMITS["m"][1])))
    p.add_argument("--d", default=str(DEFAULTS.d), metavar="D",
                   help=t("cli.opt_d", lang, lo=int(LIMITS["d"][0]), hi=int(LIMITS["d"][1])))
    p.add_argument("--seed", default=str(DEFAULTS.seed), metavar="SEED",
                   help=t("cli.opt_seed", lang, lo=int(LIMITS["seed"][0]), hi=int(LIMITS["seed"][1])))
    p.add_argument("--pop-mean", default=str(d["pop_mean"]), metavar="MEAN", help=t("cli.stats.opt_pop_mean", lang))
    p.add_argument("--pop-std", default=str(d["pop_std"]), metavar="STD", help=t("cli.stats.opt_pop_std", lang))
    p.add_argument("--momentum-cs231n", default=str(d["momentum_cs231n"]), metavar="P",
                   help=t("cli.stats.opt_momentum_cs231n", lang))
    p.add_argument("--momentum-pytorch", default=str(d["momentum_pytorch"]), metavar="P",
                   help=t("cli.stats.opt_momentum_pytorch", lang))
    p.add_argument("--lam-caffe", default=str(d["lam_caffe"]), metavar="L", help=t("cli.stats.opt_lam_caffe", lang))
    p.add_argument("--momentum-keras", default=str(d["momentum_keras"]), metavar="P",
                   help=t("cli.stats.fw.opt_momentum_keras", lang))
    p.add_argument("--convention", default=None, choices=tt_lesson.SHOWN, metavar="NAME",
                   help=t("cli.stats.fw.opt_convention", lang))
    p.add_argument("--eps", default=str(DEFAULTS.eps), metavar="EPS", help=t("cli.opt_eps", lang))
    add_output_arguments(p, lang, ("text", "json", "md", "tex", "ipynb"))


def _stats_summary(tt: tt_lesson.TrainTest, pop_mean: float, pop_std: float,
                   only: str | None = None) -> dict[str, object]:
    return {
        "population": {"mean": pop_mean, "var": pop_std ** 2},
        "batches": {"mean": tt.mu_b.tolist(), "var": tt.var_b.tolist()},
        "conventions": {
            c: {"rate": tr.rate, "mean": tr.mean.tolist(), "var": tr.var.tolist(),
                "final": {"mean": tr.mean[-1].tolist(), "var": tr.var[-1].tolist()},
                "state": {k: v.tolist() for k, v in tr.state.items()}}
            for c, tr in tt.traces.items() if only in (None, c)
        },
    }


def stats_text(tt: tt_lesson.TrainTest, k: int, pop_mean: float, pop_std: float, lang: str,
               only: str | None = None) -> str:
    """The running estimates after each convention's K updates, one line per convention and feature."""
    lines = [t("cli.stats.header", lang, k=k, m=tt.x.shape[0], mean=f"{pop_mean:g}", var=f"{pop_std ** 2:g}"), ""]
    head = [t("cli.stats.col_convention", lang), t("cli.stats.col_rate", lang), t("cli.stats.col_feature", lang),
            t("cli.stats.col_mean", lang), t("cli.stats.col_var", lang)]
    rows = [[tt_lesson.NAMES[c], f"{tr.rate:g}", str(j + 1), f"{tr.mean[-1, j]:.6f}", f"{tr.var[-1, j]:.6f}"]
            for c, tr in tt.traces.items() if only in (None, c) for j in range(tt.x.shape[1])]
    widths = [max(len(r[n]) for r in [head, *rows]) for n in range(len(head))]
    for r in [head, *rows]:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def run_stats(args: argparse.Namespace) -> int:
    """``stats``: K steps of every convention on batches from N(pop_mean, pop_std²)."""
    lo, hi = tt_lesson.LIMITS["k"]
    k = int_option("--k", args.k, lo, hi)
    m, d, seed, eps = batch_options(args)
    params = {"k": k, "pop_mean": float_option("--pop-mean", args.pop_mean),
              "pop_std": float_option("--pop-std", args.pop_std),
              "momentum_cs231n": float_option("--momentum-cs231n", args.momentum_cs231n),
              "momentum_pytorch": float_option("--momentum-pytorch", args.momentum_pytorch),
              "lam_caffe": float_option("--lam-caffe", args.lam_caffe),
              "momentum_keras": float_option("--momentum-keras", args.momentum_keras), "source": "pytorch",
              "running_mean": "0", "running_var": "1"}
    settings = Settings(m=m, d=d, seed=seed, eps=eps, lang=args.lang)
    tt = tt_lesson.compute(settings, **params)
    if args.format == "text":
        text = stats_text(tt, k, params["pop_mean"], params["pop_std"], args.lang, args.convention)
    else:
        walk = tt_lesson.build(tt, settings, args.lang, tt_lesson.params_with_defaults(params))
        extra = (_stats_summary(tt, params["pop_mean"], params["pop_std"], args.convention)
                 if args.format == "json" else None)
        text = export.render(walk, args.format, extra)
    emit(text, args.output)
    return EXIT_OK


COMMANDS = (
    Command("stats", "cli.stats.help", "cli.stats.description", _stats_arguments, run_stats),
)
