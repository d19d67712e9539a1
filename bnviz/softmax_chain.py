"""The softmax head above a BN layer, as numbers: BN → ReLU → affine → softmax loss.

The data layer's "from a softmax loss" upstream gradient (``bnviz.data``) and
the upstream lesson (``bnviz.lessons.upstream``) both read it from here, so
the data layer depends on no lesson. Shapes in each docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnviz.ops import layers

Array = np.ndarray

CLASSES = 3
"""Default number of classes C."""
WEIGHT_SCALE = 1.0
"""Default std of the affine layer's weights W (D, C)."""

def affine_inputs(d: int, seed: int, classes: int = CLASSES, weight_scale: float = WEIGHT_SCALE,
                  m: int | None = None) -> tuple[Array, Array, Array | None]:
    """W (d, C) from ``default_rng(seed + 2)``, b = 0 (C,), labels (m,) from ``default_rng(seed + 3)``."""
    w = weight_scale * np.random.default_rng(seed + 2).standard_normal((d, classes))
    labels = None if m is None else np.random.default_rng(seed + 3).integers(0, classes, m)
    return w, np.zeros(classes), labels


@dataclass(frozen=True)
class Chain:
    """Every value of the chain for one batch. Shapes: x, y, a, dout, da, dx (m, D); s, p, onehot,
    dscores (m, C); W, dW (D, C); b, db (C,); gamma, beta, dgamma, dbeta (D,); L scalar."""

    values: dict[str, Array]


def run_chain(x: Array, gamma: Array, beta: Array, eps: float, w: Array, b: Array, labels: Array) -> Chain:
    """Forward and backward through BN → ReLU → affine → softmax loss with the layers' own code."""
    y, bn_cache = layers.batchnorm_forward(x, gamma, beta, eps)
    a, relu_cache = layers.relu_forward(y)
    s, aff_cache = layers.affine_forward(a, w, b)
    loss, dscores = layers.softmax_loss(s, labels)
    da, dw, db = layers.affine_backward(dscores, aff_cache)
    dout = layers.relu_backward(da, relu_cache)
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, bn_cache)
    return Chain({
        "x": x, "gamma": gamma, "beta": beta, "y": y, "a": a, "W": w, "b": b, "s": s,
        "p": layers.softmax(s), "onehot": layers.onehot(labels, w.shape[1]), "L": np.asarray(loss),
        "dscores": dscores, "dW": dw, "db": db, "da": da, "dout": dout, "dx": dx, "dgamma": dgamma,
        "dbeta": dbeta,
    })


def softmax_dout(x: Array, gamma: Array, beta: Array, eps: float, seed: int, classes: int = CLASSES,
                 weight_scale: float = WEIGHT_SCALE) -> Array:
    """∂L/∂y for a batch x (m, D) when a ReLU, an affine layer and a softmax loss follow the BN layer.

    The graph page's "from a softmax loss" upstream gradient: the same numbers as this lesson's
    step "backward.relu" for the same sidebar settings (W and labels drawn from ``seed``).
    gamma, beta: (D,). Returns (m, D).
    """
    x = np.asarray(x, dtype=float)
    w, b, labels = affine_inputs(x.shape[1], seed, classes, weight_scale, x.shape[0])
    return run_chain(x, np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float), eps, w, b,
                     labels).values["dout"]


def softmax_dout_code(classes: int = CLASSES, weight_scale: float = WEIGHT_SCALE) -> str:
    """NumPy statements that compute :func:`softmax_dout` as ``dout`` from ``x, gamma, beta, eps, seed, m, d``
    (for a notebook's setup when the graph page's upstream gradient comes from a softmax loss)."""
    return "\n".join([
        f"W_up = {weight_scale!r} * np.random.default_rng(seed + 2).standard_normal((d, {classes}))",
        f"labels_up = np.random.default_rng(seed + 3).integers(0, {classes}, m)",
        "y_up = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta",
        "s_up = np.maximum(y_up, 0) @ W_up",
        "p_up = np.exp(s_up - s_up.max(axis=1, keepdims=True))",
        "p_up /= p_up.sum(axis=1, keepdims=True)",
        f"dout = ((p_up - np.eye({classes})[labels_up]) / m) @ W_up.T * (y_up > 0)",
    ])
