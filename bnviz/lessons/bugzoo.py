"""The bug zoo: the BN mistakes everyone makes, each reproduced on the digits network with its real numbers.

Five bugs (:data:`BUGS`), three steps each: the symptom (what you see), the cause (where on the BN graph it
comes from) and the fix. The numbers come from :mod:`bnviz.nets.bugs` on one small trained network (cached
per seed); the formulas are derived by SymPy from the BN graph's own node definitions
(:data:`bnviz.ops.bn.STRUCTURE`, :data:`bnviz.ops.testmode.TEST_STRUCTURE`) and the running-average rule
(:func:`bnviz.ops.running.update_rules`). A step's ``code`` recomputes its values through :mod:`bnviz.nets.bugs`.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import numpy as np
import sympy as sp
import sympy.stats as sps

from bnviz.i18n import t
from bnviz.nets import bugs
from bnviz.ops import bn, running, testmode
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

BUGS = ("eval", "batch1", "test_batch", "finetune", "dropout")
PARTS = ("symptom", "cause", "fix")
TORCH_ERROR = "Expected more than 1 value per channel when training, got input size torch.Size([1, 100])"
"""PyTorch's own message (``torch.nn.functional._verify_batch_size``) for layer 1's input of shape (1, 100)."""

GRAPH: dict[str, tuple[str, str, frozenset]] = {
    "eval.cause": ("train", "mu", frozenset({("mu", "x"), ("xc", "mu"), ("var", "xc")})),
    "eval.fix": ("test", "mu_run", frozenset({("xc", "mu_run"), ("std", "var_run")})),
    "batch1.cause": ("train", "var", frozenset({("var", "xc"), ("xhat", "xc"), ("xhat", "std")})),
    "batch1.fix": ("test", "var_run", frozenset({("std", "var_run")})),
    "test_batch.cause": ("train", "mu", frozenset({("mu", "x"), ("xc", "mu")})),
    "test_batch.fix": ("test", "mu_run", frozenset({("xc", "mu_run")})),
    "finetune.cause": ("test", "mu_run", frozenset({("xc", "mu_run"), ("std", "var_run")})),
    "finetune.fix": ("train", "mu", frozenset({("mu", "x"), ("var", "xc")})),
    "dropout.cause": ("train", "var", frozenset({("var", "xc"), ("std", "var")})),
    "dropout.fix": ("test", "var_run", frozenset({("std", "var_run")})),
}
"""step key -> (which BN graph: "train" or "test", the node the bug is about, the edges it runs along)."""

VALUE_IDS = ("acc_eval", "acc_shuffled", "acc_sorted", "gap_shuffled", "gap_sorted", "scores_a", "scores_b",
             "acc_batch1", "z1", "var1", "xhat1", "grad_norms", "batches", "acc_train", "spread", "acc_before",
             "gap_before", "acc_fit_mismatch", "acc_test_mismatch", "acc_test_frozen", "acc_test_updating",
             "gap_after", "var_run", "var_test", "ratio", "xhat_var", "acc_base", "acc_dropout", "loss_base",
             "loss_dropout", "acc_fixed", "loss_fixed")


def labels(lang: str) -> dict[str, str]:
    """Display names of this lesson's value ids, in ``lang``."""
    return {k: t(f"page.bugzoo.value.{k}", lang) for k in VALUE_IDS}


# ------------------------------------------------------------------ formulas --


def _eq(lhs: sp.Basic, rhs: sp.Basic) -> str:
    return f"{P.latex(lhs)} = {P.latex(rhs)}"


def _node(structure, name: str) -> sp.Expr:
    return next(n.sym for n in structure.nodes if n.name == name)


def _xhat(test: bool) -> sp.Expr:
    """x̂_i with the graph's x − μ and √(σ² + ε) nodes substituted (train or test graph)."""
    g, sym = (testmode.TEST_STRUCTURE, testmode.TEST_SYM) if test else (bn.STRUCTURE, bn.SYM)
    return _node(g, "xhat").subs({sym["xc"][S.i]: _node(g, "xc"), sym["std"]: _node(g, "std")})


