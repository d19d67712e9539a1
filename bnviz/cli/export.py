"""``python -m bnviz course``: the whole course as one document.

Every lesson (``bnviz.course``) is built for the given batch settings, each
with its own page controls at their defaults, and written as Markdown,
LaTeX, a notebook or JSON.
"""

from __future__ import annotations

import argparse

from bnviz import export
from bnviz.cli.common import Command, add_output_arguments, emit, float_option, int_option
from bnviz.course import course_walkthroughs
from bnviz.i18n import InputError, t
from bnviz.settings import DEFAULTS, DISTRIBUTIONS, EPS_CHOICES, LIMITS, UPSTREAMS, Settings


def _arguments(p: argparse.ArgumentParser, lang: str) -> None:
    lim = {k: tuple(int(v) for v in LIMITS[k]) for k in ("m", "d", "seed")}
    p.add_argument("--m", default=str(DEFAULTS.m), metavar="M", help=t("cli.opt_m", lang, lo=lim["m"][0],
                                                                          hi=lim["m"][1]))
    p.add_argument("--d", default=str(DEFAULTS.d), metavar="D", help=t("cli.opt_d", lang, lo=lim["d"][0],
                                                                          hi=lim["d"][1]))
    p.add_argument("--gamma", default=str(DEFAULTS.gamma), metavar="G", help=t("cli.course.opt_gamma", lang))
    p.add_argument("--beta", default=str(DEFAULTS.beta), metavar="B", help=t("cli.course.opt_beta", lang))
    p.add_argument("--eps", default=str(DEFAULTS.eps), metavar="EPS", help=t("cli.opt_eps", lang))
    p.add_argument("--seed", default=str(DEFAULTS.seed), metavar="SEED",
                   help=t("cli.opt_seed", lang, lo=lim["seed"][0], hi=lim["seed"][1]))
    p.add_argument("--dist", choices=[d for d in DISTRIBUTIONS if d != "custom"], default=DEFAULTS.dist,
                   help=t("cli.opt_dist", lang))
    p.add_argument("--upstream", choices=[u for u in UPSTREAMS if u != "custom"], default=DEFAULTS.upstream,
                   help=t("cli.opt_upstream", lang))
    add_output_arguments(p, lang, ("md", "tex", "ipynb", "json"))


def settings_from(args: argparse.Namespace) -> Settings:
    """The sidebar's settings from the command line, checked like the sidebar's widgets."""
    lo, hi = LIMITS["gamma"]
    gamma, beta = float_option("--gamma", args.gamma), float_option("--beta", args.beta)
    for option, v in (("--gamma", gamma), ("--beta", beta)):
        if not lo <= v <= hi:
            raise InputError("cli.range", option=option, value=v, lo=lo, hi=hi)
    eps = float_option("--eps", args.eps)
    if eps not in EPS_CHOICES:
        raise InputError("cli.course.eps", eps=eps, choices=", ".join(f"{e:g}" for e in EPS_CHOICES))
    return Settings(
        m=int_option("--m", args.m, *(int(v) for v in LIMITS["m"])),
        d=int_option("--d", args.d, *(int(v) for v in LIMITS["d"])),
        gamma=gamma, beta=beta, eps=eps,
        seed=int_option("--seed", args.seed, *(int(v) for v in LIMITS["seed"])),
        dist=args.dist, upstream=args.upstream, lang=args.lang,
    )


def run(args: argparse.Namespace) -> int:
    walks = course_walkthroughs(settings_from(args), args.lang)
    emit(export.render(walks, args.format), args.output)
    return 0


COMMANDS = (
    Command("course", "cli.course.help", "cli.course.description", _arguments, run),
)
