"""The optimizers: Adam (cs231n's update, the operation order of ``torch.optim.Adam``) and SGD.

Both update a flat float64 parameter vector in place (:class:`Flat`): one step is a handful of
NumPy operations whatever the depth of the network.
"""

from __future__ import annotations

import numpy as np

from bnviz.nets.model import NetConfig

Array = np.ndarray


class Adam:
    """cs231n's Adam, written in the operation order of ``torch.optim.Adam`` (default settings).

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)

    ``step`` updates an array in place with its gradient (the same shape);
    :func:`train` passes all parameters as one flat vector, so an update is a
    handful of NumPy operations whatever the depth of the network.
    """

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: Array | None = None
        self.v: Array | None = None

    def step(self, w: Array, g: Array) -> None:
        """Update ``w`` in place."""
        if self.m is None:
            self.m, self.v = np.zeros_like(w), np.zeros_like(w)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        m, v = self.m, self.v
        m += (1.0 - b1) * (g - m)
        v *= b2
        v += (1.0 - b2) * g * g
        denom = np.sqrt(v)
        denom /= np.sqrt(1.0 - b2 ** self.t)
        denom += self.eps
        w -= (self.lr / (1.0 - b1 ** self.t)) * m / denom


class SGD:
    """w ← w − lr·g (in place)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, w: Array, g: Array) -> None:
        w -= self.lr * g


class Flat:
    """All parameters in one float64 vector; ``params[name]`` are views into it.

    ``gather(grads)`` lays gradients out in the same order, so one optimizer
    step updates every parameter at once.
    """

    def __init__(self, params: dict[str, Array]) -> None:
        self.names = list(params)
        self.vector = np.concatenate([params[k].ravel() for k in self.names])
        self.params: dict[str, Array] = {}
        offset = 0
        for k in self.names:
            size = params[k].size
            self.params[k] = self.vector[offset:offset + size].reshape(params[k].shape)
            offset += size

    def gather(self, grads: dict[str, Array]) -> Array:
        return np.concatenate([grads[k].ravel() for k in self.names])


def optimizer(cfg: NetConfig) -> Adam | SGD:
    return Adam(cfg.lr) if cfg.optimizer == "adam" else SGD(cfg.lr)
