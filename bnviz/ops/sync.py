"""Batch norm over several (simulated) devices: per-device BN, synchronized BN, GroupNorm.

The batch x (M, D) is split into k equal consecutive slices along axis 0,
one per device (n = M/k samples each).

* per-device BN: each device runs the one BN graph (``bnviz.ops.bn_run``)
  on its own slice: its own μ, σ², and a gradient that only knows its slice;
* synchronized BN: each device sends two numbers per feature, Σx and Σx²,
  to an all-reduce (a sum over devices); everyone then has
  μ = Σx/M and σ² = Σx²/M − μ². In the backward each device all-reduces
  Σ∂L/∂x̂ and Σ∂L/∂x̂·x̂ (plus Σ∂L/∂y·x̂ and Σ∂L/∂y for ∂L/∂γ and ∂L/∂β),
  and computes its own rows of
  ∂L/∂x = (∂L/∂x̂ − Σ∂L/∂x̂/M − x̂·Σ(∂L/∂x̂·x̂)/M)/√(σ²+ε):
  the x̂ path stays local, the μ and σ² paths carry the all-reduced sums.
  The result equals BN on the whole batch on one device;
* GroupNorm normalises each sample on its own, so the split changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bnviz.i18n import InputError
from bnviz.ops import bn as bn_ops
from bnviz.ops import family

Array = np.ndarray

MAX_DEVICES = 8


def check_devices(m: int, k: int) -> int:
    """k in 1..8 dividing m; InputError otherwise."""
    k = int(k)
    if not 1 <= k <= MAX_DEVICES:
        raise InputError("error.sync.devices", k=k, hi=MAX_DEVICES)
    if m % k:
        raise InputError("error.sync.split", m=m, k=k)
    return k


@lru_cache(maxsize=8)
def _graph(eps: float):
    """The one BN graph (``bnviz.ops.bn_graph``), built once per ε: building it costs ~10 ms of SymPy."""
    return bn_ops.bn_graph(eps)


def bn_columns(x: Array, gamma: Array, beta: Array, dout: Array, eps: float) -> bn_ops.BNResult:
    """``bnviz.ops.bn_run`` (statistics over axis 0 of x (m, S)) through the cached graph."""
    g = _graph(float(eps))
    leaves = {"x": np.asarray(x, dtype=float), "gamma": np.asarray(gamma, dtype=float),
              "beta": np.asarray(beta, dtype=float), "dout": np.asarray(dout, dtype=float)}
    values = g.forward(leaves)
    return bn_ops.BNResult(values, g.backward(values), float(eps))


def split(a: Array, k: int) -> list[Array]:
    """k equal consecutive slices of a along axis 0: a (M, ...) -> k arrays (M/k, ...)."""
    check_devices(a.shape[0], k)
    return np.split(np.asarray(a, dtype=float), k, axis=0)


@dataclass(frozen=True)
class DeviceBN:
    """Per-device BN of one slice: mean, var (D,); dx (n, D); the graph's run."""

    mean: Array
    var: Array
    dx: Array
    run: bn_ops.BNResult


def per_device(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, k: int) -> list[DeviceBN]:
    """Each device's own BN on its slice. x, dout: (M, D); gamma, beta: (D,).

    The k slices are run side by side as the columns of one (n, k·D) matrix (BN's statistics are
    per column), so the graph runs once; ``run`` of each device is that run's column block.
    """
    xs, ds = split(x, k), split(dout, k)
    d = x.shape[1]
    g = np.broadcast_to(np.asarray(gamma, dtype=float), (d,))
    b = np.broadcast_to(np.asarray(beta, dtype=float), (d,))
    run = bn_columns(np.hstack(xs), np.tile(g, k), np.tile(b, k), np.hstack(ds), eps)
    mu, var, dx = run.values["mu"][0], run.values["var"][0], run.dx
    return [DeviceBN(mu[n * d:(n + 1) * d], var[n * d:(n + 1) * d], dx[:, n * d:(n + 1) * d], run)
            for n in range(k)]


@dataclass(frozen=True)
class SyncBN:
    """Synchronized BN across k devices.

    sums:      per device, what it sends to each all-reduce: "x", "x2" (forward),
               "dxhat", "dxhat_xhat", "dout", "dout_xhat" (backward); each (k, D)
    reduced:   the all-reduced sums, each (D,)
    mean, var: the global statistics (D,); std = √(var + ε)
    xhat, y:   (M, D), each device's rows in the original order
    dx:        (M, D); paths: its parts "xhat" (local), "var", "mu" (from reduced sums)
    dgamma, dbeta: (D,)
    """

    k: int
    sums: dict[str, Array]
    reduced: dict[str, Array]
    mean: Array
    var: Array
    std: Array
    xhat: Array
    y: Array
    dx: Array
    paths: dict[str, Array]
    dgamma: Array
    dbeta: Array


def all_reduce(parts: list[Array]) -> Array:
    """Sum over devices (what every device holds after the all-reduce)."""
    return np.sum(parts, axis=0)


