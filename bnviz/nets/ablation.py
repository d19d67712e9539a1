"""A broken backward for the "switch a path off" experiment: BN's dx without one of its terms.

BN's backward splits into the three paths from x to the loss (the graph lesson's
labels, :data:`bnviz.ops.bn.PATHS`): dx = via x̂ + via σ² + via μ. The μ path
carries ∂L/∂μ, itself two terms: the direct one and the one through σ²
(``mu_via_var``), which is exactly 0 because Σᵢ(xᵢ − μ) = 0 (here: zero up to
rounding, since Σᵢ(xᵢ − μ) is computed). Per feature, with m samples,
r = 1/√(σ²+ε) and g = γ·∂L/∂y:

* ``xhat``:       g · r
* ``var``:        ∂L/∂σ² · 2(x − μ)/m, with ∂L/∂σ² = −(r²/2) Σ g x̂
* ``mu``:         ∂L/∂μ / m, with ∂L/∂μ = −r Σ g + ∂L/∂σ² · (−2/m) Σ(x − μ)
* ``mu_via_var``: the second term of ∂L/∂μ, / m

:func:`ablated_dx` is the true dx (cs231n's closed form) minus the removed term.
"""

from __future__ import annotations

import numpy as np

from bnviz.ops import layers

Array = np.ndarray

ABLATIONS = ("xhat", "var", "mu", "mu_via_var")
"""The terms that can be removed from every BN layer's backward."""


def path_terms(dout: Array, cache: tuple) -> dict[str, Array]:
    """Every term of BN's dx, from the forward cache (x̂, γ, r).

    dout: (m, D). Returns name -> (m, D) for each of :data:`ABLATIONS`;
    ``xhat + var + mu`` is dx (up to rounding).
    """
    xhat, gamma, inv_std = cache
    m = dout.shape[0]
    g = dout * gamma
    dvar = -0.5 * inv_std**2 * (g * xhat).sum(axis=0, keepdims=True)
    centred = xhat / inv_std  # x − μ
    mu_direct = -inv_std * g.sum(axis=0, keepdims=True)
    mu_via_var = dvar * (-2.0 / m) * centred.sum(axis=0, keepdims=True)
    ones = np.ones_like(g)
    return {
        "xhat": g * inv_std,
        "var": dvar * 2.0 * centred / m,
        "mu": ones * (mu_direct + mu_via_var) / m,
        "mu_via_var": ones * mu_via_var / m,
    }


def ablated_dx(dout: Array, cache: tuple, removed: str) -> tuple[Array, Array]:
    """(dx without the ``removed`` term, the true dx). dout: (m, D); both (m, D).

    The true dx is :func:`bnviz.ops.layers.batchnorm_backward`'s; the ablated one
    is exactly ``true − path_terms(dout, cache)[removed]``.
    """
    dx = layers.batchnorm_backward(dout, cache)[0]
    return dx - path_terms(dout, cache)[removed], dx
