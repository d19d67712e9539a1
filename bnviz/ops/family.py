"""The normalization family: BN per feature, conv BN per channel, LayerNorm, InstanceNorm, GroupNorm.

Every member is batch norm on a rearranged matrix: the tensor's cells are
grouped into normalisation *sets* (a feature over the batch, a channel over
N·H·W, a sample, a (sample, channel), a (sample, group)); arranged as the
columns of an (m, S) matrix they are normalised by the very same graph
(:func:`bnviz.ops.bn.bn_graph`, statistics over axis 0), so the formulas are
BN's with m counting the cells of one set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnviz.i18n import InputError
from bnviz.ops.bn import BNResult, bn_run

Array = np.ndarray

KINDS = ("feature", "batch", "layer", "instance", "group")
"""Which cells are averaged together, for x of shape (N, C) or (N, C, H, W):

feature:  BN of fully connected layers: every (c, h, w) over the batch N
batch:    per channel c over everything else (N, or N·H·W): BatchNorm1d/2d
layer:    per sample n over (C, H, W)
instance: per (n, c) over (H, W); needs a 4-D tensor
group:    per (n, group of C/G channels) over (C/G, H, W)
"""

RANKS = (2, 4)
"""Tensor ranks accepted: (N, C) and (N, C, H, W)."""


def reduce_axes(kind: str, ndim: int) -> tuple[int, ...]:
    """The axes of an ``ndim``-D tensor that ``kind`` averages over (not "group")."""
    return {
        "feature": (0,),
        "batch": (0, *range(2, ndim)),
        "layer": tuple(range(1, ndim)),
        "instance": tuple(range(2, ndim)),
    }[kind]


@dataclass(frozen=True)
class Layout:
    """How a tensor's normalisation sets map onto the columns of BN's (m, S) matrix.

    shape:  the tensor's shape, (N, C) or (N, C, H, W); channels on axis 1
    kind:   one of KINDS; groups: G for "group" (1 otherwise)
    work:   the tensor reshaped so the sets are whole axes ((N, G, C/G, H, W) for group)
    reduce: axes of ``work`` averaged over; the others index the sets
    """

    shape: tuple[int, ...]
    kind: str
    groups: int
    work: tuple[int, ...]
    reduce: tuple[int, ...]

    @property
    def keep(self) -> tuple[int, ...]:
        return tuple(a for a in range(len(self.work)) if a not in self.reduce)

    @property
    def perm(self) -> tuple[int, ...]:
        return self.reduce + self.keep

    @property
    def m(self) -> int:
        """Cells per set: the m of the formulas."""
        return int(np.prod([self.work[a] for a in self.reduce], dtype=int))

    @property
    def sets(self) -> int:
        """Number of sets S (columns of the matrix)."""
        return int(np.prod([self.work[a] for a in self.keep], dtype=int))

    @property
    def channels(self) -> int:
        return self.shape[1]

    def to_sets(self, a: Array) -> Array:
        """x-shaped array -> (m, S): column s holds the m cells of set s."""
        return np.asarray(a).reshape(self.work).transpose(self.perm).reshape(self.m, self.sets)

    def from_sets(self, a: Array) -> Array:
        """(m, S) -> x-shaped array (the inverse of ``to_sets``)."""
        shaped = np.asarray(a).reshape([self.work[k] for k in self.perm])
        return shaped.transpose(np.argsort(self.perm)).reshape(self.shape)

    def per_channel(self, v: Array) -> Array:
        """A (C,) vector broadcast to x's shape (one value per channel)."""
        v = np.asarray(v, dtype=float)
        return np.broadcast_to(v.reshape((1, -1) + (1,) * (len(self.shape) - 2)), self.shape)

    def channel_sum(self, a: Array) -> Array:
        """x-shaped array summed over every axis but the channel axis -> (C,)."""
        return np.asarray(a).sum(axis=tuple(k for k in range(len(self.shape)) if k != 1))

    def set_index(self) -> Array:
        """An int array of x's shape: the set (column) each cell belongs to."""
        return self.from_sets(np.broadcast_to(np.arange(self.sets), (self.m, self.sets)))


