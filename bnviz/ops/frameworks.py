"""Batch-norm conventions of PyTorch, Keras/TensorFlow, cs231n and Caffe, as data, and a translator.

Every framework keeps an exponential average of the batch statistics, but
they disagree on what "momentum" means and on small details:

============  ==================  ===========  ==========  =============  ========
framework     rate parameter      default      weight of   running var    ε
============  ==================  ===========  ==========  =============  ========
PyTorch       momentum            0.1          new batch   unbiased       1e-5
Keras / TF    momentum            0.99         old value   biased         1e-3
cs231n        momentum            0.9          old value   biased         1e-5
Caffe         moving_average_     0.999        old value   unbiased       1e-5
              fraction (λ)
============  ==================  ===========  ==========  =============  ========

Keras here is Keras 3 (and tf.keras with ``fused=False``): the moving variance takes the
biased batch variance of ``ops.moments``. tf.keras 2's fused kernel (``fused=True``) applied
m/(m−1) instead (tensorflow/tensorflow#55545); ``convert`` says so in words for Keras.

Initial running values: PyTorch and Keras (0, 1), cs231n (0, 0), Caffe
keeps sums S and a scale factor s (all 0) and uses S/s, a normalised
average that has no initial value at all. ``convert`` maps one framework's
(momentum, ε) onto each other's equivalent and lists, as catalog keys, what
no setting can make equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.i18n import InputError
from bnviz.ops import running as running_ops

FRAMEWORKS = ("pytorch", "keras", "cs231n", "caffe")
NAMES = {"pytorch": "PyTorch", "keras": "Keras/TensorFlow", "cs231n": "cs231n", "caffe": "Caffe"}
"""Proper names (the same in every language)."""


@dataclass(frozen=True)
class Convention:
    """One framework's BN bookkeeping.

    parameter:     the name of its rate argument
    momentum:      its default value
    weights_new:   True if the rate is the weight of the new batch (PyTorch), False if of the old estimate
    unbiased_var:  True if the running variance stores σ²_B·m/(m−1)
    initial_mean, initial_var: running values before the first batch (None: Caffe's S/s, no initial value)
    eps:           its default ε
    scale_factor:  True if it keeps Caffe's scale factor s (estimate = S/s)
    """

    parameter: str
    momentum: float
    weights_new: bool
    unbiased_var: bool
    initial_mean: float | None
    initial_var: float | None
    eps: float
    scale_factor: bool = False


CONVENTIONS: dict[str, Convention] = {
    "pytorch": Convention("momentum", 0.1, True, True, 0.0, 1.0, 1e-5),
    "keras": Convention("momentum", 0.99, False, False, 0.0, 1.0, 1e-3),
    "cs231n": Convention("momentum", 0.9, False, False, 0.0, 0.0, 1e-5),
    "caffe": Convention("moving_average_fraction", 0.999, False, True, None, None, 1e-5, scale_factor=True),
}


def check(framework: str, momentum: float, eps: float) -> Convention:
    """The convention of ``framework``; InputError for an unknown name, momentum outside [0, 1] or ε < 0."""
    if framework not in CONVENTIONS:
        raise InputError("error.practice.framework", name=framework, known=", ".join(FRAMEWORKS))
    if not 0.0 <= momentum <= 1.0:
        raise InputError("error.practice.momentum", value=momentum)
    if not eps >= 0.0:
        raise InputError("error.practice.eps", value=eps)
    return CONVENTIONS[framework]


def old_weight(framework: str, momentum: float) -> float:
    """The weight each update gives the old running value."""
    return 1.0 - momentum if CONVENTIONS[framework].weights_new else momentum


def from_old_weight(framework: str, weight: float) -> float:
    """The framework's rate parameter that gives the old running value ``weight`` (to 15 digits,
    so 1 − (1 − 0.1) reads 0.1)."""
    return float(f"{(1.0 - weight if CONVENTIONS[framework].weights_new else weight):.15g}")


def differences(source: str, target: str) -> tuple[str, ...]:
    """Catalog keys of what cannot be made equal between ``source`` and ``target`` settings."""
    a, b = CONVENTIONS[source], CONVENTIONS[target]
    keys = []
    if a.unbiased_var != b.unbiased_var:
        keys.append("practice.diff.bessel")
    if a.scale_factor != b.scale_factor:
        keys.append("practice.diff.scale_factor")
    elif (a.initial_mean, a.initial_var) != (b.initial_mean, b.initial_var):
        keys.append("practice.diff.initial")
    if target == "keras" and source != "keras":
        keys.append("practice.diff.keras_fused")
    return tuple(keys)


@dataclass(frozen=True)
class Equivalent:
    """``framework``'s settings equivalent to the source's: momentum, eps, and the keys of what differs."""

    framework: str
    parameter: str
    momentum: float
    eps: float
    differences: tuple[str, ...]


def convert(from_: str, momentum: float, eps: float) -> list[Equivalent]:
    """For one framework's (momentum, ε), each framework's equivalent (the source itself included)."""
    check(from_, momentum, eps)
    weight = old_weight(from_, momentum)
    return [Equivalent(fw, CONVENTIONS[fw].parameter, from_old_weight(fw, weight), float(eps), differences(from_, fw))
            for fw in FRAMEWORKS]


# ------------------------------------------------- running statistics, per framework --


@lru_cache(maxsize=1)
def _keras_update():
    """Keras's update is cs231n's rule (old·momentum + batch·(1 − momentum), biased σ²_B), written once
    in ``bnviz.ops.update_rules``; only its initial values (0, 1) and defaults differ."""
    r = running_ops.RUN_SYM
    rules = running_ops.update_rules()["cs231n"]
    return sp.lambdify([r["mean"], r["var"], r["mu_b"], r["var_b"], r["momentum"]], [rules["mean"], rules["var"]],
                       modules="numpy")


def running(framework: str, batches: np.ndarray, momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """Each framework's running mean and variance after each of K batches.

    batches: (K, m, D). Returns (K, D) means and variances (the estimates used at test time).
    PyTorch, cs231n and Caffe use ``bnviz.ops.running_stats``; Keras the cs231n rule from (0, 1).
    """
    c = check(framework, momentum, 0.0)
    batches = np.asarray(batches, dtype=float)
    means, vars_, m = batches.mean(axis=1), batches.var(axis=1), batches.shape[1]
    if framework != "keras":
        trace = running_ops.running_stats(framework, means, vars_, m, momentum)
        return trace.mean, trace.var
    update = _keras_update()
    mean, var = np.full(means.shape[1], c.initial_mean), np.full(means.shape[1], c.initial_var)
    out_m, out_v = [], []
    for mu_b, var_b in zip(means, vars_, strict=True):
        mean, var = (np.asarray(v, dtype=float) for v in update(mean, var, mu_b, var_b, momentum))
        out_m.append(mean)
        out_v.append(var)
    return np.array(out_m), np.array(out_v)


def agreement(from_: str, momentum: float, batches: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """framework -> its running (means, variances) on ``batches`` (K, m, D) with the settings
    ``convert`` gives for ``from_``'s momentum: the means agree, the variances as ``differences`` says."""
    return {e.framework: running(e.framework, batches, e.momentum) for e in convert(from_, momentum, 0.0)}
