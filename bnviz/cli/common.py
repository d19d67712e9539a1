"""What every sub-command shares: the parser, the Command record, option checkers, output.

A command module (``bnviz/cli/<group>.py``) defines its commands as
:class:`Command` records in a tuple ``COMMANDS``; ``bnviz/cli/__init__.py``
lists the modules explicitly (the registry). A command reports bad input by
raising :class:`bnviz.i18n.InputError`. This module imports no command module.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from bnviz import data
from bnviz.i18n import LANGS, InputError, t
from bnviz.limits import LIMITS, MAX_ABS

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


def registry(commands: Iterable[Command]) -> dict[str, Command]:
    """Name -> command, in the given order (names must be unique)."""
    table: dict[str, Command] = {}
    for command in commands:
        if command.name in table:
            raise ValueError(f"sub-command {command.name!r} is registered twice")
        table[command.name] = command
    return table


def build_parser(commands: dict[str, Command], lang: str = "en") -> CliParser:
    """The top-level parser with one sub-parser per command."""
    parser = CliParser(prog=PROG, description=t("cli.description", lang), lang=lang)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title=t("cli.commands", lang))
    for cmd in commands.values():
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


def shown(text: str) -> str:
    """``text`` cut to :data:`MAX_TOKEN` characters for an error message."""
    return text if len(text) <= MAX_TOKEN else text[:MAX_TOKEN] + "…"


def int_option(option: str, text: str, lo: int, hi: int) -> int:
    """A whole number in lo..hi typed for ``option``; InputError otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise InputError("cli.not_int", option=option, value=shown(text)) from None
    if not lo <= value <= hi:
        raise InputError("cli.range", option=option, value=value, lo=lo, hi=hi)
    return value


def float_option(option: str, text: str) -> float:
    """A finite number typed for ``option``, at most ``bnviz.limits.MAX_ABS`` in size; InputError otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise InputError("cli.not_number", option=option, value=shown(text)) from None
    if not np.isfinite(value):
        raise InputError("cli.not_finite", option=option, value=shown(text))
    if abs(value) > MAX_ABS:  # named here, not later as an overflow blamed on another input
        raise InputError("cli.range", option=option, value=shown(text), lo=f"{-MAX_ABS:g}", hi=f"{MAX_ABS:g}")
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


def batch_options(args: argparse.Namespace) -> tuple[int, int, int, float]:
    """``--m``, ``--d``, ``--seed`` and ``--eps``, checked against the app's limits."""
    m = int_option("--m", args.m, *(int(v) for v in LIMITS["m"]))
    d = int_option("--d", args.d, *(int(v) for v in LIMITS["d"]))
    seed = int_option("--seed", args.seed, *(int(v) for v in LIMITS["seed"]))
    eps = float_option("--eps", args.eps)
    if eps < 0:
        raise InputError("error.eps", eps=eps)
    return m, d, seed, eps


def output_is_not_an_input(args: argparse.Namespace) -> None:
    """InputError ``error.limits.same_file`` if ``-o`` names a file that another option reads."""
    output = getattr(args, "output", None)
    if not output or not Path(output).exists():
        return
    for name, value in vars(args).items():
        if name != "output" and isinstance(value, str) and value and Path(value).is_file():
            try:
                same = Path(value).samefile(output)
            except OSError:
                continue
            if same:
                raise InputError("error.limits.same_file", path=output)
