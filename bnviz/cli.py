"""The command line: ``python -m bnviz <command> [options]``.

Sub-commands live in a small registry, :data:`COMMANDS`. Adding one takes a
function that adds its options, a function that runs it and one
:func:`register` call::

    def _stats_arguments(p: argparse.ArgumentParser, lang: str) -> None:
        p.add_argument("--m", default="8", help=t("cli.opt_m", lang, lo=1, hi=512))
        add_output_arguments(p, lang)

    def _stats_run(args: argparse.Namespace) -> int:
        m = int_option("--m", args.m, 1, 512)
        ...
        emit(text, args.output)
        return 0

    register(Command("stats", "cli.stats_help", "cli.stats_description", _stats_arguments, _stats_run))

Every sub-command gets ``--lang`` for free. A command reports bad input by
raising :class:`bnviz.i18n.InputError`; :func:`main` turns it into one line on
stderr (in ``--lang``) and exit status 2. Usage errors found by argparse are
printed as one line too, never a traceback.

``derive`` builds the same batch as the app (``bnviz.data``), walks the
computation graph (``bnviz.lessons.graph.bn_walkthrough``) and writes the steps
with ``bnviz.export`` as JSON or Markdown; nothing is computed here.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

import numpy as np

from bnviz import data, export
from bnviz.i18n import LANGS, InputError, t
from bnviz.lessons.graph import bn_walkthrough
from bnviz.ops import bn
from bnviz.settings import DEFAULTS, DISTRIBUTIONS, LIMITS, UPSTREAMS, Settings

Array = np.ndarray

PROG = "python -m bnviz"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
"""Exit statuses: success, internal error or closed pipe, bad input, Ctrl-C."""

MAX_TOKEN = 40
"""Quoted user input is cut to this many characters in error messages."""


# ----------------------------------------------------------------- parser --


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def say_error(message: str, lang: str = "en") -> None:
    """Print ``error: message`` (in ``lang``) as exactly one line on stderr."""
    print(one_line(t("cli.error", lang, message=message)), file=sys.stderr)


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2.

    ``lang`` picks the language of the ``error:`` prefix and of the help
    texts; argparse's own wording stays English. Abbreviated options are
    refused (``--dou`` is an error, not ``--dout``), so options added by
    later sub-commands can never change what an existing command line means.
    """

    def __init__(self, *args: object, lang: str = "en", **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lang = lang

    def error(self, message: str) -> NoReturn:
        """Print one ``error: ...`` line and exit with status 2 (no usage block)."""
        say_error(message, self.lang)
        self.exit(EXIT_USAGE)


@dataclass(frozen=True)
class Command:
    """One sub-command.

    name:          what the user types, e.g. ``derive``
    help_key:      catalog key of the one-line summary in the command list
    description_key: catalog key of the paragraph in ``<command> --help``
    add_arguments: adds the command's options to its parser; gets the language
                   so help texts can come from the catalog
    run:           does the work; returns the exit status and raises
                   :class:`InputError` for bad input
    """

    name: str
    help_key: str
    description_key: str
    add_arguments: Callable[[argparse.ArgumentParser, str], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}
"""Registered sub-commands, in the order they are listed by ``--help``."""


def register(command: Command) -> Command:
    """Add a sub-command to :data:`COMMANDS` (names must be unique)."""
    if command.name in COMMANDS:
        raise ValueError(f"sub-command {command.name!r} is registered twice")
    COMMANDS[command.name] = command
    return command


def build_parser(lang: str = "en") -> CliParser:
    """The top-level parser with one sub-parser per registered command."""
    parser = CliParser(prog=PROG, description=t("cli.description", lang), lang=lang)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title=t("cli.commands", lang))
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=t(cmd.help_key, lang),
                           description=t(cmd.description_key, lang), lang=lang)
        cmd.add_arguments(p, lang)
        p.add_argument("--lang", choices=LANGS, default="en", help=t("cli.opt_lang", lang))
    return parser


def scan_lang(argv: list[str]) -> str:
    """The ``--lang`` in ``argv`` (the last one wins, as in argparse), or "en".

    Read before parsing so that even a usage error is reported in that language.
    """
    lang = "en"
    for n, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and n + 1 < len(argv):
            value = argv[n + 1]
        elif arg.startswith("--lang="):
            value = arg.removeprefix("--lang=")
        else:
            continue
        if value in LANGS:
            lang = value
    return lang


# ------------------------------------------------- option values and output --


def _shown(text: str) -> str:
    return text if len(text) <= MAX_TOKEN else text[:MAX_TOKEN] + "…"


def int_option(option: str, text: str, lo: int, hi: int) -> int:
    """A whole number in lo..hi typed for ``option``; InputError otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise InputError("cli.not_int", option=option, value=_shown(text)) from None
    if not lo <= value <= hi:
        raise InputError("cli.range", option=option, value=value, lo=lo, hi=hi)
    return value


def float_option(option: str, text: str) -> float:
    """A finite number typed for ``option``; InputError otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise InputError("cli.not_number", option=option, value=_shown(text)) from None
    if not np.isfinite(value):
        raise InputError("cli.not_finite", option=option, value=_shown(text))
    return value


