"""Animated Plotly figures (plain dicts) of the conv lesson, drawn on :class:`bnviz.figures.canvas.Canvas`:
the forward pass, dL/dF, the filter turned by 180° and dL/dO dilated and padded (the figures of
dL/dX itself, the full convolution, the scatter and the channel sums: :mod:`bnviz.figures.conv_dx`).

Arrays are those of :class:`bnviz.lessons.conv_problem.ConvProblem`, sample n = 0. Builders are
cached on (problem, channel, language); problems hash by identity. Cells of the padded
input in no window (PyTorch rounds the output size down) carry a ×.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bnviz import written as w
from bnviz.figures import canvas
from bnviz.figures.conv_dx import channel_sum_animation, padded_x, scatter_animation, slide_animation
from bnviz.i18n import t
from bnviz.numfmt import fmt

Array = np.ndarray


@lru_cache(maxsize=32)
def forward_animation(p, f: int, lang: str) -> canvas.Animation:
    """The window sliding over every input channel of X; O[f] filling cell by cell."""
    sh = p.shape
    c_n, hp, wp, hh, ww, s = sh["C"], sh["H"] + 2 * p.pad, sh["W"] + 2 * p.pad, sh["HH"], sh["WW"], p.stride
    ho, wo = sh["Ho"], sh["Wo"]
    cv = canvas.Canvas()
    ys = canvas.stack_y(c_n, max(hp, hh))
    xw = wp + canvas.GAP
    xo = xw + ww + canvas.GAP
    for c in range(c_n):
        padded_x(cv, p, c, 0, ys[c], t("page.conv.panel.xpad_c", lang, c=c + 1))
        cv.grid(p.w[f, c], xw, ys[c], canvas.zmax(p.w))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), xw, ys[c], ww)
    cv.flat(np.ones((ho, wo), dtype=bool), xo, 0, canvas.SLOT_GREY)
    g_out = cv.grid(np.full((ho, wo), np.nan), xo, 0, canvas.zmax(p.out[0, f]))
    cv.title(t("page.conv.panel.out", lang, f=f + 1), xo, 0, wo)
    g_win = cv.lines(canvas.WINDOW)
    g_cell = cv.lines(canvas.CELL)
    texts, latex = [], []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        pairs = [(p.w[f, c, a, b], p.xp[0, c, s * i + a, s * j + b]) for c in range(c_n) for a in range(hh)
                 for b in range(ww)]
        total = p.out[0, f, i, j]
        lhs = w.entry(f"O_{{{f + 1},{i + 1},{j + 1}}}", f"O[{i + 1},{j + 1}]")
        terms = [*w.products(pairs), w.Labelled(w.number(p.b[f]), "b")]
        texts.append(w.sum_caption(lhs, terms, total))
        latex.append(w.sum_equation(lhs, terms, total))
    g_cap = cv.caption(canvas.caption_lines(texts))
    updates = []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        updates.append({
            g_out: {"z": canvas.z_list(canvas.reveal(p.out[0, f], k + 1))},
            g_win: canvas.rects([(0, ys[c], s * i, s * j, hh, ww) for c in range(c_n)]),
            g_cell: canvas.rects([(xo, 0, i, j, 1, 1)]),
            g_cap: {"text": [texts[k]]},
        })
    return canvas.finish(cv, updates, latex, lang, "forward")


def _dilated(p, f: int) -> tuple[Array, Array]:
    """dL/dO[f] with zeros inserted (NaN where a zero was inserted) and the mask of those zeros."""
    d = p.dout_dil[0, f].copy()
    mask = np.ones_like(d, dtype=bool)
    mask[::p.stride, ::p.stride] = False
    d[mask] = np.nan
    return d, mask


@lru_cache(maxsize=32)
def dw_animation(p, f: int, c: int, lang: str) -> canvas.Animation:
    """dL/dF[f, c] cell by cell: the (dilated) dL/dO sliding over the padded X[c]."""
    sh = p.shape
    wp, hh, ww, s = sh["W"] + 2 * p.pad, sh["HH"], sh["WW"], p.stride
    ho, wo = sh["Ho"], sh["Wo"]
    d, mask = _dilated(p, f)
    hd, wd = d.shape
    cv = canvas.Canvas()
    padded_x(cv, p, c, 0, 0, t("page.conv.panel.xpad_c", lang, c=c + 1))
    xd = wp + canvas.GAP
    if mask.any():
        cv.flat(mask, xd, 0, canvas.ZERO_GREY, "0")
    cv.grid(d, xd, 0, canvas.zmax(p.dout))
    cv.title(t("page.conv.panel.dout_dil" if s > 1 else "page.conv.panel.dout", lang, f=f + 1), xd, 0, wd)
    xf = xd + wd + canvas.GAP
    cv.flat(np.ones((hh, ww), dtype=bool), xf, 0, canvas.SLOT_GREY)
    g_dw = cv.grid(np.full((hh, ww), np.nan), xf, 0, canvas.zmax(p.dw[f, c]))
    cv.title(t("page.conv.panel.dw", lang, f=f + 1, c=c + 1), xf, 0, ww)
    g_win = cv.lines(canvas.WINDOW)
    g_cell = cv.lines(canvas.CELL)
    g_dots = cv.lines(canvas.MARK, 2.5)
    texts, latex = [], []
    for k in range(hh * ww):
        u, v = divmod(k, ww)
        pairs = [(p.xp[0, c, s * i + u, s * j + v], p.dout[0, f, i, j]) for i in range(ho) for j in range(wo)]
        total = p.dw[f, c, u, v]
        lhs = w.d_entry(f"F_{{{f + 1},{c + 1},{u + 1},{v + 1}}}", f"F[{u + 1},{v + 1}]")
        texts.append(w.sum_caption(lhs, w.products(pairs), total))
        latex.append(w.sum_equation(lhs, w.products(pairs), total))
    g_cap = cv.caption(canvas.caption_lines(texts))
    updates = []
    for k in range(hh * ww):
        u, v = divmod(k, ww)
        dots = [(s * i + u, s * j + v) for i in range(ho) for j in range(wo)]
        updates.append({
            g_dw: {"z": canvas.z_list(canvas.reveal(p.dw[f, c], k + 1))},
            g_win: canvas.rects([(0, 0, u, v, hd, wd)]),
            g_cell: canvas.rects([(xf, 0, u, v, 1, 1)]),
            g_dots: canvas.rects([(0, 0, a, b, 1, 1) for a, b in dots], 0.14) if s > 1 else {"x": [], "y": []},
            g_cap: {"text": [texts[k]]},
        })
    return canvas.finish(cv, updates, latex, lang, "dw")


def _index_text(m: Array, names: list[list[str]]) -> list[list[str]]:
    return [[f"{fmt(m[r, s])}<br><span style='font-size:9px'>{names[r][s]}</span>" for s in range(m.shape[1])]
            for r in range(m.shape[0])]


@lru_cache(maxsize=32)
def rotate_animation(p, c: int, lang: str) -> canvas.Animation:
    """F[f, c] for every f: as used, flipped upside down, then left to right (= turned 180°)."""
    sh = p.shape
    hh, ww = sh["HH"], sh["WW"]
    cv = canvas.Canvas()
    ys = canvas.stack_y(sh["F"], hh)
    names = [[f"F{a + 1}{b + 1}" for b in range(ww)] for a in range(hh)]
    top = canvas.zmax(p.w)
    grids = []
    xr = ww + 2 * canvas.GAP
    for f in range(sh["F"]):
        cv.grid(p.w[f, c], 0, ys[f], top, text=_index_text(p.w[f, c], names))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        grids.append(cv.grid(p.w[f, c], xr, ys[f], top, text=_index_text(p.w[f, c], names)))
        cv.title(t("page.conv.panel.w_flipped", lang, f=f + 1, c=c + 1), xr, ys[f], ww)
    stages = [(lambda m: m), (lambda m: m[::-1, :]), (lambda m: m[::-1, ::-1])]
    caps = [t("page.conv.cap.flip0", lang), t("page.conv.cap.flip1", lang), t("page.conv.cap.flip2", lang)]
    g_cap = cv.caption(1)
    idx = np.array(names, dtype=object)
    updates, latex = [], []
    for stage, cap, name in zip(stages, caps, ("F", "F^{flip}", "F^{rot}"), strict=True):
        u = {g_cap: {"text": [cap]}}
        for f, g in enumerate(grids):
            m = stage(p.w[f, c])
            u[g] = {"z": canvas.z_list(m), "text": _index_text(m, stage(idx).tolist())}
        updates.append(u)
        latex.append(w.equals(w.name(f"{name}_{{1,{c + 1}}}"), w.matrix(stage(p.w[0, c]))))
    return canvas.finish(cv, updates, latex, lang, "rotate", 1500)


@lru_cache(maxsize=32)
def dilate_animation(p, lang: str) -> canvas.Animation:
    """dL/dO[f] for every f: as it arrives, zeros inserted (stride > 1), rings of zeros around."""
    sh = p.shape
    hh, s, ho, wo = sh["HH"], p.stride, sh["Ho"], sh["Wo"]
    hdp, wdp = p.dout_pad.shape[2:]
    hd, wd = p.dout_dil.shape[2:]
    cv = canvas.Canvas()
    ys = canvas.stack_y(sh["F"], hdp)
    xr = wo + 2 * canvas.GAP
    top = canvas.zmax(p.dout)
    cells, zeros = [], []
    for f in range(sh["F"]):
        cv.grid(p.dout[0, f], 0, ys[f] + (hdp - ho) / 2, top)
        cv.title(t("page.conv.panel.dout", lang, f=f + 1), 0, ys[f] + (hdp - ho) / 2, wo)
        cv.flat(np.ones((hdp, wdp), dtype=bool), xr, ys[f], canvas.SLOT_GREY)
        zeros.append(cv.flat(np.zeros((hdp, wdp), dtype=bool), xr, ys[f], canvas.ZERO_GREY, "0"))
        cells.append(cv.grid(np.full((hdp, wdp), np.nan), xr, ys[f], top))
        cv.title(t("page.conv.panel.dout_dil", lang, f=f + 1), xr, ys[f], wdp)
    stages = ["dil0"] + (["dil1"] if s > 1 else []) + ["dil2"]
    names = {"dil0": "dO_{1}", "dil1": "dO^{dil}_{1}", "dil2": "dO^{pad}_{1}"}
    g_cap = cv.caption(1)
    updates, latex = [], []
    for stage in stages:
        u = {g_cap: {"text": [t(f"page.conv.cap.{stage}", lang, s=s, s1=s - 1, h1=hh - 1)]}}
        for f in range(sh["F"]):
            z = np.full((hdp, wdp), np.nan)
            zero = np.zeros((hdp, wdp), dtype=bool)
            if stage == "dil0":
                r0, c0 = (hdp - ho) // 2, (wdp - wo) // 2
                z[r0:r0 + ho, c0:c0 + wo] = p.dout[0, f]
            else:
                r0, c0 = (hdp - hd) // 2, (wdp - wd) // 2
                z[r0:r0 + hd:s, c0:c0 + wd:s] = p.dout[0, f]
                zero[r0:r0 + hd, c0:c0 + wd] = True
                zero[r0:r0 + hd:s, c0:c0 + wd:s] = False
                if stage == "dil2":
                    zero[:, :] = True
                    zero[r0:r0 + hd:s, c0:c0 + wd:s] = False
            u[cells[f]] = {"z": canvas.z_list(z)}
            if f == 0:
                shown = {"dil0": p.dout, "dil1": p.dout_dil, "dil2": p.dout_pad}[stage][0, 0]
            u[zeros[f]] = {"z": canvas.z_list(np.where(zero, 0.0, np.nan))}
        updates.append(u)
        latex.append(w.equals(w.name(names[stage]), w.matrix(shown)))
    return canvas.finish(cv, updates, latex, lang, "dilate", 1600)


def conv_step_animations(p, step: str, f: int, c: int, lang: str) -> tuple[canvas.Animation, ...]:
    """The animation(s) a conv step shows; ``f``, ``c`` the channels picked on the page."""
    if step == "forward":
        return (forward_animation(p, f, lang),)
    if step == "dw":
        return (dw_animation(p, f, c, lang),)
    if step == "rotate":
        return (rotate_animation(p, c, lang),)
    if step == "dilate":
        return (dilate_animation(p, lang),)
    if step == "slide":
        return (slide_animation(p, c, lang),)
    if step == "scatter":  # the scatter view, and beside it the full convolution: the same numbers
        return scatter_animation(p, c, lang), slide_animation(p, c, lang)
    if step == "channels":
        return channel_sum_animation(p, "out", f, lang), channel_sum_animation(p, "dx", c, lang)
    raise KeyError(step)


