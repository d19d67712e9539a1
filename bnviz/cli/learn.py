"""The command line's "learn by doing" options (used by :mod:`bnviz.cli.derive` and :mod:`bnviz.cli.nets`).

* ``derive --ablate xhat|var|mu|mu_via_var``: the JSON gets a key ``ablation``
  (``removed``, ``dx`` without it, ``rel_error`` against centred finite
  differences of the true loss; :meth:`bnviz.ablation.Ablation.as_json`).
* ``derive --exercises``: the Markdown and notebook exports of the lesson in
  predict mode (questions, exercise cells, answers at the end; :mod:`bnviz.exercises`).
* ``train --ablate NAME``: every BN layer's backward without that term (``NetConfig.ablate``).
"""

from __future__ import annotations

import argparse

from bnviz import ablation, exercises, export
from bnviz.data import Problem
from bnviz.i18n import InputError, t
from bnviz.steps import Walkthrough


def add_ablate_argument(p: argparse.ArgumentParser, lang: str, help_key: str = "cli.learn.opt_ablate") -> None:
    p.add_argument("--ablate", choices=ablation.ABLATIONS, default=None, metavar="|".join(ablation.ABLATIONS),
                   help=t(help_key, lang))


def add_derive_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    """derive's --ablate and --exercises."""
    add_ablate_argument(p, lang)
    p.add_argument("--exercises", action="store_true", help=t("cli.learn.opt_exercises", lang))


def refuse_for_family(args: argparse.Namespace) -> None:
    """--ablate and --exercises are the batch-norm graph lesson's (2-D input, training mode)."""
    if getattr(args, "ablate", None) is not None or getattr(args, "exercises", False):
        raise InputError("cli.learn.batch_only")


def derive_extra(problem: Problem, args: argparse.Namespace, extra: dict | None) -> dict | None:
    """``extra`` with the ``ablation`` key added when ``--ablate`` is given (JSON only)."""
    if getattr(args, "ablate", None) is None or extra is None:
        return extra
    return {**extra, "ablation": ablation.ablate(problem, args.ablate).as_json()}


def render(walk: Walkthrough, args: argparse.Namespace, extra: dict | None) -> str:
    """The export, with the exercises when ``--exercises`` is given."""
    if getattr(args, "exercises", False) and args.format in ("md", "ipynb"):
        return exercises.render(walk, args.format)
    return export.render(walk, args.format, extra)
