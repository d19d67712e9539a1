"""Predict, then reveal: a question per step, worked out from what is already on screen.

In predict mode a stepped lesson asks, before showing a step, for a number the
learner can compute from the earlier steps' values (∂L/∂μ for feature 1,
Σᵢ ∂L/∂xᵢ, ...) or a choice (which term of ∂L/∂μ vanishes). Everything here is
pure: a :class:`Question` is built from the walkthrough's own values, graded
against the NumPy value with a stated tolerance, and a wrong answer gets a
hint built from the same numbers (the step's formula with the numbers
substituted, one term per line; the hint never states the answer).

Answers are numbers or choices only: :func:`parse_number` accepts a plain
decimal number (a strict regex, then ``float``); nothing a learner types is
ever evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from bnviz.i18n import InputError, t
from bnviz.numfmt import factor, fmt
from bnviz.steps import Walkthrough

Array = np.ndarray

NUMBER = re.compile(r"[+-]?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE][+-]?\d{1,3})?")
"""What a numeric answer may look like: a plain decimal number, optionally with an exponent."""

MAX_CHARS = 40
REL_TOL = 0.02
ABS_TOL = 0.01
"""A number is right when |answer − value| ≤ max(ABS_TOL, REL_TOL·|value|): room for the
rounding of the numbers on screen (three decimals) carried through a few operations."""


def parse_number(text: str) -> float:
    """The learner's number: strict regex, then float(). Unicode minus and spaces allowed.

    Anything else (an expression, nan, inf, a word) is an InputError.
    """
    raw = str(text)
    s = raw.strip().replace("−", "-").replace("＋", "+").replace(" ", "")
    if not s or len(s) > MAX_CHARS or not NUMBER.fullmatch(s):
        raise InputError("error.learn.number", text=raw[:MAX_CHARS])
    value = float(s)
    if not np.isfinite(value):
        raise InputError("error.learn.number", text=raw[:MAX_CHARS])
    return value


def tolerance(value: float) -> float:
    """The stated tolerance for a numeric answer whose true value is ``value``."""
    return max(ABS_TOL, REL_TOL * abs(float(value)))


@dataclass(frozen=True)
class Question:
    """One question of a step.

    key:      stable id within the lesson, e.g. "dmu" (also its catalog key, ``learn.q.<key>``)
    step:     the key of the step it belongs to (hidden until it is answered)
    kind:     "number" or "choice"
    prompt:   the question, in the walkthrough's language
    answer:   the NumPy value (number) or the right choice id
    choices:  (id, label) pairs for a choice, () for a number
    hint:     lines, each a sentence or the formula with numbers substituted; shown one more per wrong answer
    solution: the worked answer, shown after an answer or "show me"
    tol:      the tolerance for a number (0 for a choice)
    check:    a NumPy expression over the notebook export's variables (the value ids, after the step's
              code) that gives the answer: the exercise notebook's assert compares against it
    """

    key: str
    step: str
    kind: str
    prompt: str
    answer: float | str
    choices: tuple[tuple[str, str], ...] = ()
    hint: tuple[str, ...] = ()
    solution: str = ""
    tol: float = 0.0
    check: str = ""

    def grade(self, given: str | float) -> bool:
        """Whether ``given`` (the learner's text, a number, or a choice id) is right.

        A number outside the regex raises InputError (say so; it is not a wrong answer)."""
        if self.kind == "choice":
            if given not in {c for c, _ in self.choices}:
                raise InputError("error.learn.choice", text=str(given)[:MAX_CHARS])
            return given == self.answer
        value = given if isinstance(given, float) else parse_number(str(given))
        return abs(value - float(self.answer)) <= self.tol

    def hint_lines(self, wrong: int) -> tuple[str, ...]:
        """The hint after ``wrong`` wrong answers: one more line each time (all of it at most)."""
        return self.hint[:max(0, wrong)]

    @property
    def answer_text(self) -> str:
        """The answer as shown in the reveal and the exports."""
        if self.kind == "choice":
            return dict(self.choices)[str(self.answer)]
        return fmt(float(self.answer))


# ------------------------------------------------------------------ helpers --


def _sum(values: Array) -> str:
    """"a + (−b) + c": the terms of a sum, each as it reads on screen."""
    return " + ".join(factor(v) for v in np.ravel(values))


def _known(walk: Walkthrough, upto: int) -> dict[str, Array]:
    """Every value shown in steps 1..upto+1 (earlier steps first): what the learner has seen, plus this step's."""
    seen: dict[str, Array] = {}
    for step in walk.steps[:upto + 1]:
        seen.update(step.values)
    return seen


def _pick_sample(v: Mapping[str, Array], n: int) -> int:
    """Sample n (1-based), or the last one if the batch is smaller; 0-based."""
    return min(n, v["x"].shape[0]) - 1


Builder = Callable[[Mapping[str, Array], str, str], tuple[Question, ...]]
"""(values seen so far, step key, lang) -> the step's questions."""


def _number(key: str, step: str, lang: str, value: float, hint: list[str], check: str, exact: bool = False,
            **fields: object) -> Question:
    """A numeric question; ``exact``: a count, right only when equal (tolerance 0)."""
    value = float(value)
    tol = 0.0 if exact else tolerance(value)
    base = f"learn.q.{key}"
    stated = t("learn.exact", lang) if exact else t("learn.tolerance", lang, tol=fmt(tol))
    prompt = f"{t(f'{base}.prompt', lang, **fields)} {stated}"
    return Question(key, step, "number", prompt, value, (), tuple(hint),
                    t("learn.solution_number", lang, value=fmt(value)), tol, check)


def _choice(key: str, step: str, lang: str, answer: str, options: tuple[str, ...], hint: list[str],
            check: str, **fields: object) -> Question:
    base = f"learn.q.{key}"
    choices = tuple((o, t(f"{base}.choice.{o}", lang, **fields)) for o in options)
    return Question(key, step, "choice", t(f"{base}.prompt", lang, **fields), answer, choices,
                    tuple(hint), t(f"{base}.solution", lang, **fields), 0.0, check)


# ------------------------------------------------------------- graph lesson --
# feature 1 (index 0) throughout; "sample i" is 1-based in the prompts.


def _q_mu(v, step, lang):
    col = v["x"][:, 0]
    m = col.size
    return (_number("mu", step, lang, v["mu"][0],
                    [t("learn.hint.mu", lang, m=m), f"μ₁ = ({_sum(col)}) / {m}",
                     f"μ₁ = {fmt(col.sum())} / {m}"], "mu[0]", m=m),)


def _q_xc(v, step, lang):
    return (_number("xc", step, lang, v["xc"][0, 0],
                    [t("learn.hint.xc", lang), f"{fmt(v['x'][0, 0])} − {factor(v['mu'][0])}"], "xc[0, 0]"),)


def _q_var(v, step, lang):
    col = v["xc"][:, 0]
    m = col.size
    squares = " + ".join(f"{factor(c)}²" for c in col)
    return (_number("var", step, lang, v["var"][0],
                    [t("learn.hint.var", lang, m=m), f"σ²₁ = ({squares}) / {m}",
                     f"σ²₁ = ({_sum(col ** 2)}) / {m}", f"σ²₁ = {fmt((col ** 2).sum())} / {m}"], "var[0]"),)


def _q_std(v, step, lang, eps: float):
    return (_number("std", step, lang, v["std"][0],
                    [t("learn.hint.std", lang, eps=fmt(eps)), f"√({fmt(v['var'][0])} + {fmt(eps)})"], "std[0]"),)


def _q_xhat(v, step, lang):
    return (_number("xhat", step, lang, v["xhat"][0, 0],
                    [t("learn.hint.xhat", lang), f"x̂₁₁ = {fmt(v['xc'][0, 0])} / {fmt(v['std'][0])}"], "xhat[0, 0]"),)


def _q_y(v, step, lang):
    return (_number("y", step, lang, v["y"][0, 0],
                    [t("learn.hint.y", lang),
                     f"y₁₁ = {factor(v['gamma'][0])} · {factor(v['xhat'][0, 0])} + {factor(v['beta'][0])}"],
                    "y[0, 0]"),)


def _q_dy(v, step, lang):
    return (_choice("dy", step, lang, "upstream", ("upstream", "x", "gamma"), [t("learn.hint.dy", lang)],
                    '"upstream"'),)


def _q_dparams(v, step, lang):
    col = v["dout"][:, 0]
    return (_number("dbeta", step, lang, v["dbeta"][0],
                    [t("learn.hint.dbeta", lang), f"∂L/∂β₁ = {_sum(col)}"], "dbeta[0]"),)


def _q_dxhat(v, step, lang):
    return (_number("dxhat", step, lang, v["dxhat"][0, 0],
                    [t("learn.hint.dxhat", lang), f"∂L/∂x̂₁₁ = {factor(v['gamma'][0])} · {factor(v['dout'][0, 0])}"],
                    "dxhat[0, 0]"),)


def _q_dstd(v, step, lang):
    dxh, xc, std = v["dxhat"][:, 0], v["xc"][:, 0], v["std"][0]
    products = " + ".join(f"{factor(a)}·{factor(b)}" for a, b in zip(dxh, xc, strict=True))
    return (_number("dstd", step, lang, v["dstd"][0],
                    [t("learn.hint.dstd", lang), f"−({products}) / {fmt(std)}²",
                     f"−({fmt((dxh * xc).sum())}) / {fmt(std ** 2)}"], "dstd[0]"),)


def _q_dvar(v, step, lang):
    return (_number("dvar", step, lang, v["dvar"][0],
                    [t("learn.hint.dvar", lang), f"∂L/∂σ²₁ = {factor(v['dstd'][0])} / (2 · {fmt(v['std'][0])})"],
                    "dvar[0]"),)


def _q_dxc(v, step, lang):
    m = v["xc"].shape[0]
    a, s, dv, xc = v["dxhat"][0, 0], v["std"][0], v["dvar"][0], v["xc"][0, 0]
    return (_number("dxc", step, lang, v["dxc"][0, 0],
                    [t("learn.hint.dxc", lang, m=m),
                     t("learn.hint.term", lang, n=1, expr=f"{factor(a)} / {fmt(s)}", value=fmt(a / s)),
                     t("learn.hint.term", lang, n=2, expr=f"{factor(dv)} · 2 · {factor(xc)} / {m}",
                       value=fmt(dv * 2 * xc / m))], "dxc[0, 0]"),)


def _q_dmu(v, step, lang):
    col = v["dxc"][:, 0]
    m = col.size
    xc_sum = float(v["xc"][:, 0].sum())
    number = _number("dmu", step, lang, v["dmu"][0],
                     [t("learn.hint.dmu", lang), f"∂L/∂μ₁ = −({_sum(col)})", f"∂L/∂μ₁ = −({fmt(col.sum())})"], "dmu[0]")
    choice = _choice("dmu_zero", step, lang, "var", ("var", "xhat", "none"),
                     [t("learn.hint.dmu_zero", lang),
                      f"∂L/∂σ²₁ · (−2/{m}) · Σᵢ(xᵢ₁ − μ₁) = {factor(v['dvar'][0])} · (−2/{m}) · {factor(xc_sum)}"],
                     '"var"')
    return number, choice


def _q_dx(v, step, lang):
    i = _pick_sample(v, 3)
    m = v["xc"].shape[0]
    dxh, s, dv, xc, dmu = v["dxhat"][i, 0], v["std"][0], v["dvar"][0], v["xc"][i, 0], v["dmu"][0]
    terms = {"xhat": dxh / s, "var": dv * 2 * xc / m, "mu": dmu / m}
    largest = max(terms, key=lambda k: abs(terms[k]))
    exprs = {"xhat": f"{factor(dxh)} / {fmt(s)}", "var": f"{factor(dv)} · 2 · {factor(xc)} / {m}",
             "mu": f"{factor(dmu)} / {m}"}
    hint = [t("learn.hint.dx", lang, m=m)]
    hint += [t("learn.hint.path", lang, path=t(f"learn.path.{k}", lang), expr=exprs[k]) for k in terms]
    check = (f"('xhat', 'var', 'mu')[int(np.argmax(np.abs([dx_xhat[{i}, 0], dx_var[{i}, 0], dx_mu[{i}, 0]])))]")
    return (_choice("dx", step, lang, largest, tuple(terms), hint, check, i=i + 1),)


def _q_closed(v, step, lang):
    col = v["dx"][:, 0]
    return (_number("closed", step, lang, col.sum(),
                    [t("learn.hint.closed", lang), f"Σᵢ ∂L/∂xᵢ₁ = {_sum(col)}"], "dx.sum(axis=0)[0]"),)


GRAPH: dict[str, Callable] = {
    "forward.mu": _q_mu, "forward.xc": _q_xc, "forward.var": _q_var, "forward.xhat": _q_xhat,
    "forward.y": _q_y, "backward.dy": _q_dy, "backward.dparams": _q_dparams, "backward.dxhat": _q_dxhat,
    "backward.dstd": _q_dstd, "backward.dvar": _q_dvar, "backward.dxc": _q_dxc, "backward.dmu": _q_dmu,
    "backward.dx": _q_dx, "backward.closed": _q_closed,
}
"""The graph lesson's questions, by step key (forward.std needs ε and is added in :func:`questions`)."""


# ------------------------------------------------- train vs test, renorm, pool --


def _q_tt_cs231n(v, step, lang, settings):
    mom = float(settings["momentum_cs231n"])
    mu1 = float(v["mu_b"][0, 0])
    return (_number("tt_cs231n", step, lang, v["run_mean_cs231n"][0, 0],
                    [t("learn.hint.tt_cs231n", lang, p=fmt(mom)), f"{fmt(mom)} · 0 + {fmt(1 - mom)} · {factor(mu1)}"],
                    "run_mean_cs231n[0, 0]", p=fmt(mom)),)


def _q_tt_pytorch(v, step, lang, settings):
    mom, m = float(settings["momentum_pytorch"]), int(settings["m"])
    var1 = float(v["var_b"][0, 0])
    return (_number("tt_pytorch", step, lang, v["run_var_pytorch"][0, 0],
                    [t("learn.hint.tt_pytorch", lang, p=fmt(mom), m=m),
                     f"{fmt(1 - mom)} · 1 + {fmt(mom)} · {fmt(var1)} · {m}/({m} − 1)"],
                    "run_var_pytorch[0, 0]", p=fmt(mom)),)


def _q_tt_test(v, step, lang, settings):
    return (_choice("tt_test", step, lang, "no", ("yes", "no"), [t("learn.hint.tt_test", lang)], '"no"'),)


def _q_tt_backward(v, step, lang, settings):
    return (_choice("tt_backward", step, lang, "one", ("one", "two", "three"), [t("learn.hint.tt_backward", lang)],
                    '"one"'),)


def _q_rn_rd(v, step, lang, settings):
    rmax, sigma = float(settings["rmax"]), float(settings["sigma"])
    std1 = float(v["std"][0])
    return (_number("rn_r", step, lang, v["r"][0],
                    [t("learn.hint.rn_r", lang), f"r₁ = clip({fmt(std1)} / {fmt(sigma)}, 1/{fmt(rmax)}, {fmt(rmax)})"],
                    "r[0]"),)


def _q_rn_limit(v, step, lang, settings):
    return (_choice("rn_limit", step, lang, "bn", ("bn", "test", "neither"), [t("learn.hint.rn_limit", lang)],
                    '"bn"'),)


def _q_pool_backward(v, step, lang, settings):
    out = v["out"]
    return (_number("pool_nonzero", step, lang, float(np.count_nonzero(v["dx"])),
                    [t("learn.hint.pool_nonzero", lang, windows=int(out.size))], "np.count_nonzero(dx)", exact=True),)


def _q_pool_compare(v, step, lang, settings):
    return (_choice("pool_avg", step, lang, "spread", ("spread", "one", "none"), [t("learn.hint.pool_avg", lang)],
                    '"spread"'),)


LESSONS: dict[str, dict[str, Callable]] = {
    "train_test": {"forward.cs231n": _q_tt_cs231n, "forward.pytorch": _q_tt_pytorch, "forward.test": _q_tt_test,
                   "backward.test": _q_tt_backward},
    "renorm": {"forward.rd": _q_rn_rd, "backward.bn_limit": _q_rn_limit},
    "pool": {"pool.backward": _q_pool_backward, "pool.compare": _q_pool_compare},
}
"""The other lessons' questions: builders (values seen, step key, lang, the walkthrough's settings)."""


def _builders(walk: Walkthrough) -> dict[str, Callable]:
    if walk.page == "graph":
        if walk.settings.get("norm", "batch") != "batch":
            return {}
        eps = float(walk.settings.get("eps", 0.0))
        return {**GRAPH, "forward.std": lambda v, s, lang: _q_std(v, s, lang, eps)}
    if walk.page == "pool" and walk.settings.get("kind", "max") != "max":
        return {}
    return {k: partial(_with_settings, f, walk.settings) for k, f in LESSONS.get(walk.page, {}).items()}


def _with_settings(build: Callable, settings: dict, v, step, lang):
    return build(v, step, lang, settings)


def questions(walk: Walkthrough) -> dict[str, tuple[Question, ...]]:
    """step key -> its questions (steps without one are absent): the graph lesson (batch norm),
    train vs test, renorm and (max) pooling so far; other lessons have none."""
    builders = _builders(walk)
    out: dict[str, tuple[Question, ...]] = {}
    for n, step in enumerate(walk.steps):
        build = builders.get(step.key)
        if build is not None:
            out[step.key] = build(_known(walk, n), step.key, walk.lang)
    return out


def all_questions(walk: Walkthrough) -> list[Question]:
    """Every question of the walkthrough, in step order."""
    return [q for qs in questions(walk).values() for q in qs]


# --------------------------------------------------------------------- score --


@dataclass(frozen=True)
class Score:
    """right: answered right (before "show me"); answered: right or shown; total: questions in the lesson."""

    right: int
    answered: int
    total: int


def score(outcomes: Mapping[str, str], keys: list[str]) -> Score:
    """The score of one lesson: ``outcomes`` maps question key -> "right" | "shown" | "wrong"."""
    right = sum(outcomes.get(k) == "right" for k in keys)
    answered = sum(outcomes.get(k) in ("right", "shown") for k in keys)
    return Score(right, answered, len(keys))
