"""Train vs test: running statistics under four frameworks' conventions, and BN in test mode.

K batches are drawn from a population N(pop_mean, pop_std²) (m samples, D
features, the sidebar's seed). After each batch the running mean and
variance are updated as cs231n, PyTorch, Keras/TensorFlow and Caffe do
(``running.update_rules``, SymPy; the numbers come from the same rules; Keras is
cs231n's rule started from (0, 1), ``frameworks.running``). The frameworks' other
differences are a table (``frameworks_table.framework_table``), and ``frameworks_table.translate`` gives one
framework's settings in each other's terms with the running statistics side by side. The last batch is then
normalised in training mode (its own statistics) and in test mode (one
convention's running statistics, or the learner's own), and the test-mode
backward pass comes from its own short graph (``testmode.TEST_STRUCTURE``).

This module holds the numbers and the steps; the formula lines are in ``train_test_formulas``,
the NumPy code in ``train_test_code``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from bnviz import data
from bnviz.i18n import InputError, t
from bnviz.lessons.train_test_code import BACKWARD_TEST_CODE, code, setup
from bnviz.lessons.train_test_formulas import formulas
from bnviz.ops import family, frameworks, running, testmode
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough

Array = np.ndarray

SHOWN = ("cs231n", "pytorch", "keras", "caffe")
"""The frameworks whose running statistics the lesson follows, in the order shown."""
NAMES = {c: running.CONVENTION_NAMES.get(c) or frameworks.NAMES[c] for c in SHOWN}
"""Their proper names (the same in every language)."""
SOURCES = (*SHOWN, "custom")
"""Where test mode takes its statistics from: a convention's estimates after K batches, or typed in."""

LIMITS = {"k": (1, 200), "pop_mean": (-5.0, 5.0), "pop_std": (0.1, 5.0), "rate": (0.0, 1.0)}
DEFAULTS = {"k": 30, "pop_mean": 2.0, "pop_std": 1.5, "momentum_cs231n": running.DEFAULT_RATE["cs231n"],
            "momentum_pytorch": running.DEFAULT_RATE["pytorch"], "lam_caffe": running.DEFAULT_RATE["caffe"],
            "momentum_keras": frameworks.CONVENTIONS["keras"].momentum,
            "source": "pytorch", "running_mean": "0", "running_var": "1"}
"""The page's own controls and their defaults."""

RATE_PARAM = {"cs231n": "momentum_cs231n", "pytorch": "momentum_pytorch", "keras": "momentum_keras",
              "caffe": "lam_caffe"}

STEPS = ("forward.batches", "forward.cs231n", "forward.pytorch", "forward.keras", "forward.caffe", "forward.test",
         "forward.gap", "backward.test")

LABELS = {
    "mu_b": "μ_B", "var_b": "σ²_B",
    "run_mean_cs231n": "μ_run cs231n", "run_var_cs231n": "σ²_run cs231n",
    "run_mean_pytorch": "μ_run PyTorch", "run_var_pytorch": "σ²_run PyTorch",
    "run_mean_keras": "μ_run Keras", "run_var_keras": "σ²_run Keras",
    "caffe_s": "s", "caffe_sum_mean": "S_μ", "caffe_sum_var": "S_σ²",
    "run_mean_caffe": "μ_run Caffe = S_μ/s", "run_var_caffe": "σ²_run Caffe = S_σ²/s",
    "mean_run": "μ_run", "var_run": "σ²_run",
}
WORDED = ("y_train", "y_test", "gap_cs231n", "gap_pytorch", "gap_keras", "gap_caffe", "dx_test", "dx_train",
          "dgamma_test", "dbeta_test")
"""Display names of this lesson's value ids: notation (the same in every language), and
the ids in WORDED, whose names are in the catalog (``step.train_test.label.<id>``)."""


def labels(lang: str) -> dict[str, str]:
    return {**LABELS, **{k: t(f"step.train_test.label.{k}", lang) for k in WORDED}}


