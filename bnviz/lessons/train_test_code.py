"""The train-vs-test lesson's NumPy code (``bnviz.lessons.train_test``): the setup that rebuilds
its inputs and each step's statements, with the lesson's value ids as variable names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bnviz.settings import Settings

if TYPE_CHECKING:
    from bnviz.lessons.train_test import TrainTest

def setup(tt: TrainTest, settings: Settings, params: dict) -> str:
    """NumPy statements that rebuild the inputs (seeded draws, literal arrays otherwise)."""
    m, d = tt.x.shape
    lines = ["import numpy as np", "", f"m, d, eps = {m}, {d}, {tt.eps!r}", "bessel = m / (m - 1) if m > 1 else 1.0",
             f"K, pop_mean, pop_std, seed = {params['k']}, {params['pop_mean']!r}, {params['pop_std']!r}, "
             f"{settings.seed}",
             "batches = pop_mean + pop_std * np.random.default_rng(seed).standard_normal((K, m, d))",
             "x = batches[-1]"]
    if settings.upstream == "ones":
        lines.append("dout = np.ones((m, d))")
    elif settings.upstream == "random":
        lines.append("dout = np.random.default_rng(seed + 1).standard_normal((m, d))")
    else:
        lines.append(f"dout = np.array({tt.dout.tolist()!r})")
    lines += [f"gamma = np.array({tt.gamma.tolist()!r})", f"beta = np.array({tt.beta.tolist()!r})",
              f"momentum_cs231n, momentum_pytorch, lam_caffe = {params['momentum_cs231n']!r}, "
              f"{params['momentum_pytorch']!r}, {params['lam_caffe']!r}",
              f"momentum_keras = {params['momentum_keras']!r}"]
    return "\n".join(lines)


def _loop(convention: str) -> str:
    if convention == "caffe":
        return "\n".join([
            "caffe_s, caffe_sum_mean, caffe_sum_var = np.zeros((K, d)), np.zeros((K, d)), np.zeros((K, d))",
            "s, sum_mean, sum_var = 0.0, np.zeros(d), np.zeros(d)",
            "for k in range(K):",
            "    s = lam_caffe * s + 1",
            "    sum_mean = lam_caffe * sum_mean + mu_b[k]",
            "    sum_var = lam_caffe * sum_var + bessel * var_b[k]",
            "    caffe_s[k], caffe_sum_mean[k], caffe_sum_var[k] = s, sum_mean, sum_var",
            "run_mean_caffe, run_var_caffe = caffe_sum_mean / caffe_s, caffe_sum_var / caffe_s",
        ])
    mom = f"momentum_{convention}"
    if convention in ("cs231n", "keras"):
        upd = [f"    mean = {mom} * mean + (1 - {mom}) * mu_b[k]",
               f"    var = {mom} * var + (1 - {mom}) * var_b[k]"]
        init = "mean, var = np.zeros(d), " + ("np.zeros(d)" if convention == "cs231n" else "np.ones(d)")
    else:
        upd = [f"    mean = (1 - {mom}) * mean + {mom} * mu_b[k]",
               f"    var = (1 - {mom}) * var + {mom} * bessel * var_b[k]"]
        init = "mean, var = np.zeros(d), np.ones(d)"
    return "\n".join([f"run_mean_{convention}, run_var_{convention} = np.zeros((K, d)), np.zeros((K, d))", init,
                      "for k in range(K):", *upd,
                      f"    run_mean_{convention}[k], run_var_{convention}[k] = mean, var"])


BACKWARD_TEST_CODE = "\n".join([
    "dx_test = gamma * dout / np.sqrt(var_run + eps)",
    "xhat_b = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)",
    "dxhat_b = gamma * dout",
    "dx_train = (m * dxhat_b - dxhat_b.sum(axis=0) - xhat_b * (dxhat_b * xhat_b).sum(axis=0)) "
    "/ (m * np.sqrt(x.var(axis=0) + eps))",
    "dgamma_test = (dout * (x - mean_run) / np.sqrt(var_run + eps)).sum(axis=0)",
    "dbeta_test = dout.sum(axis=0)",
])
"""The test-mode backward in NumPy (x, dout: (m, C) with one column per channel)."""


def code(source: str, tt: TrainTest) -> dict[str, str]:
    if source == "custom":
        stats = f"mean_run, var_run = np.array({tt.mean_run.tolist()!r}), np.array({tt.var_run.tolist()!r})"
    else:
        stats = f"mean_run, var_run = run_mean_{source}[-1], run_var_{source}[-1]"
    gaps = "\n".join(f"gap_{c} = y_train - (gamma * (x - run_mean_{c}[-1]) / np.sqrt(run_var_{c}[-1] + eps) + beta)"
                     for c in tt.traces)  # the conventions shown, in order (train_test.SHOWN)
    return {
        "forward.batches": "mu_b = batches.mean(axis=1)\nvar_b = batches.var(axis=1)",
        "forward.cs231n": _loop("cs231n"),
        "forward.pytorch": _loop("pytorch"),
        "forward.keras": _loop("keras"),
        "forward.caffe": _loop("caffe"),
        "forward.test": "\n".join([
            stats,
            "y_train = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta",
            "y_test = gamma * (x - mean_run) / np.sqrt(var_run + eps) + beta",
        ]),
        "forward.gap": gaps,
        "backward.test": BACKWARD_TEST_CODE,
    }
