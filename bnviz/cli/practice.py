"""``python -m bnviz fold | sync | convert``: BN in practice on the command line.

    python -m bnviz fold --w W.npy --b B.npy --gamma G.npy --beta BETA.npy --running-mean RM.npy
                         --running-var RV.npy [--eps E] --format json
    python -m bnviz sync --x X --dout D --devices K [--eps E] --format json
    python -m bnviz convert --from pytorch|keras|cs231n|caffe --momentum M [--eps E] --format json

``fold`` prints ``w`` and ``b`` of the folded layer (``bnviz.ops.fold``);
``sync`` prints ``devices`` (per device: ``mean``, ``var``, ``dx`` of BN on
its slice) and ``sync`` (``mean``, ``var``, ``dx`` of synchronized BN, dx in
the original order; ``bnviz.ops.sync``); ``convert`` prints one object per
framework with its equivalent ``momentum`` and ``eps`` and, in words, what
cannot be made equal (``bnviz.ops.frameworks``). Bad input is one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bnviz import data
from bnviz.cli.common import Command, add_output_arguments, emit, float_option, int_option
from bnviz.i18n import InputError, t
from bnviz.ops import fold as F
from bnviz.ops import frameworks as FW
from bnviz.ops import sync as Y

Array = np.ndarray
DEFAULT_EPS = "1e-5"


def load_npy(option: str, path: str) -> Array:
    """A finite float array from a .npy file (``allow_pickle=False``); InputError otherwise."""
    p = Path(path)
    if not p.is_file():
        raise InputError("error.no_file", what=option, path=path)
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise InputError("error.bad_npy", what=option, path=path) from None
    if arr.dtype.kind not in "biuf":
        raise InputError("error.bad_npy", what=option, path=path)
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise InputError("error.not_finite_file", what=option)
    return arr


def _eps(text: str) -> float:
    eps = float_option("--eps", text)
    if eps < 0:
        raise InputError("error.practice.eps", value=eps)
    return eps


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)


# ------------------------------------------------------------------- fold --


def _fold_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    for opt, key in (("--w", "opt_w"), ("--b", "opt_b"), ("--gamma", "opt_gamma"), ("--beta", "opt_beta"),
                     ("--running-mean", "opt_rm"), ("--running-var", "opt_rv")):
        p.add_argument(opt, metavar="FILE", required=True, help=t(f"cli.practice.{key}", lang))
    p.add_argument("--eps", metavar="E", default=DEFAULT_EPS, help=t("cli.practice.opt_eps", lang, eps=DEFAULT_EPS))
    add_output_arguments(p, lang, ("json",))


def run_fold(args: argparse.Namespace) -> int:
    eps = _eps(args.eps)
    arrays = {opt: load_npy(opt, path) for opt, path in (
        ("--w", args.w), ("--b", args.b), ("--gamma", args.gamma), ("--beta", args.beta),
        ("--running-mean", args.running_mean), ("--running-var", args.running_var))}
    with np.errstate(all="ignore"):  # overflow is reported below
        f = F.fold(arrays["--w"], arrays["--b"], arrays["--gamma"], arrays["--beta"], arrays["--running-mean"],
                   arrays["--running-var"], eps)
    if not (np.all(np.isfinite(f.w_fold)) and np.all(np.isfinite(f.b_fold))):
        raise InputError("error.conv.not_finite_result")
    emit(_dump({"layer": f.layer, "w": f.w_fold.tolist(), "b": f.b_fold.tolist()}), args.output)
    return 0


# ------------------------------------------------------------------- sync --


def _sync_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument("--x", metavar="FILE", required=True, help=t("cli.practice.opt_x", lang))
    p.add_argument("--dout", metavar="FILE", required=True, help=t("cli.practice.opt_dout", lang))
    p.add_argument("--devices", metavar="K", required=True,
                   help=t("cli.practice.opt_devices", lang, hi=Y.MAX_DEVICES))
    p.add_argument("--eps", metavar="E", default=DEFAULT_EPS, help=t("cli.practice.opt_eps", lang, eps=DEFAULT_EPS))
    add_output_arguments(p, lang, ("json",))


def run_sync(args: argparse.Namespace) -> int:
    k = int_option("--devices", args.devices, 1, Y.MAX_DEVICES)
    eps = _eps(args.eps)
    x, dout = data.load_matrix(args.x, "--x"), data.load_matrix(args.dout, "--dout")
    if dout.shape != x.shape:
        raise InputError("error.practice.dout_shape", x=str(x.shape), dout=str(dout.shape))
    Y.check_devices(x.shape[0], k)
    n = x.shape[0] // k
    if eps == 0 and (np.any(np.ptp(x, axis=0) == 0) or n == 1):
        raise InputError("error.norms.zero_var_eps0")
    gamma, beta = np.ones(x.shape[1]), np.zeros(x.shape[1])
    with np.errstate(all="ignore"):
        per = Y.per_device(x, gamma, beta, dout, eps, k)
        s = Y.sync_bn(x, gamma, beta, dout, eps, k)
    out = {"devices": [{"mean": d.mean.tolist(), "var": d.var.tolist(), "dx": d.dx.tolist()} for d in per],
           "sync": {"mean": s.mean.tolist(), "var": s.var.tolist(), "dx": s.dx.tolist()}}
    if not all(np.all(np.isfinite(a)) for a in (s.dx, *(d.dx for d in per))):
        raise InputError("error.conv.not_finite_result")
    emit(_dump(out), args.output)
    return 0


# ---------------------------------------------------------------- convert --


def _convert_arguments(p: argparse.ArgumentParser, lang: str) -> None:
    p.add_argument("--from", dest="from_", choices=FW.FRAMEWORKS, required=True, help=t("cli.practice.opt_from", lang))
    p.add_argument("--momentum", metavar="M", required=True, help=t("cli.practice.opt_momentum", lang))
    p.add_argument("--eps", metavar="E", default=DEFAULT_EPS, help=t("cli.practice.opt_eps", lang, eps=DEFAULT_EPS))
    add_output_arguments(p, lang, ("json",))


def run_convert(args: argparse.Namespace) -> int:
    momentum = float_option("--momentum", args.momentum)
    eps = float_option("--eps", args.eps)
    out = {e.framework: {"name": FW.NAMES[e.framework], "parameter": e.parameter, "momentum": e.momentum,
                         "eps": e.eps, "cannot_match": [t(k, args.lang) for k in e.differences]}
           for e in FW.convert(args.from_, momentum, eps)}
    emit(_dump(out), args.output)
    return 0


COMMANDS = (
    Command("fold", "cli.practice.fold_help", "cli.practice.fold_description", _fold_arguments, run_fold),
    Command("sync", "cli.practice.sync_help", "cli.practice.sync_description", _sync_arguments, run_sync),
    Command("convert", "cli.practice.convert_help", "cli.practice.convert_description", _convert_arguments,
            run_convert),
)