@dataclass(frozen=True)
class TrainTest:
    """Everything the page shows, computed once.

    batches: (K, m, D); mu_b, var_b: (K, D) batch statistics (biased variance)
    traces: convention -> RunningTrace ((K, D) estimates after each batch)
    x, dout: (m, D) the last batch and its upstream gradient
    train: BN in training mode on x; test: BN in test mode with ``mean_run``, ``var_run``
    gaps: convention -> (K,) mean |y_train − y_test| when batch k is normalised
          with the estimates after batch k
    """

    batches: Array
    mu_b: Array
    var_b: Array
    traces: dict[str, running.RunningTrace]
    x: Array
    dout: Array
    gamma: Array
    beta: Array
    eps: float
    mean_run: Array
    var_run: Array
    train: family.NormRun
    test: family.NormRun
    gaps: dict[str, Array]
    y_test: dict[str, Array]
    notes: tuple[tuple[str, dict], ...] = ()


def parse_running(text: str, what: str, d: int) -> Array:
    """One number or D numbers typed by the learner (commas or spaces) -> (D,)."""
    row = data.parse_matrix(text.replace("\n", " "), what).reshape(-1)
    if row.size == 1:
        return np.full(d, row[0])
    if row.size != d:
        raise InputError("error.param_len", name=what, n=row.size, d=d)
    return row


def _check_rate(value: float) -> float:
    lo, hi = LIMITS["rate"]
    if not lo <= value <= hi:
        raise InputError("error.norms.rate", rate=value)
    return float(value)


def compute(settings: Settings, k: int = DEFAULTS["k"], pop_mean: float = DEFAULTS["pop_mean"],
            pop_std: float = DEFAULTS["pop_std"], momentum_cs231n: float = DEFAULTS["momentum_cs231n"],
            momentum_pytorch: float = DEFAULTS["momentum_pytorch"], lam_caffe: float = DEFAULTS["lam_caffe"],
            source: str = DEFAULTS["source"], running_mean: str = DEFAULTS["running_mean"],
            running_var: str = DEFAULTS["running_var"],
            momentum_keras: float = DEFAULTS["momentum_keras"]) -> TrainTest:
    """The numbers of the lesson. Raises InputError for settings it cannot show.

    The batches have the shape of the sidebar's batch (m × D; a typed-in x sets
    it) and the last one is normalised with the sidebar's upstream gradient.
    """
    problem = data.make_problem(settings)
    m, d = problem.m, problem.d
    if not LIMITS["k"][0] <= k <= LIMITS["k"][1]:
        raise InputError("error.norms.k", k=k, lo=LIMITS["k"][0], hi=LIMITS["k"][1])
    if not (np.isfinite(pop_std) and pop_std > 0) or not np.isfinite(pop_mean):
        raise InputError("error.norms.population", mean=pop_mean, std=pop_std)
    if source not in SOURCES:
        raise InputError("error.norms.convention", convention=source)
    rates = {c: _check_rate(v) for c, v in
             (("cs231n", momentum_cs231n), ("pytorch", momentum_pytorch), ("keras", momentum_keras),
              ("caffe", lam_caffe))}
    batches, mu_b, var_b, traces = _stream(settings.seed, k, m, d, float(pop_mean), float(pop_std),
                                           tuple(rates[c] for c in SHOWN))
    x = batches[-1]
    dout = problem.dout
    gamma, beta = np.full(d, float(settings.gamma)), np.full(d, float(settings.beta))
    eps = float(settings.eps)
    if source == "custom":
        mean_run, var_run = testmode.check_running(parse_running(running_mean, "running_mean", d),
                                                parse_running(running_var, "running_var", d), d)
    else:
        mean_run, var_run = traces[source].mean[-1], traces[source].var[-1]
    if eps == 0 and np.any(var_b == 0):
        raise InputError("error.m1_eps0")
    train = family.norm_run(x, gamma, beta, dout, eps, "batch")
    test = testmode.bn_test_run(x, gamma, beta, dout, eps, mean_run, var_run)
    y_train = train.y
    y_test, gaps = {}, {}
    with np.errstate(divide="ignore", invalid="ignore"):
        # batch k normalised in both modes, with the estimates after batch k
        train_k = (batches - mu_b[:, None]) / np.sqrt(var_b[:, None] + eps)
        for c, tr in traces.items():
            y_test[c] = gamma * (x - tr.mean[-1]) / np.sqrt(tr.var[-1] + eps) + beta
            test_k = (batches - tr.mean[:, None]) / np.sqrt(tr.var[:, None] + eps)
            gaps[c] = np.abs(gamma * (train_k - test_k)).mean(axis=(1, 2))
    if not all(np.all(np.isfinite(v)) for v in (*y_test.values(), *gaps.values(), y_train, test.y)):
        raise InputError("error.norms.zero_var_eps0")
    notes = (("step.train_test.m1_note", {}),) if m == 1 else ()
    return TrainTest(batches, mu_b, var_b, traces, x, dout, gamma, beta, eps, mean_run, var_run, train, test,
                     gaps, y_test, notes)


