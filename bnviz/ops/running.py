"""Running statistics: cs231n, PyTorch and Caffe, each written once as SymPy update rules.

The page prints the rules; the numbers come from the same rules (lambdified).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.i18n import InputError
from bnviz.ops.testmode import TEST_SYM
from bnviz.symbolic import symbols as S

Array = np.ndarray
m = S.m

CONVENTIONS = ("cs231n", "pytorch", "caffe")
CONVENTION_NAMES = {"cs231n": "cs231n", "pytorch": "PyTorch", "caffe": "Caffe"}
"""How each convention is written (proper names, the same in every language)."""
DEFAULT_RATE = {"cs231n": 0.9, "pytorch": 0.1, "caffe": 0.999}
"""Each framework's default: cs231n's momentum, PyTorch's momentum, Caffe's moving_average_fraction."""

RUN_SYM = {
    "mu_b": S.scalar("mu_B", r"\mu_{B}"),
    "var_b": S.scalar("var_B", r"\sigma^{2}_{B}", nonnegative=True),
    "mean": TEST_SYM["mu_run"],
    "var": TEST_SYM["var_run"],
    "momentum": S.scalar("momentum", r"\mathrm{momentum}"),
    "lam": S.scalar("lambda_caffe", r"\lambda"),
    "s": S.scalar("s_caffe", "s"),
    "sum_mean": S.scalar("sum_mu_caffe", r"S_{\mu}"),
    "sum_var": S.scalar("sum_var_caffe", r"S_{\sigma^{2}}"),
}

BESSEL = S.mul(m, 1 / S.add(m, -1))
"""The variance correction m/(m − 1), as PyTorch and Caffe apply it to σ²_B."""


@lru_cache(maxsize=1)
def update_rules() -> dict[str, dict[str, sp.Expr]]:
    """convention -> {state: its new value}; "mean" and "var" are the estimates used at test time.

    cs231n:  running = momentum·running + (1 − momentum)·batch, biased σ²_B
    pytorch: running = (1 − momentum)·running + momentum·batch, unbiased σ²_B·m/(m−1)
    caffe:   s ← λs + 1, S_μ ← λS_μ + μ_B, S_σ² ← λS_σ² + m/(m−1)·σ²_B; estimates S/s
    """
    r = RUN_SYM
    mom, lam = r["momentum"], r["lam"]
    bessel = BESSEL
    return {
        "cs231n": {
            "mean": S.add(S.mul(mom, r["mean"]), S.mul(S.add(1, -mom), r["mu_b"])),
            "var": S.add(S.mul(mom, r["var"]), S.mul(S.add(1, -mom), r["var_b"])),
        },
        "pytorch": {
            "mean": S.add(S.mul(S.add(1, -mom), r["mean"]), S.mul(mom, r["mu_b"])),
            "var": S.add(S.mul(S.add(1, -mom), r["var"]), S.mul(mom, bessel, r["var_b"])),
        },
        "caffe": {
            "s": S.add(S.mul(lam, r["s"]), 1),
            "sum_mean": S.add(S.mul(lam, r["sum_mean"]), r["mu_b"]),
            "sum_var": S.add(S.mul(lam, r["sum_var"]), S.mul(bessel, r["var_b"])),
            "mean": r["sum_mean"] / r["s"],
            "var": r["sum_var"] / r["s"],
        },
    }


STATE = {"cs231n": ("mean", "var"), "pytorch": ("mean", "var"), "caffe": ("s", "sum_mean", "sum_var")}
"""The state each convention stores between batches."""
INITIAL = {"cs231n": {"mean": 0.0, "var": 0.0}, "pytorch": {"mean": 0.0, "var": 1.0},
           "caffe": {"s": 0.0, "sum_mean": 0.0, "sum_var": 0.0}}
"""Initial state: cs231n's zeros, PyTorch's (0, 1), Caffe's zero blobs."""
RATE_SYMBOL = {"cs231n": "momentum", "pytorch": "momentum", "caffe": "lam"}


def bessel(m_count: int) -> float:
    """The variance correction m/(m − 1); 1 for m = 1, as Caffe's code does
    (``bias_correction_factor = m > 1 ? m/(m-1) : 1``; PyTorch refuses m = 1 in training)."""
    return m_count / (m_count - 1) if m_count > 1 else 1.0


@lru_cache(maxsize=len(CONVENTIONS))
def _update_function(convention: str):
    """The rules of ``convention`` as one NumPy function (state..., μ_B, σ²_B, rate, m/(m−1)) -> new state."""
    r = RUN_SYM
    factor = sp.Dummy("bessel")  # the factor's value is passed in: 1 for m = 1 (see ``bessel``)
    rules = [update_rules()[convention][k].xreplace({BESSEL: factor}) for k in STATE[convention]]
    args = [r[k] for k in STATE[convention]] + [r["mu_b"], r["var_b"], r[RATE_SYMBOL[convention]], factor]
    return sp.lambdify(args, rules, modules="numpy")


@dataclass(frozen=True)
class RunningTrace:
    """Running estimates after each of K batches: mean and var are (K, S); state holds
    each stored quantity after each batch ((K, S)); the test-time estimates are mean, var."""

    convention: str
    rate: float
    mean: Array
    var: Array
    state: dict[str, Array]


def caffe_scale(s: Array) -> Array:
    """Caffe's scale factor 1/s, with 0 when s = 0 (no batch seen yet)."""
    s = np.asarray(s, dtype=float)
    return np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)


def running_stats(convention: str, batch_means: Array, batch_vars: Array, m_count: int,
                  rate: float | None = None) -> RunningTrace:
    """Apply ``convention``'s update after each batch.

    batch_means, batch_vars: (K, S) batch mean and *biased* batch variance of
    each set; m_count: cells per set (m = N, or N·H·W). rate: momentum or λ
    (the framework's default when None). For m = 1 the factor m/(m−1) is
    taken as 1, as Caffe does (PyTorch refuses such a batch in training).
    """
    if convention not in CONVENTIONS:
        raise InputError("error.norms.convention", convention=convention)
    rate = DEFAULT_RATE[convention] if rate is None else float(rate)
    if not 0.0 <= rate <= 1.0:
        raise InputError("error.norms.rate", rate=rate)
    means, vars_ = np.asarray(batch_means, dtype=float), np.asarray(batch_vars, dtype=float)
    update = _update_function(convention)
    state = [np.full(means.shape[1:], INITIAL[convention][k]) for k in STATE[convention]]
    trace: dict[str, list[Array]] = {k: [] for k in STATE[convention]}
    for mu_b, var_b in zip(means, vars_, strict=True):
        state = [np.asarray(v, dtype=float) for v in update(*state, mu_b, var_b, rate, bessel(m_count))]
        for k, v in zip(STATE[convention], state, strict=True):
            trace[k].append(np.broadcast_to(v, means.shape[1:]).copy())
    st = {k: np.array(v).reshape(means.shape) for k, v in trace.items()}
    if convention == "caffe":
        scale = caffe_scale(st["s"])
        return RunningTrace(convention, rate, st["sum_mean"] * scale, st["sum_var"] * scale, st)
    return RunningTrace(convention, rate, st["mean"], st["var"], st)

