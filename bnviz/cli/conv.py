"""``python -m bnviz conv`` and ``python -m bnviz pool``: one layer, forward and backward, from array files.

    python -m bnviz conv --x X --w W --dout DOUT [--b B] --stride S --pad P [--format json|md|tex|ipynb]
    python -m bnviz pool --x X --dout DOUT --size K --stride S [--pad P] [--ceil-mode]
                         [--count-include-pad yes|no] --kind max|avg [--format ...]

Arrays are ``.npy`` files (loaded with ``allow_pickle=False``) in the layer's
shapes, x (N, C, H, W), w (F, C, HH, WW), dout (N, F, H', W'), b (F,); or
a CSV file (one row per line) for a single channel, i.e. (1, 1, H, W), and for
b a list of numbers. A 2-D ``.npy`` is a single channel too. Without ``--b``
the biases are zero. Shapes follow PyTorch: the output size is rounded down
(``--ceil-mode`` rounds it up for pooling); pooling pads with −∞ (max) or zeros
counted in the average's divisor unless ``--count-include-pad no``.

The steps are the conv / pool page's (``bnviz.lessons.conv.conv_walkthrough``,
``bnviz.lessons.pool.pool_walkthrough``) written by ``bnviz.export``; the JSON
starts with the results: ``out``, ``dx``, ``dw``, ``db`` (conv) or ``out``,
``dx`` (pool), as nested lists in the shapes above. Bad input (shapes that do
not fit, a filter larger than the padded input, NaN, …) is one line on stderr
and exit status 2 (``bnviz.cli.main``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bnviz import data, export
from bnviz.cli.common import Command, add_output_arguments, emit, int_option
from bnviz.i18n import InputError, t
from bnviz.lessons.conv import conv_walkthrough
from bnviz.lessons.conv_problem import make_problem as make_conv
from bnviz.lessons.pool import pool_walkthrough
from bnviz.lessons.pool_problem import make_problem as make_pool
from bnviz.lessons.windowed import setup_code
from bnviz.limits import MAX_CONV_CELLS, check_cells
from bnviz.ops.pool import KINDS
from bnviz.ops.windows import checked_array

Array = np.ndarray
MAX_INT = 64
"""Largest stride, padding or pooling window accepted on the command line."""


def load_array(option: str, path: str, ndim: int) -> Array:
    """An array of rank ``ndim`` (4: N, C, H, W; 1: a vector) from a .npy or CSV file, checked."""
    p = Path(path)
    if p.suffix.lower() == ".npy":
        arr = data.load_npy(path, option, MAX_CONV_CELLS)  # size and header shape checked before loading
        if ndim == 4 and arr.ndim == 2:
            arr = arr[None, None]
    else:
        text = data.read_text_file(path, option)
        if ndim == 1 and "\n" not in text.strip():
            text = text.replace(",", " ")
        arr = data.parse_matrix(text, option)
        arr = arr.reshape(-1) if ndim == 1 else arr[None, None]
    check_cells(option, arr.shape, MAX_CONV_CELLS)
    return checked_array(arr, option, ndim)


def _finite(*arrays: Array) -> None:
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise InputError("error.conv.not_finite_result")


def _conv_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument("--x", metavar="FILE", required=True, help=t("cli.conv.opt_x", lang))
    p.add_argument("--w", metavar="FILE", required=True, help=t("cli.conv.opt_w", lang))
    p.add_argument("--dout", metavar="FILE", required=True, help=t("cli.conv.opt_dout", lang))
    p.add_argument("--b", metavar="FILE", help=t("cli.conv.opt_b", lang))
    p.add_argument("--stride", metavar="S", default="1", help=t("cli.conv.opt_stride", lang, hi=MAX_INT))
    p.add_argument("--pad", metavar="P", default="0", help=t("cli.conv.opt_pad", lang, hi=MAX_INT))
    add_output_arguments(p, lang, ("json", *(f for f in export.FORMATS if f != "json")))


def run_conv(args: argparse.Namespace) -> int:
    """``conv``: forward and backward of one convolution; the conv page's steps and the results."""
    stride = int_option("--stride", args.stride, 1, MAX_INT)
    pad = int_option("--pad", args.pad, 0, MAX_INT)
    x = load_array("--x", args.x, 4)
    w = load_array("--w", args.w, 4)
    b = load_array("--b", args.b, 1) if args.b is not None else np.zeros(w.shape[0])
    dout = load_array("--dout", args.dout, 4)
    setup = setup_code(f"stride, pad = {stride}, {pad}", {"x": x, "w": w, "b": b, "dout": dout})
    record = {"x_file": args.x, "w_file": args.w, "b_file": args.b, "dout_file": args.dout,
              "stride": stride, "pad": pad}
    with np.errstate(all="ignore"):  # overflow is reported as one line below
        problem = make_conv(x, w, b, dout, stride, pad, setup, record)
    _finite(problem.out, problem.dx, problem.dw, problem.db)
    walk = conv_walkthrough(problem, args.lang)
    extra = {"out": problem.out, "dx": problem.dx, "dw": problem.dw, "db": problem.db}
    emit(export.render(walk, args.format, extra if args.format == "json" else None), args.output)
    return 0


def _pool_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument("--x", metavar="FILE", required=True, help=t("cli.conv.opt_x", lang))
    p.add_argument("--dout", metavar="FILE", required=True, help=t("cli.conv.opt_pool_dout", lang))
    p.add_argument("--size", metavar="K", default="2", help=t("cli.conv.opt_size", lang, hi=MAX_INT))
    p.add_argument("--stride", metavar="S", default="2", help=t("cli.conv.opt_stride", lang, hi=MAX_INT))
    p.add_argument("--pad", metavar="P", default="0", help=t("cli.conv.opt_pool_pad", lang))
    p.add_argument("--ceil-mode", action="store_true", help=t("cli.conv.opt_ceil_mode", lang))
    p.add_argument("--count-include-pad", choices=("yes", "no"), default="yes",
                   help=t("cli.conv.opt_count_include_pad", lang))
    p.add_argument("--kind", choices=KINDS, default="max", help=t("cli.conv.opt_kind", lang))
    add_output_arguments(p, lang, ("json", *(f for f in export.FORMATS if f != "json")))


def run_pool(args: argparse.Namespace) -> int:
    """``pool``: forward and backward of one max or average pooling; the pool page's steps and the results."""
    size = int_option("--size", args.size, 1, MAX_INT)
    stride = int_option("--stride", args.stride, 1, MAX_INT)
    pad = int_option("--pad", args.pad, 0, MAX_INT)
    ceil, include = bool(args.ceil_mode), args.count_include_pad == "yes"
    x = load_array("--x", args.x, 4)
    dout = load_array("--dout", args.dout, 4)
    setup = setup_code(f"size, stride, pad, ceil_mode, count_include_pad = {size}, {stride}, {pad}, {ceil}, {include}",
                       {"x": x, "dout": dout})
    record = {"x_file": args.x, "dout_file": args.dout, "pad": pad, "ceil_mode": ceil, "count_include_pad": include}
    problem = make_pool(x, dout, size, stride, args.kind, setup, record, pad, ceil, include)
    _finite(problem.out, problem.dx)
    walk = pool_walkthrough(problem, args.lang)
    extra = {"out": problem.out, "dx": problem.dx}
    emit(export.render(walk, args.format, extra if args.format == "json" else None), args.output)
    return 0


COMMANDS = (
    Command("conv", "cli.conv.help", "cli.conv.description", _conv_arguments, run_conv),
    Command("pool", "cli.conv.pool_help", "cli.conv.pool_description", _pool_arguments, run_pool),
)
