"""An array-valued computation graph, in the spirit of micrograd's engine.

Every node is plain data: a name, the names of its inputs, an :class:`Op`
(NumPy forward and local backward, side by side) and a SymPy expression of one
output element in terms of its inputs (see :mod:`bnviz.symbolic`).

``Graph.forward`` evaluates the nodes in order. ``Graph.backward`` walks them
in reverse and records

* the total gradient of every node (``grads``),
* the contribution of every edge (``edges[(child, parent)]``), and
* the gradient of every node split by *path*: a node may carry a ``path``
  label; gradient leaving a labelled node is tagged with that label, and a
  later (closer to the inputs) labelled node re-tags it. So the gradient
  arriving at an input is split by the last labelled node it passed through,
  e.g. ``dx = via x̂ + via σ² + via μ`` in batch normalisation. Because every
  local backward is linear in the upstream gradient, the parts add up to the
  total exactly (up to floating-point rounding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray


def _unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    axes = tuple(a for a, n in enumerate(shape) if n == 1 and grad.shape[a] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


# --------------------------------------------------------------------------
# Operations: forward and local backward side by side.
# backward(dout, inputs, out) returns one gradient per input, each shaped as
# that input.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """Base class: a differentiable operation on NumPy arrays."""

    def forward(self, *inputs: Array) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout: Array, inputs: Sequence[Array], out: Array) -> tuple[Array, ...]:
        raise NotImplementedError  # pragma: no cover - abstract


@dataclass(frozen=True)
class Mean(Op):
    """out = mean(a) over ``axes`` (kept as size-1 axes).  a: (..., m, ...)."""

    axes: tuple[int, ...]

    def forward(self, a: Array) -> Array:
        return a.mean(axis=self.axes, keepdims=True)

    def backward(self, dout, inputs, out):
        (a,) = inputs
        count = a.size // out.size
        return (np.broadcast_to(dout / count, a.shape).copy(),)


@dataclass(frozen=True)
class MeanSquare(Op):
    """out = mean(a²) over ``axes``: the biased variance of centred data."""

    axes: tuple[int, ...]

    def forward(self, a: Array) -> Array:
        return (a * a).mean(axis=self.axes, keepdims=True)

    def backward(self, dout, inputs, out):
        (a,) = inputs
        count = a.size // out.size
        return (dout * 2.0 * a / count,)


@dataclass(frozen=True)
class Sub(Op):
    """out = a − b, with b broadcast against a."""

    def forward(self, a: Array, b: Array) -> Array:
        return a - b

    def backward(self, dout, inputs, out):
        a, b = inputs
        return _unbroadcast(dout, a.shape), -_unbroadcast(dout, b.shape)


@dataclass(frozen=True)
class SqrtPlus(Op):
    """out = √(a + eps)."""

    eps: float

    def forward(self, a: Array) -> Array:
        return np.sqrt(a + self.eps)

    def backward(self, dout, inputs, out):
        return (dout / (2.0 * out),)


@dataclass(frozen=True)
class Div(Op):
    """out = a / b, with b broadcast against a."""

    def forward(self, a: Array, b: Array) -> Array:
        return a / b

    def backward(self, dout, inputs, out):
        a, b = inputs
        return _unbroadcast(dout / b, a.shape), _unbroadcast(-dout * a / (b * b), b.shape)


@dataclass(frozen=True)
class ScaleShift(Op):
    """out = γ·a + β, with γ and β broadcast against a."""

    def forward(self, a: Array, gamma: Array, beta: Array) -> Array:
        return gamma * a + beta

    def backward(self, dout, inputs, out):
        a, gamma, beta = inputs
        return (
            _unbroadcast(dout * gamma, a.shape),
            _unbroadcast(dout * a, gamma.shape),
            _unbroadcast(dout, beta.shape),
        )


@dataclass(frozen=True)
class Dot(Op):
    """out = Σ w·a: the scalar surrogate loss whose gradient w.r.t. ``a`` is ``w``."""

    def forward(self, a: Array, w: Array) -> Array:
        return np.asarray((w * a).sum())

    def backward(self, dout, inputs, out):
        a, w = inputs
        return dout * w, dout * a


# --------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One node of the graph.

    name:   how the node is referred to (``"mu"``, ``"var"``, ...)
    op:     its NumPy forward and local backward
    inputs: names of the nodes or leaves it reads
    sym:    SymPy expression of one output element in terms of the inputs'
            symbols (``bnviz.symbolic.SYMBOLS``); ``None`` if not shown
    path:   label given to gradient leaving this node (see module docstring)
    """

    name: str
    op: Op
    inputs: tuple[str, ...]
    sym: Any = None
    path: str | None = None


@dataclass
class Backward:
    """What ``Graph.backward`` records.

    grads: total gradient of every node and leaf, shaped like its value
    edges: ``edges[(child, parent)]`` = the part of ``grads[parent]`` that
           came through that edge
    paths: ``paths[name][label]`` = the part of ``grads[name]`` whose last
           labelled node was ``label`` (unlabelled gradient under ``None``)
    """

    grads: dict[str, Array] = field(default_factory=dict)
    edges: dict[tuple[str, str], Array] = field(default_factory=dict)
    paths: dict[str, dict[str | None, Array]] = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order; leaves are the names no node defines."""

    nodes: tuple[Node, ...]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @property
    def edges(self) -> list[tuple[str, str]]:
        """(child, parent) pairs: gradient flows from child to parent."""
        return [(n.name, p) for n in self.nodes for p in n.inputs]

    def forward(self, leaves: Mapping[str, Array]) -> dict[str, Array]:
        """Evaluate every node; returns leaves and node values by name."""
        values: dict[str, Array] = dict(leaves)
        for n in self.nodes:
            values[n.name] = n.op.forward(*(values[p] for p in n.inputs))
        return values

    def backward(self, values: Mapping[str, Array], output: str | None = None) -> Backward:
        """Back-propagate d(output)/d(output) = 1 through the graph."""
        output = output or self.nodes[-1].name
        rec = Backward()
        seed = np.ones_like(values[output])
        rec.grads[output] = seed
        rec.paths[output] = {None: seed}
        for n in reversed(self.nodes):
            if n.name not in rec.grads:
                continue
            ins = [values[p] for p in n.inputs]
            total = n.op.backward(rec.grads[n.name], ins, values[n.name])
            parts = {n.path: rec.grads[n.name]} if n.path else rec.paths[n.name]
            by_label = {lab: n.op.backward(g, ins, values[n.name]) for lab, g in parts.items()}
            for idx, p in enumerate(n.inputs):
                edge = (n.name, p)  # a node may read the same input twice: accumulate
                rec.edges[edge] = rec.edges[edge] + total[idx] if edge in rec.edges else total[idx]
                rec.grads[p] = rec.grads[p] + total[idx] if p in rec.grads else total[idx]
                dest = rec.paths.setdefault(p, {})
                for lab, gs in by_label.items():
                    dest[lab] = dest[lab] + gs[idx] if lab in dest else gs[idx]
        return rec
