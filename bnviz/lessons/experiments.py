"""The reproductions: the BN paper's Figure 1 and cs231n's weight-scale and batch-size sweeps, on digits.

Each experiment is a setup step (its settings, stated) and, once its results
exist, result steps whose values are the curves the page plots. Results come
from :mod:`bnviz.nets` (``fig1``, ``weight_scale_sweep``, ``batch_size_sweep``);
they take seconds, so the page runs them behind a button and passes them in as
``results``. A result step's ``code`` re-runs the experiment with the same
arguments (seeded, so it reproduces the numbers).
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import nets
from bnviz.i18n import InputError, t
from bnviz.lessons import network
from bnviz.ops import layers
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P

Array = np.ndarray

EXPERIMENTS = ("fig1", "weights", "batch")
FIG1_STEPS = nets.FIG1.steps
FIG1_STEP_CHOICES = (200, 500, 1000, 2000, 5000)
EPOCHS = 10
EPOCH_CHOICES = (1, 2, 5, 10, 20)
BATCHES = (5, 10, 50)
"""The batch-size sweep's batch sizes."""

def labels(lang: str) -> dict[str, str]:
    """Display names of this lesson's value ids, in ``lang``."""
    runs = {k: t(f"page.network.{k}", lang) for k in ("baseline", "bn")}
    out = {k: t(f"page.experiments.value.{k}", lang) for k in ("steps", "scales", "batches", "epochs")}
    for kind, run in runs.items():
        for what in ("acc", "pct", "drift", "train", "val"):
            out[f"{what}_{kind}"] = t(f"page.experiments.value.{what}", lang, run=run)
        for b in BATCHES:
            for what in ("train", "val"):
                out[f"{what}_{kind}_{b}"] = t(f"page.experiments.value.{what}_b", lang, run=run, b=b)
    return out


def check(fig1_steps: int, epochs: int, seed: int) -> None:
    """InputError unless Figure 1's steps (20..20,000), the epochs (1..100) and the seed are in range."""
    hi = nets.LIMITS["steps"][1]
    if not (isinstance(fig1_steps, (int, np.integer)) and 20 <= fig1_steps <= hi):
        raise InputError("error.nets.range", name="steps", value=fig1_steps, lo=20, hi=hi)
    if not (isinstance(epochs, (int, np.integer)) and 1 <= epochs <= 100):
        raise InputError("error.nets.range", name="epochs", value=epochs, lo=1, hi=100)
    lo, hi = nets.LIMITS["seed"]
    if not (isinstance(seed, (int, np.integer)) and lo <= seed <= hi):
        raise InputError("error.nets.range", name="seed", value=seed, lo=lo, hi=hi)


def run(experiment: str, fig1_steps: int = FIG1_STEPS, epochs: int = EPOCHS, seed: int = 0,
        threads: int | None = nets.BLAS_THREADS):
    """The experiment's generator of :class:`bnviz.nets.SweepProgress` (the page drives it)."""
    check(fig1_steps, epochs, seed)
    if experiment == "fig1":
        return nets.fig1(fig1_steps, seed, threads=threads)
    if experiment == "weights":
        return nets.weight_scale_sweep(None, epochs, seed, threads=threads)
    if experiment == "batch":
        return nets.batch_size_sweep(BATCHES, epochs, seed, threads=threads)
    raise InputError("error.nets.experiment", value=experiment, choices=", ".join(EXPERIMENTS))


def run_code(experiment: str, fig1_steps: int, epochs: int, seed: int) -> str:
    """The NumPy-session line that reproduces ``run`` (as ``res``)."""
    call = {"fig1": f"nets.fig1({fig1_steps}, {seed})",
            "weights": f"nets.weight_scale_sweep(None, {epochs}, {seed})",
            "batch": f"nets.batch_size_sweep({BATCHES}, {epochs}, {seed})"}[experiment]
    return f"res = nets.finish({call})"


def _fields(fig1_steps: int, epochs: int, lang: str) -> dict:
    f, w, b = nets.FIG1, nets.WEIGHT_SWEEP, nets.BATCH_SWEEP
    return {
        "steps": fig1_steps, "f_lr": f.lr, "f_batch": f.batch, "f_scale": f.weight_scale,
        "epochs": epochs, "w_lr": w.lr, "w_batch": w.batch, "w_n": w.train_samples,
        "b_lr": f"{b.lr:.2e}", "b_scale": b.weight_scale, "b_n": b.train_samples,
        "w_steps": nets.epochs_to_steps(epochs, w.batch, w.train_samples),
    }