@lru_cache(maxsize=8)  # at the limits (K = 200, m = 512, D = 16) one entry holds 13 MB of batches
def _stream(seed: int, k: int, m: int, d: int, pop_mean: float, pop_std: float,
            rates: tuple[float, ...]) -> tuple[Array, Array, Array, dict[str, running.RunningTrace]]:
    """The K batches (K, m, D) from the population, their means and biased variances (K, D) and each
    convention's running statistics after each batch (``rates`` in ``SHOWN`` order). Cached: a change of γ,
    β, ε or the upstream gradient leaves them as they are (callers must not change the arrays)."""
    batches = pop_mean + pop_std * np.random.default_rng(seed).standard_normal((k, m, d))
    mu_b, var_b = batches.mean(axis=1), batches.var(axis=1)
    traces = {c: keras_trace(batches, rate) if c == "keras" else running.running_stats(c, mu_b, var_b, m, rate)
              for c, rate in zip(SHOWN, rates, strict=True)}
    for a in (batches, mu_b, var_b):
        a.flags.writeable = False
    return batches, mu_b, var_b, traces


def keras_trace(batches: Array, momentum: float) -> running.RunningTrace:
    """Keras's moving mean and variance after each batch (batches: (K, m, D)), as a trace ((K, D) each)."""
    mean, var = frameworks.running("keras", batches, momentum)
    return running.RunningTrace("keras", float(momentum), mean, var, {"mean": mean, "var": var})


# ------------------------------------------------------------- walkthrough --


def values(tt: TrainTest) -> dict[str, dict[str, Array]]:
    tr = tt.traces
    test_grads = tt.test.bn.back.grads
    return {
        "forward.batches": {"mu_b": tt.mu_b, "var_b": tt.var_b},
        "forward.cs231n": {"mu_b": tt.mu_b, "run_mean_cs231n": tr["cs231n"].mean,
                           "var_b": tt.var_b, "run_var_cs231n": tr["cs231n"].var},
        "forward.pytorch": {"mu_b": tt.mu_b, "run_mean_pytorch": tr["pytorch"].mean,
                            "var_b": tt.var_b, "run_var_pytorch": tr["pytorch"].var},
        "forward.keras": {"mu_b": tt.mu_b, "run_mean_keras": tr["keras"].mean,
                          "var_b": tt.var_b, "run_var_keras": tr["keras"].var},
        "forward.caffe": {"caffe_s": tr["caffe"].state["s"], "caffe_sum_mean": tr["caffe"].state["sum_mean"],
                          "caffe_sum_var": tr["caffe"].state["sum_var"], "run_mean_caffe": tr["caffe"].mean,
                          "run_var_caffe": tr["caffe"].var},
        "forward.test": {"x": tt.x, "mean_run": tt.mean_run, "var_run": tt.var_run,
                         "y_train": tt.train.y, "y_test": tt.test.full("y")},
        "forward.gap": {f"gap_{c}": tt.train.y - tt.y_test[c] for c in SHOWN},
        "backward.test": {"dout": tt.dout, "dx_test": tt.test.layout.from_sets(test_grads["x"]),
                          "dx_train": tt.train.dx,
                          "dgamma_test": tt.test.layout.channel_sum(tt.test.layout.from_sets(test_grads["gamma"])),
                          "dbeta_test": tt.test.layout.channel_sum(tt.test.layout.from_sets(test_grads["beta"]))},
    }


