"""Animated Plotly figures (plain dicts) of the conv lesson's dL/dX: the rotated filter sliding over
the zero-filled dL/dO (the full convolution), the scatter view, and the channel sums. Conventions
as in :mod:`bnviz.figures.conv`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bnviz import written as w
from bnviz.figures import canvas
from bnviz.i18n import t
from bnviz.numfmt import factor, fmt
from bnviz.ops.windows import DROPPED, kinds_2d

Array = np.ndarray


def dropped(p) -> Array:
    """(H + 2P, W + 2P): the padded cells in no window."""
    return kinds_2d(p.rows, p.cols) == DROPPED


def padded_x(cv: canvas.Canvas, p, c: int, x0: float, y0: float, title: str) -> None:
    """X[c] with its padding ring in grey."""
    pad = p.pad
    h, w = p.x.shape[2:]
    top = canvas.zmax(p.x)
    if pad:
        ring = np.ones((h + 2 * pad, w + 2 * pad), dtype=bool)
        ring[pad:pad + h, pad:pad + w] = False
        cv.flat(ring, x0, y0, canvas.ZERO_GREY, "0")
    cv.grid(p.x[0, c], x0 + pad, y0 + pad, top)
    if dropped(p).any():
        cv.marks(dropped(p), x0, y0, "×")
    cv.title(title, x0, y0, w + 2 * pad)


def _real_cells(p, f: int) -> Array:
    """Mask of dL/dO_pad[f]'s cells that hold a gradient (the rest are inserted or ring zeros)."""
    d = p.dout_pad[0, f]
    hh, ww, s = p.w.shape[2], p.w.shape[3], p.stride
    ho, wo = p.dout.shape[2:]
    real = np.zeros(d.shape, dtype=bool)
    real[hh - 1:hh - 1 + s * (ho - 1) + 1:s, ww - 1:ww - 1 + s * (wo - 1) + 1:s] = True
    return real


def _pad_grid(cv: canvas.Canvas, p, f: int, x0: float, y0: float, top: float) -> None:
    """dL/dO_pad[f]: the gradients, and the zeros (inserted and around) in grey."""
    real = _real_cells(p, f)
    cv.flat(~real, x0, y0, canvas.ZERO_GREY, "0")
    cv.grid(np.where(real, p.dout_pad[0, f], np.nan), x0, y0, top)


def _crop_and_finish(cv: canvas.Canvas, p, dx: Array, c: int, traces: tuple[int, int, int, float],
                     frames: list[dict], texts: list[str], latex: list[str], lang: str, name: str) -> canvas.Animation:
    """The animation of dL/dX_pad[c] filling up (``frames``: each frame's updates, ``texts`` / ``latex``:
    its caption), then, with padding, one more frame: the border cropped, leaving dL/dX[c] = ``dx`` (H, W).
    ``traces``: the dL/dX_pad grid, the window and cell outlines, and the grid's x position."""
    g_out, g_win, g_cell, xo = traces
    pad = p.pad
    if pad:
        hp, wp = dx.shape[0] + 2 * pad, dx.shape[1] + 2 * pad
        texts.append(t("page.conv.cap.crop", lang, p=pad))
        latex.append(w.equals(w.d(f"X_{{{c + 1}}}"), w.matrix(dx)))
        inner = np.full((hp, wp), np.nan)
        inner[pad:hp - pad, pad:wp - pad] = dx
        frames.append({g_out: {"z": canvas.z_list(inner)}, g_win: {"x": [], "y": []},
                       g_cell: canvas.rects([(xo, 0, pad, pad, *dx.shape)])})
    g_cap = cv.caption(canvas.caption_lines(texts))
    for frame, text in zip(frames, texts, strict=True):
        frame[g_cap] = {"text": [text]}
    return canvas.finish(cv, frames, latex, lang, name)