def _at_m(expr: sp.Expr, count: int) -> sp.Expr:
    return expr.subs(S.m, count).doit()


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[str, ...]]:
    """step key -> its formulas (LaTeX), every one derived from the BN graph's definitions or by SymPy."""
    sym, g, i = bn.SYM, bn.STRUCTURE, S.i
    x, xhat, y = sym["x"], sym["xhat"], sym["y"]
    mu_expr, var_expr = _node(g, "mu"), _node(g, "var")
    train_line = _eq(xhat[i], _xhat(False))
    test_line = _eq(xhat[i], _xhat(True))
    # m = 1: the graph's mean and variance at one sample
    mu1 = _at_m(mu_expr, 1)
    var1 = _at_m(var_expr, 1).subs(sym["xc"][1], _node(g, "xc").subs(i, 1)).subs(sym["mu"], mu1)
    xhat1 = _xhat(False).subs(i, 1).subs({sym["mu"]: mu1, sym["var"]: var1})
    y1 = _node(g, "y").subs(i, 1).subs(xhat[1], xhat1)
    # m = 2: the variance of two samples
    mu2 = _at_m(mu_expr, 2)
    var2 = sp.factor(_at_m(var_expr, 2).subs({sym["xc"][k]: x[k] - mu2 for k in (1, 2)}))
    # the spread of a batch mean of m independent samples of variance σ²
    sigma2 = sp.Symbol("sigma^2", positive=True)
    var_of_mean = sp.simplify(S.m * sigma2 / S.m ** 2)
    mu_b = running.RUN_SYM["mu_b"]
    # the shifted domain: x' = a·x + c, and the batch mean of layer 1's input z = w·x' (one weight, per input)
    a, c = (sp.nsimplify(v) for v in bugs.SHIFT)
    w, mu_x = sp.Symbol("w"), sp.Symbol(r"\mu_{x}")
    x_new, mu_z = sp.Symbol("x'"), sp.Symbol(r"\mu_{z'}")
    rule = running.update_rules()["cs231n"]
    run_mean, run_var = running.RUN_SYM["mean"], running.RUN_SYM["var"]
    # inverted dropout: h̃ = h·r/q with r ~ Bernoulli(q)
    q = sp.Symbol("q", positive=True)
    h1, h2 = sp.Symbol(r"\mathrm{E}[h]"), sp.Symbol(r"\mathrm{E}[h^{2}]", positive=True)
    r = sps.Bernoulli("r", q)
    var_drop = sp.simplify(h2 * sps.E(r ** 2) / q ** 2 - (h1 * sps.E(r) / q) ** 2)
    var_plain = h2 - h1 ** 2
    var_fn = sp.Function(r"\mathrm{Var}")
    h_tilde, h = sp.Symbol(r"\tilde{h}"), sp.Symbol("h")
    return {
        "eval.symptom": (train_line,),
        "eval.cause": (_eq(sym["mu"], mu_expr), train_line),
        "eval.fix": (test_line,),
        "batch1.symptom": (_eq(sym["mu"], mu1),),
        "batch1.cause": (_eq(sym["mu"], mu1), _eq(sym["var"], var1), _eq(xhat[1], xhat1), _eq(y[1], y1),
                         _eq(sp.Derivative(y[1], x[1]), sp.diff(y1, x[1]))),
        "batch1.fix": (_eq(sym["var"], var2),),
        "test_batch.symptom": (_eq(mu_b, mu_expr),),
        "test_batch.cause": (_eq(var_fn(mu_b), var_of_mean),),
        "test_batch.fix": (test_line,),
        "finetune.symptom": (_eq(x_new, a * x[i] + c), _eq(mu_z, sp.expand(w * (a * mu_x + c)))),
        "finetune.cause": (test_line,),
        "finetune.fix": (_eq(run_mean, rule["mean"]), _eq(run_var, rule["var"])),
        "dropout.symptom": (_eq(h_tilde, h * sp.Symbol("r") / q),),
        "dropout.cause": (_eq(var_fn(h_tilde), var_drop), _eq(var_fn(h), var_plain)),
        "dropout.fix": (_eq(run_var, rule["var"]),),
    }


# ------------------------------------------------------------------- values --


CALLS = {"eval": "bugs.forgotten_eval(net)", "batch1": "bugs.batch_one(net)",
         "test_batch": "bugs.test_batch_sizes(net)", "finetune": "bugs.fine_tune(net)",
         "dropout": "bugs.dropout_shift(net, {p!r})"}