def sync_bn(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, k: int) -> SyncBN:
    """SyncBN forward and backward, simulated device by device. x, dout: (M, D); gamma, beta: (D,)."""
    xs, ds = split(x, k), split(dout, k)
    total = x.shape[0]
    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)
    sums: dict[str, list[Array]] = {key: [] for key in ("x", "x2", "dxhat", "dxhat_xhat", "dout", "dout_xhat")}
    for xd in xs:  # forward: local sums
        sums["x"].append(xd.sum(axis=0))
        sums["x2"].append((xd * xd).sum(axis=0))
    mean = all_reduce(sums["x"]) / total
    var = all_reduce(sums["x2"]) / total - mean**2
    var = np.maximum(var, 0.0)  # rounding can leave a tiny negative for a constant feature
    std = np.sqrt(var + eps)
    xhats = [(xd - mean) / std for xd in xs]
    dxhats = [dd * gamma for dd in ds]
    for xh, dd, dxh in zip(xhats, ds, dxhats, strict=True):  # backward: local sums
        sums["dxhat"].append(dxh.sum(axis=0))
        sums["dxhat_xhat"].append((dxh * xh).sum(axis=0))
        sums["dout"].append(dd.sum(axis=0))
        sums["dout_xhat"].append((dd * xh).sum(axis=0))
    reduced = {key: all_reduce(v) for key, v in sums.items() if key not in ("x", "x2")}
    reduced = {"x": all_reduce(sums["x"]), "x2": all_reduce(sums["x2"]), **reduced}
    p_xhat = [dxh / std for dxh in dxhats]
    p_mu = [np.broadcast_to(-reduced["dxhat"] / (total * std), dxh.shape) for dxh in dxhats]
    p_var = [-xh * reduced["dxhat_xhat"] / (total * std) for xh in xhats]
    paths = {"xhat": np.concatenate(p_xhat), "var": np.concatenate(p_var), "mu": np.concatenate(p_mu)}
    dx = paths["xhat"] + paths["var"] + paths["mu"]
    xhat = np.concatenate(xhats)
    return SyncBN(k, {key: np.array(v) for key, v in sums.items()}, reduced, mean, var, std, xhat,
                  gamma * xhat + beta, dx, paths, reduced["dout_xhat"], reduced["dout"])


@dataclass(frozen=True)
class GroupNormRun:
    """GroupNorm of each sample (groups of D/G features): y, dx (M, D); the same on any split."""

    groups: int
    y: Array
    dx: Array
    device_dx: list[Array]


def group_norm(x: Array, gamma: Array, beta: Array, dout: Array, eps: float, groups: int, k: int) -> GroupNormRun:
    """GroupNorm on the whole batch and on each device's slice (x, dout (M, D); gamma, beta (D,)).

    Both through the one BN graph on GroupNorm's sets (``bnviz.ops.layout``): the whole batch's
    sets in one run, the devices' sets side by side in another.
    """
    def gn(parts_x: list[Array], parts_d: list[Array]) -> list[Array]:
        lays = [family.layout(p.shape, "group", groups) for p in parts_x]
        cols = [lay.sets for lay in lays]
        g = [lay.to_sets(lay.per_channel(family.check_params(gamma, beta, lay.channels)[0])) for lay in lays]
        b = [lay.to_sets(lay.per_channel(family.check_params(gamma, beta, lay.channels)[1])) for lay in lays]
        run = bn_columns(np.hstack([lay.to_sets(p) for lay, p in zip(lays, parts_x, strict=True)]), np.hstack(g),
                         np.hstack(b), np.hstack([lay.to_sets(p) for lay, p in zip(lays, parts_d, strict=True)]), eps)
        edges = np.cumsum([0, *cols])
        y, dx = run.values["y"], run.dx
        return [(lay.from_sets(y[:, a:e]), lay.from_sets(dx[:, a:e]))
                for lay, a, e in zip(lays, edges[:-1], edges[1:], strict=True)]

    (y, dx), = gn([np.asarray(x, dtype=float)], [np.asarray(dout, dtype=float)])
    devices = gn(split(x, k), split(dout, k))
    return GroupNormRun(groups, y, dx, [d for _, d in devices])


def estimate_spread(x: Array, sizes: tuple[int, ...]) -> dict[str, Array]:
    """How per-device statistics scatter for each device count in ``sizes`` (each dividing M).

    Returns "devices" (len(sizes),), "per_device" n = M/k, and per count, averaged over
    features: "mean_dev" the mean |μ_device − μ| and "var_ratio" the mean of σ²_device/σ²
    (below 1: a small slice's biased variance is too small on average, E = (n−1)/n).
    """
    x = np.asarray(x, dtype=float)
    mu, var = x.mean(axis=0), x.var(axis=0)
    safe = np.where(var > 0, var, 1.0)
    mean_dev, var_ratio = [], []
    for k in sizes:
        parts = split(x, k)
        mean_dev.append(float(np.mean([np.abs(p.mean(axis=0) - mu) for p in parts])))
        var_ratio.append(float(np.mean([p.var(axis=0) / safe for p in parts])))
    return {"devices": np.array(sizes, dtype=float), "per_device": x.shape[0] / np.array(sizes, dtype=float),
            "mean_dev": np.array(mean_dev), "var_ratio": np.array(var_ratio)}


def divisors(m: int, hi: int = MAX_DEVICES) -> tuple[int, ...]:
    """Device counts 1..hi that split m samples evenly."""
    return tuple(k for k in range(1, hi + 1) if m % k == 0)