@lru_cache(maxsize=32)
def slide_animation(p, c: int, lang: str, width: int = canvas.WIDTH) -> canvas.Animation:
    """F_rot sliding over every zero-filled dL/dO[f]; dL/dX_pad[c] filling; then the crop."""
    sh = p.shape
    hh, ww, pad = sh["HH"], sh["WW"], p.pad
    hp, wp = sh["H"] + 2 * pad, sh["W"] + 2 * pad
    hdp, wdp = p.dout_pad.shape[2:]
    cv = canvas.Canvas(width)
    ys = canvas.stack_y(sh["F"], hdp)
    xd = ww + canvas.GAP
    xo = xd + wdp + canvas.GAP
    zd = canvas.zmax(p.dout)
    real = [_real_cells(p, f) for f in range(sh["F"])]
    for f in range(sh["F"]):
        cv.grid(p.w_rot[f, c], 0, ys[f], canvas.zmax(p.w))
        cv.title(t("page.conv.panel.rot", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        _pad_grid(cv, p, f, xd, ys[f], zd)
        cv.title(t("page.conv.panel.dout_dil", lang, f=f + 1), xd, ys[f], wdp)
    cv.flat(np.ones((hp, wp), dtype=bool), xo, 0, canvas.SLOT_GREY)
    g_out = cv.grid(np.full((hp, wp), np.nan), xo, 0, canvas.zmax(p.dxp[0, c]))
    if dropped(p).any():
        cv.marks(dropped(p), xo, 0, "×")
    cv.title(t("page.conv.panel.dxpad", lang, c=c + 1), xo, 0, wp)
    g_win = cv.lines(canvas.WINDOW)
    g_cell = cv.lines(canvas.CELL)
    texts, latex = [], []
    for k in range(hp * wp):
        r, q = divmod(k, wp)
        pairs = [(p.w_rot[f, c, a, b], p.dout_pad[0, f, r + a, q + b]) for f in range(sh["F"]) for a in range(hh)
                 for b in range(ww) if real[f][r + a, q + b]]
        total = p.dxp[0, c, r, q]
        lhs = w.d_entry(f"X^{{pad}}_{{{c + 1},{r + 1},{q + 1}}}", f"X_pad[{r + 1},{q + 1}]")
        if pairs:
            texts.append(w.sum_caption(lhs, w.products(pairs), total))
            latex.append(w.sum_equation(lhs, w.products(pairs), total))
        else:
            texts.append(f"{w.caption(w.chain(lhs, w.number(0)))} ({t('page.conv.cap.only_zeros', lang)})")
            latex.append(w.equals(lhs, w.number(0)))
    frames = []
    for k in range(hp * wp):
        r, q = divmod(k, wp)
        frames.append({
            g_out: {"z": canvas.z_list(canvas.reveal(p.dxp[0, c], k + 1))},
            g_win: canvas.rects([(xd, ys[f], r, q, hh, ww) for f in range(sh["F"])]),
            g_cell: canvas.rects([(xo, 0, r, q, 1, 1)]),
        })
    return _crop_and_finish(cv, p, p.dx[0, c], c, (g_out, g_win, g_cell, xo), frames, texts, latex, lang, "slide")


@lru_cache(maxsize=32)
def scatter_animation(p, c: int, lang: str, width: int = canvas.WIDTH) -> canvas.Animation:
    """Every dL/dO cell spreading dL/dO × F over its input window; dL/dX_pad[c] accumulating."""
    sh = p.shape
    hh, ww, pad, s, ho, wo = sh["HH"], sh["WW"], p.pad, p.stride, sh["Ho"], sh["Wo"]
    hp, wp = sh["H"] + 2 * pad, sh["W"] + 2 * pad
    cv = canvas.Canvas(width)
    ys = canvas.stack_y(sh["F"], max(hh, ho))
    xd = ww + canvas.GAP
    xo = xd + wo + canvas.GAP
    for f in range(sh["F"]):
        cv.grid(p.w[f, c], 0, ys[f], canvas.zmax(p.w))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        cv.grid(p.dout[0, f], xd, ys[f], canvas.zmax(p.dout))
        cv.title(t("page.conv.panel.dout", lang, f=f + 1), xd, ys[f], wo)
    cv.flat(np.ones((hp, wp), dtype=bool), xo, 0, canvas.SLOT_GREY)
    g_out = cv.grid(np.zeros((hp, wp)), xo, 0, canvas.zmax(p.dxp_scatter[0, c]))
    if dropped(p).any():
        cv.marks(dropped(p), xo, 0, "×")
    cv.title(t("page.conv.panel.dxpad", lang, c=c + 1), xo, 0, wp)
    g_win = cv.lines(canvas.WINDOW)
    g_cell = cv.lines(canvas.CELL)
    texts, latex, states = [], [], []
    acc = np.zeros((hp, wp))
    for i in range(ho):
        for j in range(wo):
            add = sum(p.dout[0, f, i, j] * p.w[f, c] for f in range(sh["F"]))
            acc = acc.copy()
            acc[s * i:s * i + hh, s * j:s * j + ww] += add
            states.append(acc)
            head = t("page.conv.cap.scatter", lang, i=i + 1, j=j + 1, r0=s * i + 1, r1=s * i + hh, c0=s * j + 1,
                     c1=s * j + ww)
            terms = " + ".join(t("page.conv.cap.scatter_term", lang, d=factor(p.dout[0, f, i, j]), f=f + 1, c=c + 1)
                               for f in range(sh["F"]))
            texts.append(f"{head}<br>{terms}")
            spread = w.add([w.scaled(p.dout[0, f, i, j], p.w[f, c]) for f in range(sh["F"])])
            latex.append(w.equals(w.name(rf"\Delta X^{{pad}}_{{{s * i + 1}:{s * i + hh},\,{s * j + 1}:{s * j + ww}}}"),
                                  spread))
    frames = []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        frames.append({
            g_out: {"z": canvas.z_list(states[k])},
            g_win: canvas.rects([(xo, 0, s * i, s * j, hh, ww)]),
            g_cell: canvas.rects([(xd, ys[f], i, j, 1, 1) for f in range(sh["F"])]),
        })
    return _crop_and_finish(cv, p, p.dx_scatter[0, c], c, (g_out, g_win, g_cell, xo), frames, texts, latex, lang,
                            "scatter")


@lru_cache(maxsize=32)
def channel_sum_animation(p, which: str, index: int, lang: str, width: int = canvas.WIDTH // 2) -> canvas.Animation:
    """The channel sum added up part by part: ``which`` "out" (O[f] = Σ_c … + b, f = index)
    or "dx" (∂L/∂X[c] = Σ_f …, c = index)."""
    sh = p.shape
    if which == "out":
        parts = [p.out_by_c[0, index, c] for c in range(sh["C"])]
        titles = [t("page.conv.panel.part_out", lang, c=c + 1) for c in range(sh["C"])]
        adds = [t("page.conv.cap.channel_add", lang, c=c + 1) for c in range(sh["C"])]
        total, bias = p.out[0, index], p.b[index]
        head = t("page.conv.panel.sum_out", lang, f=index + 1, b=fmt(bias))
        lhs = w.name(f"O_{{{index + 1}}}")
    else:
        parts = [p.dx_by_f[0, f, index] for f in range(sh["F"])]
        titles = [t("page.conv.panel.part_dx", lang, f=f + 1) for f in range(sh["F"])]
        adds = [t("page.conv.cap.output_add", lang, f=f + 1) for f in range(sh["F"])]
        total, bias = p.dx[0, index], None
        head = t("page.conv.panel.sum_dx", lang, c=index + 1)
        lhs = w.d(f"X_{{{index + 1}}}")
    rows, cols = total.shape
    cv = canvas.Canvas(width)
    ys = canvas.stack_y(len(parts), rows)
    top = canvas.zmax(total, *parts)
    for k, part in enumerate(parts):
        cv.grid(part, 0, ys[k], top)
        cv.title(titles[k], 0, ys[k], cols)
    xo = cols + 2 * canvas.GAP
    g_out = cv.grid(np.zeros((rows, cols)), xo, 0, top)
    cv.title(head, xo, 0, cols)
    g_win = cv.lines(canvas.WINDOW)
    g_cap = cv.caption(1)
    updates, latex = [], []
    acc = np.zeros((rows, cols))
    for k, part in enumerate(parts):
        acc = acc + part
        updates.append({g_out: {"z": canvas.z_list(acc)}, g_win: canvas.rects([(0, ys[k], 0, 0, rows, cols)]),
                        g_cap: {"text": [adds[k]]}})
        latex.append(w.equals(lhs, w.broadcast_sum(parts[:k + 1]), w.matrix(acc)))
    if bias is not None:
        updates.append({g_out: {"z": canvas.z_list(total)}, g_win: canvas.rects([(xo, 0, 0, 0, rows, cols)]),
                        g_cap: {"text": [t("page.conv.cap.channel_bias", lang, b=fmt(bias))]}})
        latex.append(w.equals(lhs, w.broadcast_sum(parts, bias), w.matrix(total)))
    return canvas.finish(cv, updates, latex, lang, f"channels_{which}", 1400)


