"""The command line: ``python -m bnviz <command> [options]``.

The registry is explicit: :data:`MODULES` lists the command modules, each
with a tuple ``COMMANDS`` of :class:`bnviz.cli.common.Command` records.
Adding a command takes a function that adds its options, a function that
runs it and one record::

    def _stats_arguments(p: argparse.ArgumentParser, lang: str) -> None:
        p.add_argument("--m", default="8", help=t("cli.opt_m", lang, lo=1, hi=512))
        add_output_arguments(p, lang)

    def _stats_run(args: argparse.Namespace) -> int:
        m = int_option("--m", args.m, 1, 512)
        ...
        emit(text, args.output)
        return 0

    COMMANDS = (Command("stats", "cli.stats_help", "cli.stats_description", _stats_arguments, _stats_run),)

and, for a new module, one entry in :data:`MODULES`. Every sub-command gets
``--lang`` for free. A command reports bad input by raising
:class:`bnviz.i18n.InputError`; :func:`main` turns it into one line on stderr
(in ``--lang``) and exit status 2. Usage errors found by argparse are printed
as one line too, never a traceback.

Imports go one way: ``__init__`` -> command modules -> ``common``.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from bnviz.cli import conv, derive, export, nets, norms, practice
from bnviz.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    build_parser,
    output_is_not_an_input,
    registry,
    say_error,
    scan_lang,
    shown,
)
from bnviz.i18n import InputError, t

MODULES = (derive, norms, nets, conv, export, practice)
"""The command modules, in the order their commands are listed by ``--help``."""

COMMANDS: dict[str, Command] = registry(c for module in MODULES for c in module.COMMANDS)
"""Every sub-command by name."""


def _status(code: object) -> int:
    """The exit status carried by a SystemExit code."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run one command line; return the exit status (0 ok, 2 bad input).

    ``argv`` excludes the program name; ``None`` means ``sys.argv[1:]``.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = scan_lang(argv)
    try:
        args = build_parser(COMMANDS, lang).parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error, already printed as one line (2)
        return _status(stop.code)
    lang = args.lang
    try:
        output_is_not_an_input(args)
        # No NumPy warning ever reaches the terminal: results are checked and one sentence names the input.
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
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
        say_error(t("cli.internal", lang, kind=type(err).__name__, detail=shown(str(err))), lang)
        return EXIT_FAILED