PICKS: dict[str, dict[str, tuple[str, int | slice | None]]] = {
    "eval.symptom": {"acc_eval": ("acc_eval", None), "acc_shuffled": ("acc_shuffled", None),
                     "acc_sorted": ("acc_sorted", None)},
    "eval.cause": {"gap_shuffled": ("gap_shuffled", None), "gap_sorted": ("gap_sorted", None)},
    "eval.fix": {"acc_eval": ("acc_eval", None)},
    "batch1.symptom": {"acc_batch1": ("acc_batch1", None), "scores_a": ("scores_a", None),
                       "scores_b": ("scores_b", None)},
    "batch1.cause": {"z1": ("z1", None), "var1": ("var1", None), "xhat1": ("xhat1", None),
                     "grad_norms": ("grad_norms", None)},
    "batch1.fix": {"batches": ("batches", slice(0, 2)), "acc_train": ("acc_train", slice(0, 2))},
    "test_batch.symptom": {"acc_eval": ("acc_eval", None), "batches": ("batches", None),
                           "acc_train": ("acc_train", None)},
    "test_batch.cause": {"batches": ("batches", None), "spread": ("spread", None)},
    "test_batch.fix": {"acc_eval": ("acc_eval", None)},
    "finetune.symptom": {"acc_before": ("acc_before", None), "gap_before": ("gap_before", None)},
    "finetune.cause": {"acc_fit_mismatch": ("acc_fit", 2), "acc_test_mismatch": ("acc_test", 2)},
    "finetune.fix": {"acc_test_frozen": ("acc_test", 0), "acc_test_updating": ("acc_test", 1),
                     "gap_after": ("gap_after", None)},
    "dropout.symptom": {"acc_base": ("acc_base", None), "acc_dropout": ("acc_dropout", None),
                        "loss_base": ("loss_base", None), "loss_dropout": ("loss_dropout", None)},
    "dropout.cause": {"ratio": ("ratio", None), "xhat_var": ("xhat_var", None), "var_run": ("var_run", None),
                      "var_test": ("var_test", None)},
    "dropout.fix": {"acc_fixed": ("acc_fixed", None), "loss_fixed": ("loss_fixed", None)},
}
"""step key -> value id -> (key of its bug's result ``res``, index into it or None)."""
SOURCE = {"batch1.fix": "test_batch"}
"""Steps whose values come from another bug's result."""


def _index_code(idx: int | slice | None) -> str:
    if idx is None:
        return ""
    if isinstance(idx, slice):
        return f"[{idx.start or ''}:{idx.stop}]"
    return f"[{idx}]"


@lru_cache(maxsize=8)
def results(seed: int, p: float) -> dict[str, dict[str, Array]]:
    """bug -> its :mod:`bnviz.nets.bugs` result for the network trained with ``seed`` (cached, 8 entries)."""
    net = bugs.base(seed)
    out = {"eval": bugs.forgotten_eval(net), "batch1": bugs.batch_one(net), "test_batch": bugs.test_batch_sizes(net),
           "finetune": bugs.fine_tune(net), "dropout": bugs.dropout_shift(net, p)}
    for res in out.values():
        for v in res.values():
            v.setflags(write=False)
    return out


def _pct(v: Array) -> str:
    return f"{float(v):.1%}"


