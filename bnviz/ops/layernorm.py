"""LayerNorm on (N, D): each sample normalised over its D features, i.e. BN on xᵀ.

γ_i and β_i belong to feature i, so inside one sample they are per-element:
the BN graph with its last node rewritten (``LN_STRUCTURE``) and derived by
the same routine as BN (``ln_derivation``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz.graph import Graph
from bnviz.ops.bn import GRAD, STRUCTURE, SYM, XHAT, BNDerivation, all_backward_forms, batchnorm_forward, derive_bn, i
from bnviz.symbolic import symbols as S

Array = np.ndarray

LN_SYM = {**SYM, "gamma": S.vector("gamma_v", r"\gamma"), "beta": S.vector("beta_v", r"\beta")}
LN_GRAD = {**GRAD, "gamma": S.grad_symbol("gamma_v", LN_SYM["gamma"]),
           "beta": S.grad_symbol("beta_v", LN_SYM["beta"])}

LN_STRUCTURE = Graph(tuple(
    replace(n, sym=sp.Add(LN_SYM["gamma"][i] * XHAT[i], LN_SYM["beta"][i], evaluate=False)) if n.name == "y" else n
    for n in STRUCTURE.nodes
))


@lru_cache(maxsize=1)
def ln_derivation() -> BNDerivation:
    """LayerNorm's derivation for one sample (count m; rename it D to display), cached."""
    return derive_bn(LN_STRUCTURE.nodes, LN_SYM, LN_GRAD, per_element=True)


def layernorm_forward(x: Array, gamma: Array, beta: Array, eps: float) -> tuple[Array, tuple]:
    """cs231n's layernorm_forward: x (N, D), gamma and beta (D,). Returns (out, cache)."""
    out, cache = batchnorm_forward(x.T, np.asarray(gamma)[:, None], np.asarray(beta)[:, None], eps)
    return out.T, cache


def layernorm_backward_forms(x: Array, gamma: Array, beta: Array, dout: Array,
                             eps: float) -> dict[str, tuple[Array, Array, Array]]:
    """The three backward forms of BN applied to xᵀ (LayerNorm), γ and β per row.

    x, dout: (N, D); gamma, beta: (D,). Returns dx (N, D), dgamma, dbeta (D,) per form.
    """
    forms = all_backward_forms(x.T, np.asarray(gamma)[:, None], np.asarray(beta)[:, None], dout.T, eps)
    xhat = layernorm_forward(x, gamma, beta, eps)[1][0].T
    dgamma, dbeta = (dout * xhat).sum(axis=0), dout.sum(axis=0)
    return {k: (dx.T, dgamma, dbeta) for k, (dx, _, _) in forms.items()}
