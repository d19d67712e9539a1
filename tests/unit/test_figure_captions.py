"""The conv and pool figures' frame captions and LaTeX lines (printed from SymPy expressions by
bnviz.written / symbolic.printing.text) against strings written out here by hand for small fixed arrays.

X (1, 1, 3, 3), F (1, 1, 2, 2), b = −0.5, dL/dO (1, 1, 2, 2), stride 1, no padding; the sums below
are worked out by hand: O[1,1] = 1·1 + (−1)·2 + 0.5·(−1) + 2·3 − 0.5 = 4, and so on.
"""

from __future__ import annotations

import numpy as np

from bnviz.figures import conv as conv_fig
from bnviz.figures import conv_dx
from bnviz.figures import pool as pool_fig
from bnviz.lessons import conv_problem, pool_problem

X = np.array([[[[1.0, 2.0, 0.0], [-1.0, 3.0, 1.0], [0.0, 2.0, -2.0]]]])
W = np.array([[[[1.0, -1.0], [0.5, 2.0]]]])
B = np.array([-0.5])
DOUT = np.array([[[[1.0, -2.0], [0.25, 1.0]]]])


def _captions(anim) -> list[str]:
    """Each frame's caption (the last trace is the caption)."""
    cap = len(anim.data) - 1
    return [u[cap]["text"][0] for u in anim.updates]


def _problem():
    return conv_problem.make_problem(X, W, B, DOUT, 1, 0)


def test_forward_frame() -> None:
    anim = conv_fig.forward_animation(_problem(), 0, "en")
    assert _captions(anim)[0] == "O[1,1] = 1×1 + (−1)×2 + 0.5×(−1) + 2×3 + b (−0.5) = 4"
    assert anim.latex[0] == (r"O_{1,1,1} = 1 \cdot 1 + \left(-1\right) \cdot 2 + 0.5 \cdot \left(-1\right)"
                             r" + 2 \cdot 3 + \underbrace{\left(-0.5\right)}_{b} = 4")
    # O[2,2] = 1·3 + (−1)·1 + 0.5·2 + 2·(−2) − 0.5 = −1.5
    assert _captions(anim)[3] == "O[2,2] = 1×3 + (−1)×1 + 0.5×2 + 2×(−2) + b (−0.5) = −1.5"


def test_dw_frame() -> None:
    anim = conv_fig.dw_animation(_problem(), 0, 0, "en")
    # ∂L/∂F[1,1] = Σ_ij X[i,j]·dO[i,j] = 1·1 + 2·(−2) + (−1)·0.25 + 3·1 = −0.25
    assert _captions(anim)[0] == "∂L/∂F[1,1] = 1×1 + 2×(−2) + (−1)×0.25 + 3×1 = −0.25"
    assert anim.latex[0] == (r"\frac{\partial L}{\partial F_{1,1,1,1}} = 1 \cdot 1 + 2 \cdot \left(-2\right)"
                             r" + \left(-1\right) \cdot 0.25 + 3 \cdot 1 = -0.25")


def test_slide_frame() -> None:
    anim = conv_dx.slide_animation(_problem(), 0, "en")
    # X_pad[1,1] is under F_rot's last cell (F[1,1] = 1) at dO[1,1] = 1 only
    assert _captions(anim)[0] == "∂L/∂X_pad[1,1] = 1×1 = 1"
    # X_pad[2,2]: F_rot = [[2, 0.5], [−1, 1]] over dO = [[1, −2], [0.25, 1]]: 2 − 1 − 0.25 + 1 = 1.75
    assert _captions(anim)[4] == "∂L/∂X_pad[2,2] = 2×1 + 0.5×(−2) + (−1)×0.25 + 1×1 = 1.75"
    assert anim.latex[4] == (r"\frac{\partial L}{\partial X^{pad}_{1,2,2}} = 2 \cdot 1 + 0.5 \cdot \left(-2\right)"
                             r" + \left(-1\right) \cdot 0.25 + 1 \cdot 1 = 1.75")


def test_long_sum_breaks_every_six_terms() -> None:
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    p = conv_problem.make_problem(x, w, np.zeros(1), np.ones((1, 1, 2, 2)), 1, 0)
    terms = " + ".join(f"1×{v}" for v in (1, 2, 3, 5, 6, 7))
    rest = " + ".join(f"1×{v}" for v in (9, 10, 11))
    assert _captions(conv_fig.forward_animation(p, 0, "en"))[0] == f"O[1,1] = {terms}<br>+ {rest} + b 0 = 54"


def test_pool_frames() -> None:
    x = np.array([[[[1.0, -2.0], [0.5, 3.0]]]])
    pp = pool_problem.make_problem(x, np.array([[[[-1.0]]]]), 2, 2, "max")
    assert _captions(pool_fig.pool_animation(pp, "max", False, "en")) == ["O[1,1] = max(1, −2, 0.5, 3) = 3"]
    assert pool_fig.pool_animation(pp, "max", False, "en").latex == [
        r"O_{11} = \max\left(1, -2, 0.5, 3\right) = 3"]
    assert _captions(pool_fig.pool_animation(pp, "avg", False, "en")) == ["O[1,1] = (1 + (−2) + 0.5 + 3)/4 = 0.625"]
    assert pool_fig.pool_animation(pp, "max", True, "en").latex == [
        r"\frac{\partial L}{\partial x_{22}} = 0 - 1 = -1"]
    assert pool_fig.pool_animation(pp, "avg", True, "en").latex == [
        r"\frac{\partial L}{\partial x_{1:2,\,1:2}} \mathrel{+}= - \frac{1}{4} = -0.25"]
