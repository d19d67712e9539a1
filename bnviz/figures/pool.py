"""Animated Plotly figures (plain dicts) of the pool lesson, drawn on :class:`bnviz.figures.canvas.Canvas`.

Arrays are those of :class:`bnviz.lessons.pool_problem.PoolProblem`, sample 1, channel 1, in the drawn
grid (padded coordinates): padding cells are grey ("−∞" for max, "0" for the average), cells in
no window (PyTorch rounds down) carry a ×, and cells past the padding (ceil mode) are dotted.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bnviz import written as wr
from bnviz.figures import canvas
from bnviz.i18n import t
from bnviz.numfmt import fmt
from bnviz.ops.windows import DROPPED, OVERHANG, PAD
from bnviz.symbolic import printing as P

Array = np.ndarray


def _cells(cv: canvas.Canvas, kinds: Array, x0: float, y0: float, kind: str) -> None:
    """The non-input cells of a drawn grid: padding grey (−∞ or 0), overhang dotted, dropped ×."""
    cv.flat(kinds == PAD, x0, y0, canvas.ZERO_GREY, "−∞" if kind == "max" else "0")
    if (kinds == OVERHANG).any():
        cv.flat(kinds == OVERHANG, x0, y0, canvas.SLOT_GREY, "·")
    if (kinds == DROPPED).any():
        cv.marks(kinds == DROPPED, x0, y0, "×")


@lru_cache(maxsize=32)
def pool_animation(pp, kind: str, backward: bool, lang: str, width: int = canvas.WIDTH) -> canvas.Animation:
    """Max or average pooling window by window (sample 1, channel 1).

    Forward: the window on X, O filling, the arg-max outlined in purple (other tied maxima dotted grey).
    Backward: each dL/dO cell sent back, all of it to the arg-max (max) or dL/dO / D to every
    window cell (avg); ∂L/∂X accumulating below X (the padding's share is shown, then dropped).
    """
    k, s = pp.size, pp.stride
    grid = pp.grid
    kinds = pp.kinds
    real = np.isfinite(grid)  # the input's cells, those in no window included
    out, dx = (pp.out_max, pp.dx_max) if kind == "max" else (pp.out_avg, pp.dx_avg)
    out, dout = out[0, 0], pp.dout[0, 0]
    h, w = grid.shape
    ho, wo = out.shape
    cv = canvas.Canvas(width)
    xo = w + canvas.GAP
    yb = h + canvas.ROW_GAP
    _cells(cv, kinds, 0, 0, kind)
    cv.grid(np.where(real, grid, np.nan), 0, 0, canvas.zmax(pp.x[0, 0]))
    cv.title(t("page.pool.panel.x", lang), 0, 0, w)
    cv.flat(np.ones((ho, wo), dtype=bool), xo, 0, canvas.SLOT_GREY)
    g_out = cv.grid(out if backward else np.full(out.shape, np.nan), xo, 0, canvas.zmax(out))
    cv.title(t(f"page.pool.panel.out_{kind}", lang, k=k), xo, 0, wo)
    g_dx = None
    if backward:
        _cells(cv, kinds, 0, yb, kind)
        g_dx = cv.grid(np.where(real, 0.0, np.nan), 0, yb, canvas.zmax(dx))
        cv.title(t("page.pool.panel.dx", lang), 0, yb, w)
        cv.grid(dout, xo, yb, canvas.zmax(dout))
        cv.title(t("page.pool.panel.dout", lang), xo, yb, wo)
    g_win = cv.lines(canvas.WINDOW)
    g_cell = cv.lines(canvas.CELL)
    g_ties = cv.lines(canvas.TEXT_GREY, 2.5, "dot")
    g_argmax = cv.lines(canvas.MARK, 3)
    texts, latex, updates = [], [], []
    acc = np.where(real, 0.0, np.nan)
    hits = np.zeros((h, w), dtype=int)
    for n in range(ho * wo):
        i, j = divmod(n, wo)
        win = grid[s * i:s * i + k, s * j:s * j + k]
        vals_ = win[np.isfinite(win)]
        r, q = int(pp.rows[0, 0, i, j]), int(pp.cols[0, 0, i, j])
        top = np.nanmax(win)
        tied = [(s * i + int(a), s * j + int(b)) for a, b in np.argwhere(win == top)
                if (s * i + a, s * j + b) != (r, q)]
        div = int(pp.divisors[i, j])
        pooled = wr.WindowMax(*(wr.number(v) for v in vals_)) if kind == "max" else wr.average(vals_, div)
        line = wr.chain(wr.entry(f"O_{{{i + 1}{j + 1}}}", f"O[{i + 1},{j + 1}]"), pooled, wr.number(out[i, j]))
        fwd, lfwd = wr.caption(line), wr.tex(line)
        if kind == "max" and tied:
            fwd += "<br>" + t("page.pool.cap.tie", lang, r=r + 1 - pp.pad, q=q + 1 - pp.pad)
        u: dict[int, dict] = {
            g_win: canvas.rects([(0, 0, s * i, s * j, k, k)] + ([(0, yb, s * i, s * j, k, k)] if backward else [])),
            g_cell: canvas.rects([(xo, 0, i, j, 1, 1)] + ([(xo, yb, i, j, 1, 1)] if backward else [])),
        }
        stars = [(r, q)] if kind == "max" else []
        ties = tied if kind == "max" else []
        u[g_argmax] = canvas.rects([(0, 0, a, b, 1, 1) for a, b in stars]
                          + ([(0, yb, a, b, 1, 1) for a, b in stars] if backward else []), 0.14)
        u[g_ties] = canvas.rects([(0, 0, a, b, 1, 1) for a, b in ties], 0.14)
        if not backward:
            u[g_out] = {"z": canvas.z_list(canvas.reveal(out, n + 1))}
            texts.append(fwd)
            latex.append(lfwd)
        else:
            d = dout[i, j]
            before = acc.copy()
            acc = acc.copy()
            if kind == "max":
                acc[r, q] += d
                text = t("page.pool.cap.route", lang, i=i + 1, j=j + 1, d=fmt(d), r=r + 1 - pp.pad,
                         q=q + 1 - pp.pad)
                if hits[r, q]:
                    text += "<br>" + t("page.pool.cap.accumulate", lang, r=r + 1 - pp.pad, q=q + 1 - pp.pad,
                                       before=fmt(before[r, q]), after=fmt(acc[r, q]))
                hits[r, q] += 1
                ltext = wr.equals(wr.d(f"x_{{{r + 1 - pp.pad}{q + 1 - pp.pad}}}"),
                                 wr.add([wr.number(before[r, q]), wr.number(d)]), wr.number(acc[r, q]))
            else:
                share = d / div
                block = acc[s * i:s * i + k, s * j:s * j + k]
                block += np.where(np.isnan(block), np.nan, share)
                text = t("page.pool.cap.spread", lang, i=i + 1, j=j + 1, d=fmt(d), k2=div, share=fmt(share))
                if np.any(hits[s * i:s * i + k, s * j:s * j + k]):
                    text += "<br>" + t("page.pool.cap.overlap", lang)
                hits[s * i:s * i + k, s * j:s * j + k] += 1
                cells = wr.d(rf"x_{{{s * i + 1}:{s * i + k},\,{s * j + 1}:{s * j + k}}}")
                ltext = wr.tex(P.AddTo(cells, wr.chain(wr.average([d], div), wr.number(share))))
            u[g_dx] = {"z": canvas.z_list(acc)}
            texts.append(text)
            latex.append(ltext)
        updates.append(u)
    g_cap = cv.caption(canvas.caption_lines(texts))
    for u, text in zip(updates, texts, strict=True):
        u[g_cap] = {"text": [text]}
    return canvas.finish(cv, updates, latex, lang, f"pool_{kind}_{'backward' if backward else 'forward'}")


def pool_step_animations(pp, step: str, lang: str) -> tuple[canvas.Animation, ...]:
    """The animation(s) a pool step shows (compare: max and average side by side)."""
    if step == "forward":
        return (pool_animation(pp, pp.kind, False, lang),)
    if step == "backward":
        return (pool_animation(pp, pp.kind, True, lang),)
    if step == "compare":
        half = canvas.WIDTH // 2
        return pool_animation(pp, "max", True, lang, half), pool_animation(pp, "avg", True, lang, half)
    raise KeyError(step)
