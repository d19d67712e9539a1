"""Central finite differences: a gradient oracle that needs nothing but the function's values.

Imports nothing from bnviz; receives a scalar function of arrays it perturbs in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

H = 1e-5
"""The default step: the truncation error O(h²) and the rounding error O(u/h) balance near it for O(1) data."""


def central_diff(f: Callable[[], float], arrays: Sequence[np.ndarray], h: float = H) -> list[np.ndarray]:
    """d f / d a for every entry of every array a in ``arrays``, each of a's shape: (f(a + h) − f(a − h)) / 2h.

    f: reads the arrays (changed in place, entry by entry, and restored) and returns a scalar.
    """
    out = []
    for a in arrays:
        g = np.zeros_like(a, dtype=float)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            up = f()
            a[idx] = old - h
            down = f()
            a[idx] = old
            g[idx] = (up - down) / (2 * h)
        out.append(g)
    return out