def result_values(experiment: str, res: dict) -> dict[str, dict[str, Array]]:
    """step key -> values, from an experiment's result."""
    if experiment == "fig1":
        b, n = res["baseline"], res["bn"]
        return {
            "fig1.accuracy": {"steps": np.asarray(n["steps"], dtype=float), "acc_baseline": b["val_acc"],
                              "acc_bn": n["val_acc"]},
            "fig1.percentiles": {"pct_baseline": b["unit_pct"], "pct_bn": n["unit_pct"],
                                 "drift_baseline": np.asarray(nets.percentile_drift(b["unit_pct"])),
                                 "drift_bn": np.asarray(nets.percentile_drift(n["unit_pct"]))},
        }
    if experiment == "weights":
        return {"weights.result": {"scales": res["scales"], "train_baseline": res["baseline"]["train_acc"],
                                   "train_bn": res["bn"]["train_acc"], "val_baseline": res["baseline"]["val_acc"],
                                   "val_bn": res["bn"]["val_acc"]}}
    runs = res["runs"]
    first = next(iter(runs.values()))
    vals = {"epochs": np.asarray(first["epochs"], dtype=float)}
    for name, r in runs.items():
        kind, b = name.split(":")
        vals[f"val_{kind}_{b}"] = np.asarray(r["val_acc"], dtype=float)
        vals[f"train_{kind}_{b}"] = np.asarray(r["train_acc"], dtype=float)
    return {"batch.result": vals}


RESULT_CODE = {
    "fig1.accuracy": ('steps = res["bn"]["steps"].astype(float)\nacc_baseline = res["baseline"]["val_acc"]\n'
                      'acc_bn = res["bn"]["val_acc"]'),
    "fig1.percentiles": ('pct_baseline = res["baseline"]["unit_pct"]\npct_bn = res["bn"]["unit_pct"]\n'
                         "drift_baseline = np.abs(pct_baseline - pct_baseline[0]).max(axis=0).mean()\n"
                         "drift_bn = np.abs(pct_bn - pct_bn[0]).max(axis=0).mean()"),
    "weights.result": ('scales = res["scales"]\ntrain_baseline = res["baseline"]["train_acc"]\n'
                       'train_bn = res["bn"]["train_acc"]\nval_baseline = res["baseline"]["val_acc"]\n'
                       'val_bn = res["bn"]["val_acc"]'),
}


def _batch_code(res: dict) -> str:
    lines = ['epochs = next(iter(res["runs"].values()))["epochs"].astype(float)']
    for name in res["runs"]:
        kind, b = name.split(":")
        lines += [f'val_{kind}_{b} = res["runs"]["{name}"]["val_acc"]',
                  f'train_{kind}_{b} = res["runs"]["{name}"]["train_acc"]']
    return "\n".join(lines)


def _layer(bn: bool) -> str:
    """Figure 1's hidden layer ℓ, H_ℓ = σ(BN(H_{ℓ−1}W_ℓ)) or σ(H_{ℓ−1}W_ℓ + 1b_ℓ), from the network lesson's
    layer definition (the affine derivation's S = A·W + 1·b with layer ℓ's matrices substituted)."""
    ls = network.layer_symbols()
    z = network.layer_affine(bn)
    inner = network.BN(z) if bn else z
    return P.eq(ls["H"], sp.Function(P.latex(layers.SIG))(inner))


@lru_cache(maxsize=1)
def setup_lines() -> dict[str, tuple[str, ...]]:
    """Each experiment's setup formulas: the layers, the scale grid as ``np.logspace`` defines it, the batch sizes."""
    f = nets.FIG1
    k = sp.Symbol("k", integer=True, nonnegative=True)
    ell = sp.Symbol("ell", integer=True, positive=True)
    batch = sp.Symbol("B", integer=True, positive=True)
    ls = network.layer_symbols()
    scales = nets.default_scales()
    lo, hi, n = int(round(np.log10(scales[0]))), int(round(np.log10(scales[-1]))), len(scales)
    s_k = sp.Pow(10, lo + sp.Rational(hi - lo, n - 1) * k, evaluate=False)
    s_sym = sp.Symbol("s_k", positive=True)
    return {
        "fig1": (P.relations(_layer(True), P.element_of(ell, sp.Range(1, f.depth + 1))),
                 P.relations(_layer(False), P.element_of(ls["H"], P.real_matrices(f.batch, f.hidden[0])))),
        "weights": (P.relations(P.Distributed(ls["W"], P.NORMAL(0, s_sym**2)), P.eq(s_sym, s_k),
                                P.element_of(k, sp.Range(n))),),
        "batch": (P.latex(P.element_of(batch, sp.FiniteSet(*BATCHES))),),
    }