def _fields(res: dict[str, dict[str, Array]], p: float) -> dict[str, object]:
    e, b, tb, f, d = (res[k] for k in BUGS)
    return {
        "batch": bugs.EVAL_BATCH, "acc_eval": _pct(e["acc_eval"]), "acc_shuffled": _pct(e["acc_shuffled"]),
        "acc_sorted": _pct(e["acc_sorted"]), "gap_shuffled": f"{e['gap_shuffled'].mean():.2f}",
        "gap_sorted": f"{e['gap_sorted'].mean():.2f}", "acc_batch1": _pct(b["acc_batch1"]),
        "torch_error": TORCH_ERROR, "grad3": f"{b['grad_norms'][2]:.3g}", "acc_b2": _pct(tb["acc_train"][1]),
        "acc_b1": _pct(tb["acc_train"][0]), "acc_b10": _pct(tb["acc_train"][4]),
        "spread1": f"{tb['spread'][0]:.2f}", "spread360": f"{tb['spread'][-1]:.2f}",
        "a": f"{bugs.SHIFT[0]:g}", "c": f"{bugs.SHIFT[1]:g}", "steps": bugs.FT_STEPS,
        "acc_before": _pct(f["acc_before"]), "gap_before": f"{float(f['gap_before']):.2f}",
        "gap_after": f"{float(f['gap_after']):.3f}", "fit_mismatch": _pct(f["acc_fit"][2]),
        "test_mismatch": _pct(f["acc_test"][2]), "test_frozen": _pct(f["acc_test"][0]),
        "test_updating": _pct(f["acc_test"][1]), "p": f"{p:g}", "q": f"{1 - p:g}",
        "ratio": f"{float(d['ratio']):.2f}", "xhat_var": f"{float(d['xhat_var']):.2f}",
        "acc_base": _pct(d["acc_base"]), "acc_dropout": _pct(d["acc_dropout"]), "acc_fixed": _pct(d["acc_fixed"]),
        "loss_base": f"{float(d['loss_base']):.3f}", "loss_dropout": f"{float(d['loss_dropout']):.3f}",
        "loss_fixed": f"{float(d['loss_fixed']):.3f}", "drop_steps": bugs.DROPOUT_STEPS,
    }


def walkthrough(settings: Settings, lang: str = "en", dropout: float = bugs.DROPOUT) -> Walkthrough:
    """The five bugs' symptom, cause and fix for the network trained with the sidebar's seed.

    dropout: the dropout rate p of the dropout-before-BN bug (:data:`bnviz.nets.bugs.DROPOUT_LIMITS`).
    """
    p = bugs.check_dropout(dropout)
    res = results(settings.seed, p)
    fields = _fields(res, p)
    lines = formulas()
    steps: list[Step] = []
    for bug in BUGS:
        for n, part in enumerate(PARTS):
            key = f"{bug}.{part}"
            src = SOURCE.get(key, bug)
            name = "res" if src == bug else f"res_{src}"
            values = {vid: np.asarray(res[src][k] if idx is None else res[src][k][idx], dtype=float)
                      for vid, (k, idx) in PICKS[key].items()}
            code = ([f"res = {CALLS[bug].format(p=p)}"] if n == 0 else [])
            code += [f"{name} = {CALLS[src].format(p=p)}"] if src != bug else []
            code += [f'{vid} = {name}["{k}"]{_index_code(idx)}' for vid, (k, idx) in PICKS[key].items()]
            focus = GRAPH.get(key, ("", "", ()))[1]
            steps.append(Step(key, "forward", t(f"step.bugzoo.{key}.title", lang), lines[key], (),
                              t(f"step.bugzoo.{key}.note", lang, **fields), values, focus, "\n".join(code)))
    record = asdict(settings)
    record.update(dropout=p, base=asdict(bugs.BASE), shift=list(bugs.SHIFT), eval_batch=bugs.EVAL_BATCH,
                  test_batches=list(bugs.TEST_BATCHES), ft_steps=bugs.FT_STEPS, ft_lr=bugs.FT_LR,
                  dropout_steps=bugs.DROPOUT_STEPS)
    setup = "\n".join(["import numpy as np", "from bnviz.nets import bugs", f"net = bugs.base({settings.seed})"])
    return Walkthrough("bugzoo", t("page.bugzoo.title", lang), lang, record, tuple(steps), setup, labels(lang))


def intro(walk: Walkthrough) -> str:
    """The page's opening sentence: the patient network and its test-mode accuracy."""
    acc = walk.steps[walk.index("eval.fix")].values["acc_eval"]
    return t("page.bugzoo.intro", walk.lang, steps=bugs.BASE.steps, batch=bugs.BASE.batch, acc=_pct(acc))


def graph(step: Step) -> tuple[str, str, frozenset] | None:
    """(graph mode, focus node, active edges) of a step that shows the BN graph, else None."""
    return GRAPH.get(step.key)


def figure_texts(lang: str) -> dict[str, str]:
    """The test-batch chart's title, axes and legend names in ``lang``."""
    keys = ("batch_title", "batch_axis", "acc_axis", "train_mode", "test_mode", "graph_train", "graph_test")
    return {k: t(f"page.bugzoo.{k}", lang) for k in keys}