FOCUS = {"forward.batches": "mu", "forward.cs231n": "mu", "forward.pytorch": "mu", "forward.keras": "mu",
         "forward.caffe": "mu",
         "forward.test": "xhat", "forward.gap": "y", "backward.test": "x"}


def params_with_defaults(params: dict) -> dict:
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown train_test parameters: {sorted(unknown)}")
    return {**DEFAULTS, **params}


def test_active_edges(step_key: str) -> set[tuple[str, str]]:
    """The test graph's edges ∂L/∂x flows back through (from y to x; none going forward), read off the graph."""
    if not step_key.startswith("backward."):
        return set()
    edges = testmode.TEST_STRUCTURE.edges
    reach, grew = {"x"}, True
    while grew:  # the nodes computed from x
        new = {c for c, p in edges if p in reach} - reach
        grew, reach = bool(new), reach | new
    return {(c, p) for c, p in edges if p in reach and c in reach and c != "L"}


def build(tt: TrainTest, settings: Settings, lang: str, params: dict) -> Walkthrough:
    forms, vals, codes = formulas(), values(tt), code(params["source"], tt)
    steps = []
    for key in STEPS:
        phase, name = key.split(".")
        name = "test_backward" if key == "backward.test" else name
        fields = {"m": tt.x.shape[0]} if name in ("pytorch", "caffe") else {}
        steps.append(Step(key, phase, t(f"step.train_test.{name}.title", lang), forms[key], (),
                          t(f"step.train_test.{name}.note", lang, **fields), vals[key], FOCUS[key], codes[key]))
    record = asdict(settings)
    record.update(params, k=int(params["k"]), gamma=tt.gamma.tolist(), beta=tt.beta.tolist())
    return Walkthrough("train_test", t("page.train_test.title", lang), lang, record, tuple(steps),
                       setup(tt, settings, params), labels(lang))


def walkthrough(settings: Settings, lang: str = "en", **params: object) -> Walkthrough:
    """The course builder: K batches, three conventions, test mode for the last batch."""
    p = params_with_defaults(params)
    return build(compute(settings, **p), settings, lang, p)


# ------------------------------------------------------- test mode on its own --

TEST_STEPS = ("forward.test", "backward.test")


def test_walkthrough(x: Array, dout: Array, gamma: Array, beta: Array, eps: float, running_mean: Array,
                     running_var: Array, settings: Settings | None = None, lang: str = "en") -> Walkthrough:
    """Batch norm in test mode on one batch (the CLI's ``derive --mode test``).

    x, dout: (N, C) or (N, C, H, W) (conv BN: one statistic per channel, the
    cells of a channel as the rows of the tables); gamma, beta, running_mean,
    running_var: (C,) or scalars.
    """
    run = testmode.bn_test_run(x, gamma, beta, dout, eps, running_mean, running_var)
    lay = run.layout
    v, gr = run.bn.values, run.bn.back.grads
    mean, var = (np.asarray(a).reshape(-1) for a in (v["mu_run"], v["var_run"]))
    g, b = family.check_params(gamma, beta, lay.channels)
    train = family.norm_run(x, g, b, dout, eps, "batch")
    forms = formulas()
    vals = {
        "forward.test": {"x": v["x"], "mean_run": mean, "var_run": var, "y_train": train.bn.values["y"],
                         "y_test": v["y"]},
        "backward.test": {"dout": v["dout"], "dx_test": gr["x"], "dx_train": train.bn.back.grads["x"],
                          "dgamma_test": lay.channel_sum(lay.from_sets(gr["gamma"])),
                          "dbeta_test": lay.channel_sum(lay.from_sets(gr["beta"]))},
    }
    to_sets = f".reshape({lay.work}).transpose({lay.perm}).reshape({lay.m}, {lay.sets})"
    setup_lines = ["import numpy as np", "", f"eps = {float(eps)!r}",
                   f"x = np.array({np.asarray(x, dtype=float).tolist()!r}){to_sets}",
                   f"dout = np.array({np.asarray(dout, dtype=float).tolist()!r}){to_sets}",
                   f"gamma = np.array({g.tolist()!r})", f"beta = np.array({b.tolist()!r})", "m = x.shape[0]"]
    codes = {
        "forward.test": "\n".join([
            f"mean_run, var_run = np.array({mean.tolist()!r}), np.array({var.tolist()!r})",
            "y_train = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta",
            "y_test = gamma * (x - mean_run) / np.sqrt(var_run + eps) + beta",
        ]),
        "backward.test": BACKWARD_TEST_CODE,
    }
    names = {"forward.test": "test", "backward.test": "test_backward"}
    steps = tuple(Step(key, key.split(".")[0], t(f"step.train_test.{names[key]}.title", lang), forms[key], (),
                       t(f"step.train_test.{names[key]}.note", lang), vals[key], FOCUS[key], codes[key])
                  for key in TEST_STEPS)
    record = asdict(settings) if settings is not None else {}
    record.update(shape=list(lay.shape), eps=float(eps), gamma=g.tolist(), beta=b.tolist(),
                  running_mean=mean.tolist(), running_var=var.tolist())
    return Walkthrough("train_test", t("page.train_test.title", lang), lang, record, steps, "\n".join(setup_lines),
                       labels(lang))