def vector_option(option: str, text: str, d: int) -> Array:
    """One number (used for every feature) or a comma list of exactly ``d`` numbers -> (d,)."""
    values = [float_option(option, part) for part in text.split(",")]
    if len(values) == 1:
        return np.full(d, values[0])
    if len(values) != d:
        raise InputError("error.param_len", name=option, n=len(values), d=d)
    return np.array(values, dtype=float)


def load_batch_file(option: str, path: str) -> Array:
    """A (rows, cols) matrix from a CSV or .npy file, checked by ``data.load_matrix``."""
    return data.load_matrix(path, option)


def add_output_arguments(p: argparse.ArgumentParser, lang: str,
                         formats: tuple[str, ...] = ("json", "md", "tex", "ipynb")) -> None:
    """``--format`` (first of ``formats`` by default) and ``-o/--output``."""
    p.add_argument("--format", choices=formats, default=formats[0], help=t("cli.opt_format", lang))
    p.add_argument("-o", "--output", metavar="FILE", help=t("cli.opt_output", lang))


def emit(text: str, output: str | None) -> None:
    """Write ``text`` (plus a final newline) to the file ``output``, or to stdout."""
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError("cli.write", path=output, reason=err.strerror or type(err).__name__) from None


# ----------------------------------------------------------------- derive --


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
    if importlib.util.find_spec("bnviz.cli_norms") is not None:  # --norm, --mode, ... (the normalization family)
        importlib.import_module("bnviz.cli_norms").add_family_arguments(p, lang)
    add_output_arguments(p, lang)


def batch_options(args: argparse.Namespace) -> tuple[int, int, int, float]:
    """``--m``, ``--d``, ``--seed`` and ``--eps``, checked against the app's limits."""
    m = int_option("--m", args.m, *(int(v) for v in LIMITS["m"]))
    d = int_option("--d", args.d, *(int(v) for v in LIMITS["d"]))
    seed = int_option("--seed", args.seed, *(int(v) for v in LIMITS["seed"]))
    eps = float_option("--eps", args.eps)
    if eps < 0:
        raise InputError("error.eps", eps=eps)
    return m, d, seed, eps


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


def derive_extra(problem: data.Problem, run: bn.BNResult, lang: str) -> dict[str, object]:
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
            "paths": {p: run.path(p).tolist() for p in bn.PATHS},
        },
        "notes": [t(key, lang, **fields) for key, fields in problem.notes],
    }


def _all_finite(run: bn.BNResult, arrays: list[Array]) -> bool:
    parts = [*run.values.values(), *run.back.grads.values(), *(run.path(p) for p in bn.PATHS), *arrays]
    return all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in parts)


def run_derive(args: argparse.Namespace) -> int:
    """``derive``: the graph walkthrough of one batch as JSON or Markdown.

    Other norms, test mode and 4-D input go to ``bnviz.cli_norms.run_family``.
    """
    if hasattr(args, "norm"):
        family = importlib.import_module("bnviz.cli_norms")
        if family.is_family(args):
            return family.run_family(args)
    problem, settings = derive_problem(args)
    with np.errstate(all="ignore"):  # overflow is reported below as one line, not as warnings
        walk = bn_walkthrough(problem, settings, args.lang)
        run = bn.bn_run(problem.x, problem.gamma, problem.beta, problem.dout, problem.eps)
    if not _all_finite(run, [v for s in walk.steps for v in s.values.values()]):
        raise InputError("cli.not_finite_result")
    walk = replace(walk, settings={**walk.settings, "x_file": args.x, "dout_file": args.dout})
    extra = derive_extra(problem, run, args.lang) if args.format == "json" else None
    text = export.render(walk, args.format, extra)
    emit(text, args.output)
    return EXIT_OK


register(Command("derive", "cli.derive_help", "cli.derive_description", _add_derive_arguments, run_derive))


# ------------------------------------------------------------------- main --


def _status(code: object) -> int:
    """The exit status carried by a SystemExit code."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_USAGE


TOPIC_MODULES = ("bnviz.cli_norms", "bnviz.cli_nets", "bnviz.cli_conv", "bnviz.cli_export")
"""Modules that register more sub-commands when imported (those that exist)."""


def load_topic_commands() -> None:
    """Import every existing topic module once, so its ``register`` calls run."""
    for name in TOPIC_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    """Run one command line; return the exit status (0 ok, 2 bad input).

    ``argv`` excludes the program name; ``None`` means ``sys.argv[1:]``.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    load_topic_commands()
    lang = scan_lang(argv)
    try:
        args = build_parser(lang).parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error, already printed as one line (2)
        return _status(stop.code)
    lang = args.lang
    try:
        return COMMANDS[args.command].run(args)
    except InputError as err:
        say_error(err.message(lang), lang)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (e.g. `| head`). Point stdout at devnull so the
        # interpreter's final flush does not print a traceback either.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug: still one line, never a traceback
        say_error(t("cli.internal", lang, kind=type(err).__name__, detail=_shown(str(err))), lang)
        return EXIT_FAILED