def walkthrough(settings: Settings, lang: str = "en", fig1_steps: int = FIG1_STEPS, epochs: int = EPOCHS,
                results: dict | None = None) -> Walkthrough:
    """Setup steps for the three experiments, and result steps for those in ``results``
    (experiment -> its ``nets`` result, run with these ``fig1_steps``/``epochs`` and the sidebar's seed)."""
    seed = settings.seed
    check(fig1_steps, epochs, seed)
    results = results or {}
    fields = _fields(fig1_steps, epochs, lang)
    steps: list[Step] = []
    for exp in EXPERIMENTS:
        setup_vals: dict[str, Array] = {}
        setup_code = ""
        if exp == "weights":
            setup_vals = {"scales": np.logspace(-4, 0, 20)}
            setup_code = "scales = np.logspace(-4, 0, 20)"
        elif exp == "batch":
            setup_vals = {"batches": np.array([5.0, 10.0, 50.0])}
            setup_code = "batches = np.array([5.0, 10.0, 50.0])"
        steps.append(Step(f"{exp}.setup", "forward", t(f"step.experiments.{exp}.setup.title", lang),
                          setup_lines()[exp], (), t(f"step.experiments.{exp}.setup.note", lang, **fields),
                          setup_vals, exp, setup_code))
        if exp not in results:
            continue
        res = results[exp]
        for n, (key, vals) in enumerate(result_values(exp, res).items()):
            code = RESULT_CODE.get(key) or _batch_code(res)
            if n == 0:
                code = run_code(exp, fig1_steps, epochs, seed) + "\n" + code
            extra = {}
            if key == "fig1.accuracy":
                k = min(len(vals["steps"]) - 1, max(1, len(vals["steps"]) // 10))
                extra = {"at": int(vals["steps"][k]), "base": f"{vals['acc_baseline'][k]:.1%}",
                         "bn": f"{vals['acc_bn'][k]:.1%}"}
            elif key == "fig1.percentiles":
                extra = {"base": f"{float(vals['drift_baseline']):.2f}", "bn": f"{float(vals['drift_bn']):.2f}"}
            elif key == "weights.result":
                extra = {"base": f"{np.nanmean(vals['val_baseline']):.1%}", "bn": f"{np.nanmean(vals['val_bn']):.1%}"}
            steps.append(Step(key, "backward", t(f"step.experiments.{key}.title", lang), (), (),
                              t(f"step.experiments.{key}.note", lang, **fields, **extra), vals, exp, code))
    record = asdict(settings)
    record.update(fig1_steps=fig1_steps, epochs=epochs, fig1=asdict(nets.FIG1), weights=asdict(nets.WEIGHT_SWEEP),
                  batch=asdict(nets.BATCH_SWEEP), results=sorted(results))
    setup = "\n".join(["import numpy as np", "from bnviz import nets"])
    return Walkthrough("experiments", t("page.experiments.title", lang), lang, record, tuple(steps), setup,
                       labels(lang))


RESULT_STEPS = {"fig1": ("fig1.accuracy", "fig1.percentiles"), "weights": ("weights.result",),
                "batch": ("batch.result",)}
"""Each experiment's result steps, in the order their notes are shown."""


def figure_texts(lang: str) -> dict[str, str]:
    """The result charts' titles, axes and legend names in ``lang`` (for ``figures.training.experiment_figures``)."""
    keys = ("acc_title", "pct_title", "pct_axis", "p15", "p50", "p85", "weights_train_title", "weights_val_title",
            "scale_axis", "batch_train_title", "batch_val_title", "epoch_axis")
    out = {k: t(f"page.experiments.{k}", lang) for k in keys}
    out.update({k: t(f"page.network.{k}", lang) for k in ("baseline", "bn", "steps_axis")})
    for kind in ("baseline", "bn"):
        for b in BATCHES:
            out[f"run:{kind}:{b}"] = t("page.experiments.run_name", lang, run=out[kind], b=b)
    return out