def coinciding(traces: dict[str, running.RunningTrace], j: int, what: str = "mean") -> list[tuple[str, str]]:
    """Pairs of conventions whose running ``what`` ("mean" or "var") of feature j are equal at every batch
    (to 1e-12 relative): their lines lie on top of each other, so the page says so."""
    names = list(traces)
    return [(a, b) for n, a in enumerate(names) for b in names[n + 1:]
            if np.allclose(getattr(traces[a], what)[:, j], getattr(traces[b], what)[:, j], rtol=1e-12, atol=0)]


@dataclass(frozen=True)
class FeatureEstimates:
    """Feature j's running estimates as the page shows them (K batches; conventions in ``SHOWN`` order).

    mean, var:       convention -> (K,) estimates after each batch; mu_b, var_b: (K,) the batch statistics
    pop_mean, pop_var: the population N(pop_mean, pop_var) the batches are drawn from (pop_var = pop_std²)
    pop_text:        (pop_mean, pop_var) as text (``g`` and 4 significant digits)
    coinciding:      pairs of conventions whose mean lines lie on top of each other
    final:           convention -> (mean, var, gap) after the K-th batch, as text (6, 6 and 4 significant digits)
    number:          j as the learner counts features (1-based)
    """

    mean: dict[str, Array]
    var: dict[str, Array]
    mu_b: Array
    var_b: Array
    pop_mean: float
    pop_var: float
    pop_text: tuple[str, str]
    coinciding: list[tuple[str, str]]
    final: dict[str, tuple[str, str, str]]
    number: int


def feature_estimates(tt: TrainTest, params: dict, j: int) -> FeatureEstimates:
    """The numbers the page draws for feature j (``params``: the page's, with ``pop_mean`` and ``pop_std``)."""
    pop_mean, pop_var = float(params["pop_mean"]), float(params["pop_std"]) ** 2
    return FeatureEstimates(
        mean={c: tr.mean[:, j] for c, tr in tt.traces.items()}, var={c: tr.var[:, j] for c, tr in tt.traces.items()},
        mu_b=tt.mu_b[:, j], var_b=tt.var_b[:, j], pop_mean=pop_mean, pop_var=pop_var,
        pop_text=(f"{pop_mean:g}", f"{pop_var:.4g}"), coinciding=coinciding(tt.traces, j),
        final={c: (f"{tr.mean[-1, j]:.6g}", f"{tr.var[-1, j]:.6g}", f"{tt.gaps[c][-1]:.4g}")
               for c, tr in tt.traces.items()},
        number=j + 1)
