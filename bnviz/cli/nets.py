"""``python -m bnviz train``: train the network page's MLP on digits and print its curves.

    python -m bnviz train --bn/--no-bn --hidden 100x5 --activation relu|sigmoid
                          --steps N --batch B --lr LR --seed S [--json]

The network, its initial weights, its batches and its records are exactly the
network page's (:func:`bnviz.lessons.network.config`, :func:`bnviz.nets.train`),
so the numbers printed here are the ones the page plots. Without ``--json`` a
table of the records is printed; with it, one JSON object holding the settings
and the loss and accuracy curves.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, replace

from bnviz import export, nets
from bnviz.cli.common import Command, emit, float_option, int_option
from bnviz.cli.learn import add_ablate_argument
from bnviz.i18n import InputError, t
from bnviz.lessons import network
from bnviz.limits import PROGRESS_WORK, train_work


def parse_hidden(text: str) -> tuple[int, ...]:
    """``100x5`` (5 layers of 100), ``64`` (one layer) or ``128,64,32`` -> layer widths."""
    spec = text.strip().lower().replace(" ", "")
    lo, hi = nets.LIMITS["layers"]
    wlo, whi = nets.LIMITS["width"]
    m = re.fullmatch(r"(\d{1,6})x(\d{1,3})", spec)
    if m:
        widths = (int(m.group(1)),) * int(m.group(2))
    elif re.fullmatch(r"\d{1,6}(,\d{1,6})*", spec):
        widths = tuple(int(w) for w in spec.split(","))
    else:
        raise InputError("error.nets.hidden", value=text[:40])
    if not lo <= len(widths) <= hi or not all(wlo <= w <= whi for w in widths):
        raise InputError("error.nets.hidden_range", value=text[:40], lo=lo, hi=hi, wlo=wlo, whi=whi)
    return widths


def _arguments(p: argparse.ArgumentParser, lang: str) -> None:
    d = network.DEFAULT
    lim = nets.LIMITS
    p.add_argument("--bn", action=argparse.BooleanOptionalAction, default=True, help=t("cli.train.opt_bn", lang))
    p.add_argument("--hidden", default="100x5", metavar="WxN", help=t("cli.train.opt_hidden", lang))
    p.add_argument("--activation", choices=nets.ACTIVATIONS, default=d.activation,
                   help=t("cli.train.opt_activation", lang))
    p.add_argument("--steps", default=str(d.steps), metavar="N",
                   help=t("cli.train.opt_steps", lang, lo=lim["steps"][0], hi=lim["steps"][1]))
    p.add_argument("--batch", default=str(d.batch), metavar="B",
                   help=t("cli.train.opt_batch", lang, lo=lim["batch"][0], hi=lim["batch"][1]))
    p.add_argument("--lr", default=str(d.lr), metavar="LR",
                   help=t("cli.train.opt_lr", lang, lo=lim["lr"][0], hi=lim["lr"][1]))
    p.add_argument("--seed", default="0", metavar="S",
                   help=t("cli.train.opt_seed", lang, lo=lim["seed"][0], hi=lim["seed"][1]))
    add_ablate_argument(p, lang, "cli.learn.opt_train_ablate")
    p.add_argument("--json", action="store_true", help=t("cli.train.opt_json", lang))
    p.add_argument("--format", choices=export.FORMATS, default=None, help=t("cli.train.opt.format_help", lang))
    p.add_argument("-o", "--output", metavar="FILE", help=t("cli.opt_output", lang))


def config_from(args: argparse.Namespace) -> nets.NetConfig:
    """The checked network and training settings of a command line."""
    lim = nets.LIMITS
    steps = int_option("--steps", args.steps, *lim["steps"])
    batch = int_option("--batch", args.batch, *lim["batch"])
    seed = int_option("--seed", args.seed, *lim["seed"])
    lr = float_option("--lr", args.lr)
    if not lim["lr"][0] <= lr <= lim["lr"][1]:
        raise InputError("cli.range", option="--lr", value=lr, lo=lim["lr"][0], hi=lim["lr"][1])
    cfg = network.config(hidden=parse_hidden(args.hidden), activation=args.activation, bn=args.bn, lr=lr,
                         batch=batch, steps=steps, seed=seed)
    return replace(cfg, record_every=nets.record_every(steps), samples=0, ablate=args.ablate)


def curves(p: nets.Progress) -> dict:
    """The run's curves and summary as JSON-ready data."""
    h = p.history
    return {
        "config": asdict(p.config), "steps_done": p.step, "diverged": p.diverged, "seconds": round(p.seconds, 3),
        "curves": {"step": h.steps, "train_loss": h.train_loss, "train_acc": h.train_acc, "val_loss": h.val_loss,
                   "val_acc": h.val_acc},
        "final": {"val_loss": h.val_loss[-1], "val_acc": h.val_acc[-1]},
    }


def table(p: nets.Progress, lang: str) -> str:
    """The records as an aligned text table, with a header and a summary line."""
    h = p.history
    heads = [t(f"cli.train.col_{k}", lang) for k in ("step", "train_loss", "train_acc", "val_loss", "val_acc")]
    rows = [[str(s), f"{a:.4f}", f"{b:.3f}", f"{c:.4f}", f"{d:.3f}"]
            for s, a, b, c, d in zip(h.steps, h.train_loss, h.train_acc, h.val_loss, h.val_acc, strict=True)]
    widths = [max(len(x) for x in col) for col in zip(heads, *rows, strict=True)]
    lines = ["  ".join(x.rjust(w) for x, w in zip(r, widths, strict=True)) for r in [heads, *rows]]
    cfg = p.config
    head = t("cli.train.header", lang, bn=t("cli.train.with_bn" if cfg.bn else "cli.train.without_bn", lang),
             hidden="×".join(map(str, cfg.hidden)), activation=cfg.activation, batch=cfg.batch, lr=cfg.lr,
             seed=cfg.seed)
    foot = t("cli.train.diverged" if p.diverged else "cli.train.done", lang, step=p.step,
             seconds=f"{p.seconds:.1f}", acc=f"{h.val_acc[-1]:.3f}")
    return "\n".join([head, *lines, foot])


def train_reporting(cfg: nets.NetConfig, lang: str) -> nets.Progress:
    """Train ``cfg`` to the end; a run of at least ``PROGRESS_WORK`` prints its progress on stderr
    (about every tenth of the steps), so a long run is never silent."""
    loud = train_work(cfg.steps, cfg.hidden, cfg.batch) >= PROGRESS_WORK
    every = max(1, cfg.steps // 10)
    last = None
    for last in nets.train(cfg):
        if loud and last.step and (last.step % every < cfg.record_every or last.done):
            print(t("cli.progress.train", lang, step=last.step, steps=cfg.steps,
                    percent=round(100 * last.step / cfg.steps)), file=sys.stderr, flush=True)
    return last


def run(args: argparse.Namespace) -> int:
    if args.format is not None:  # the network lesson's steps for this network, like the page's downloads
        cfg = config_from(args)
        emit(export.render(network.network_walkthrough(cfg, args.lang), args.format), args.output)
        return 0
    progress = train_reporting(config_from(args), args.lang)
    text = json.dumps(curves(progress), ensure_ascii=False) if args.json else table(progress, args.lang)
    emit(text, args.output)
    return 0


COMMANDS = (
    Command("train", "cli.train.help", "cli.train.description", _arguments, run),
)
