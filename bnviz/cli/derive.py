"""``derive``: the graph walkthrough of one batch as JSON, Markdown, LaTeX or a notebook.

It builds the same batch as the app (``bnviz.data``), walks the computation
graph (``bnviz.lessons.graph.bn_walkthrough``) and writes the steps with
``bnviz.export``; nothing is computed here. Other norms, test mode and 4-D
input are handed to :mod:`bnviz.cli.norms`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from bnviz import data
from bnviz.cli import learn
from bnviz.cli import norms as family
from bnviz.cli.common import (
    EXIT_OK,
    Command,
    add_output_arguments,
    batch_options,
    emit,
    load_batch_file,
    vector_option,
)
from bnviz.i18n import InputError, t
from bnviz.lessons.graph import bn_walkthrough
from bnviz.ops import bn as bn_ops
from bnviz.settings import DEFAULTS, DISTRIBUTIONS, LIMITS, UPSTREAMS, Settings

Array = np.ndarray


def _add_derive_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    lim = {k: tuple(int(v) for v in LIMITS[k]) for k in ("m", "d", "seed")}
    p.add_argument("--m", default=str(DEFAULTS.m), metavar="M",
                   help=t("cli.opt_m", lang, lo=lim["m"][0], hi=lim["m"][1]))
    p.add_argument("--d", default=str(DEFAULTS.d), metavar="D",
                   help=t("cli.opt_d", lang, lo=lim["d"][0], hi=lim["d"][1]))
    p.add_argument("--gamma", default=str(DEFAULTS.gamma), metavar="G[,G...]", help=t("cli.opt_gamma", lang))
    p.add_argument("--beta", default=str(DEFAULTS.beta), metavar="B[,B...]", help=t("cli.opt_beta", lang))
    p.add_argument("--eps", default=str(DEFAULTS.eps), metavar="EPS", help=t("cli.opt_eps", lang))
    p.add_argument("--seed", default=str(DEFAULTS.seed), metavar="SEED",
                   help=t("cli.opt_seed", lang, lo=lim["seed"][0], hi=lim["seed"][1]))
    p.add_argument("--x", metavar="FILE", help=t("cli.opt_x", lang))
    p.add_argument("--dout", metavar="FILE", help=t("cli.opt_dout", lang))
    p.add_argument("--dist", choices=[d for d in DISTRIBUTIONS if d != "custom"], default=DEFAULTS.dist,
                   help=t("cli.opt_dist", lang))
    p.add_argument("--upstream", choices=[u for u in UPSTREAMS if u != "custom"], default=DEFAULTS.upstream,
                   help=t("cli.opt_upstream", lang))
    family.add_family_arguments(p, lang)  # --norm, --mode, ... (the normalization family)
    learn.add_derive_arguments(p, lang)  # --ablate, --exercises
    add_output_arguments(p, lang)


def derive_problem(args: argparse.Namespace) -> tuple[data.Problem, Settings]:
    """The checked batch and the settings that describe it.

    Without files this is exactly the app's batch (``data.make_problem``);
    per-feature γ/β lists then replace the app's single values. With ``--x``
    and/or ``--dout`` the file's shape sets m and D and the missing half is
    drawn as in the app (x from ``default_rng(seed)``, ∂L/∂y from
    ``default_rng(seed + 1)`` or all ones).
    """
    m, d, seed, eps = batch_options(args)
    x = load_batch_file("--x", args.x) if args.x is not None else None
    dout = load_batch_file("--dout", args.dout) if args.dout is not None else None
    if x is not None or dout is not None:
        m, d = (x if x is not None else dout).shape
    gamma = vector_option("--gamma", args.gamma, d)
    beta = vector_option("--beta", args.beta, d)
    settings = Settings(m=m, d=d, gamma=float(gamma[0]), beta=float(beta[0]), eps=eps, seed=seed,
                        dist="custom" if x is not None else args.dist,
                        upstream="custom" if dout is not None else args.upstream, lang=args.lang)
    if x is None:
        x = data.draw_x(args.dist, m, d, np.random.default_rng(seed))
    if dout is None:
        dout = data.upstream_dout(args.upstream, x, gamma, beta, eps, seed)
    return data.check_problem(x, dout, gamma, beta, eps), settings


def derive_extra(problem: data.Problem, run: bn_ops.BNResult, lang: str) -> dict[str, object]:
    """The summary keys of the JSON: inputs, forward and backward results, notes.

    Per-feature statistics are length-D lists; per-sample arrays are m × D
    nested lists. ``backward.paths`` are the graph's three terms of dx.
    """
    v, g = run.values, run.back.grads

    def flat(a: Array) -> list[float]:
        return np.asarray(a).reshape(-1).tolist()

    return {
        "x": problem.x.tolist(),
        "dout": problem.dout.tolist(),
        "forward": {"mu": flat(v["mu"]), "var": flat(v["var"]), "xhat": v["xhat"].tolist(), "y": v["y"].tolist()},
        "backward": {
            "dx": run.dx.tolist(),
            "dgamma": flat(g["gamma"]),
            "dbeta": flat(g["beta"]),
            "paths": {p: run.path(p).tolist() for p in bn_ops.PATHS},
        },
        "notes": [t(key, lang, **fields) for key, fields in problem.notes],
    }


def _all_finite(run: bn_ops.BNResult, arrays: list[Array]) -> bool:
    parts = [*run.values.values(), *run.back.grads.values(), *(run.path(p) for p in bn_ops.PATHS), *arrays]
    return all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in parts)


def run_derive(args: argparse.Namespace) -> int:
    """``derive``: the graph walkthrough of one batch as JSON or Markdown.

    Other norms, test mode and 4-D input go to ``bnviz.cli.norms.run_family``.
    """
    if family.is_family(args):
        learn.refuse_for_family(args)
        return family.run_family(args)
    problem, settings = derive_problem(args)
    with np.errstate(all="ignore"):  # overflow is reported below as one line, not as warnings
        walk = bn_walkthrough(problem, settings, args.lang)
        run = bn_ops.bn_run(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
    if not _all_finite(run, [v for s in walk.steps for v in s.values.values()]):
        raise InputError("cli.not_finite_result")
    walk = replace(walk, settings={**walk.settings, "x_file": args.x, "dout_file": args.dout})
    extra = derive_extra(problem, run, args.lang) if args.format == "json" else None
    extra = learn.derive_extra(problem, args, extra)
    text = learn.render(walk, args, extra)
    emit(text, args.output)
    return EXIT_OK


COMMANDS = (Command("derive", "cli.derive_help", "cli.derive_description", _add_derive_arguments, run_derive),)