def layout(shape: tuple[int, ...], kind: str, groups: int = 1) -> Layout:
    """The Layout of ``kind`` on a tensor of ``shape``. Raises InputError for a
    rank other than 2 or 4, instance norm on a 2-D tensor, or groups that do
    not divide C."""
    shape = tuple(int(n) for n in shape)
    if len(shape) not in RANKS:
        raise InputError("error.norms.rank", shape=str(shape))
    if kind not in KINDS:
        raise InputError("error.norms.kind", kind=kind)
    if kind == "instance" and len(shape) < 3:
        raise InputError("error.norms.instance_rank", shape=str(shape))
    if kind == "group":
        c = shape[1]
        if groups < 1 or groups > c or c % groups:
            raise InputError("error.norms.groups", groups=groups, c=c)
        work = (shape[0], groups, c // groups, *shape[2:])
        return Layout(shape, kind, groups, work, tuple(range(2, len(work))))
    return Layout(shape, kind, 1, shape, reduce_axes(kind, len(shape)))


@dataclass(frozen=True)
class NormRun:
    """A family member run through the BN graph on its (m, S) matrix.

    layout: how x's cells map to sets; bn: the graph's values and backward on
    the (m, S) matrix (γ and β enter as full (m, S) arrays, one value per cell).
    """

    layout: Layout
    bn: BNResult

    def full(self, name: str, grad: bool = False) -> Array:
        """A per-cell node (x, xc, xhat, y, dout) or its gradient, in x's shape."""
        a = self.bn.back.grads[name] if grad else self.bn.values[name]
        return self.layout.from_sets(np.broadcast_to(a, (self.layout.m, self.layout.sets)))

    def stat(self, name: str, grad: bool = False) -> Array:
        """A per-set statistic (mu, var, std) or its gradient: (S,)."""
        a = self.bn.back.grads[name] if grad else self.bn.values[name]
        return np.asarray(a).reshape(-1)

    @property
    def y(self) -> Array:
        return self.full("y")

    @property
    def dx(self) -> Array:
        return self.full("x", grad=True)

    @property
    def dgamma(self) -> Array:
        """(C,): γ is one value per channel, shared by every cell of that channel."""
        return self.layout.channel_sum(self.full("gamma", grad=True))

    @property
    def dbeta(self) -> Array:
        return self.layout.channel_sum(self.full("beta", grad=True))

    def path(self, label: str) -> Array:
        """The part of dx through ``label`` ("xhat", "var", "mu"), in x's shape."""
        return self.layout.from_sets(self.bn.path(label))


def check_params(gamma: Array, beta: Array, c: int) -> tuple[Array, Array]:
    """γ and β as (C,) float arrays (a scalar is used for every channel)."""
    out = []
    for name, v in (("gamma", gamma), ("beta", beta)):
        v = np.asarray(v, dtype=float).reshape(-1)
        if v.size == 1:
            v = np.full(c, float(v[0]))
        if v.shape != (c,):
            raise InputError("error.param_len", name=name, n=v.size, d=c)
        out.append(v)
    return out[0], out[1]


def norm_run(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, kind: str = "batch",
             groups: int = 1) -> NormRun:
    """Forward and staged backward of a family member.

    x, dout: (N, C) or (N, C, H, W); gamma, beta: (C,) (one per channel or
    feature) or scalars. kind: one of KINDS.
    """
    x = np.asarray(x, dtype=float)
    lay = layout(x.shape, kind, groups)
    g, b = check_params(gamma, beta, lay.channels)
    to = lay.to_sets
    run = bn_run(to(x), to(lay.per_channel(g)), to(lay.per_channel(b)), to(dout), eps)
    return NormRun(lay, run)



def batch_statistics(batches: Array, kind: str = "batch") -> tuple[Array, Array, int]:
    """Per-set mean and biased variance of each of K batches.

    batches: (K, N, C) or (K, N, C, H, W). Returns means (K, S), vars (K, S), m.
    """
    lay = layout(batches.shape[1:], kind)
    sets = np.stack([lay.to_sets(b) for b in batches])
    return sets.mean(axis=1), sets.var(axis=1), lay.m
