"""Animated Plotly figures (plain dicts) of the conv lesson, drawn on :class:`bnviz.figures.canvas.Canvas`.

Arrays are those of :class:`bnviz.lessons.conv.ConvProblem`, sample n = 0. Builders are
cached on (problem, channel, language); problems hash by identity. Cells of the padded
input in no window (PyTorch rounds the output size down) carry a ×.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bnviz.figures.canvas import (
    CELL,
    GAP,
    MARK,
    SLOT_GREY,
    WIDTH,
    WINDOW,
    ZERO_GREY,
    Animation,
    Canvas,
    caption_lines,
    finish,
    rects,
    reveal,
    stack_y,
    z_list,
    zmax,
)
from bnviz.i18n import t
from bnviz.numfmt import equation, factor, fmt, lfactor, matrix_latex, sum_latex, sum_text
from bnviz.ops.windows import DROPPED, kinds_2d

Array = np.ndarray


def _dropped(p) -> Array:
    """(H + 2P, W + 2P): the padded cells in no window."""
    return kinds_2d(p.rows, p.cols) == DROPPED


def _padded_x(cv: Canvas, p, c: int, x0: float, y0: float, title: str) -> None:
    """X[c] with its padding ring in grey."""
    pad = p.pad
    h, w = p.x.shape[2:]
    top = zmax(p.x)
    if pad:
        ring = np.ones((h + 2 * pad, w + 2 * pad), dtype=bool)
        ring[pad:pad + h, pad:pad + w] = False
        cv.flat(ring, x0, y0, ZERO_GREY, "0")
    cv.grid(p.x[0, c], x0 + pad, y0 + pad, top)
    if _dropped(p).any():
        cv.marks(_dropped(p), x0, y0, "×")
    cv.title(title, x0, y0, w + 2 * pad)


@lru_cache(maxsize=32)
def forward_animation(p, f: int, lang: str) -> Animation:
    """The window sliding over every input channel of X; O[f] filling cell by cell."""
    sh = p.shape
    c_n, hp, wp, hh, ww, s = sh["C"], sh["H"] + 2 * p.pad, sh["W"] + 2 * p.pad, sh["HH"], sh["WW"], p.stride
    ho, wo = sh["Ho"], sh["Wo"]
    cv = Canvas()
    ys = stack_y(c_n, max(hp, hh))
    xw = wp + GAP
    xo = xw + ww + GAP
    for c in range(c_n):
        _padded_x(cv, p, c, 0, ys[c], t("page.conv.panel.xpad_c", lang, c=c + 1))
        cv.grid(p.w[f, c], xw, ys[c], zmax(p.w))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), xw, ys[c], ww)
    cv.flat(np.ones((ho, wo), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(np.full((ho, wo), np.nan), xo, 0, zmax(p.out[0, f]))
    cv.title(t("page.conv.panel.out", lang, f=f + 1), xo, 0, wo)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    texts, latex = [], []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        pairs = [(p.w[f, c, a, b], p.xp[0, c, s * i + a, s * j + b]) for c in range(c_n) for a in range(hh)
                 for b in range(ww)]
        total = p.out[0, f, i, j]
        texts.append(f"O[{i + 1},{j + 1}] = " + sum_text(pairs, [f"b {factor(p.b[f])}"]) + f" = {fmt(total)}")
        latex.append(equation(f"O_{{{f + 1},{i + 1},{j + 1}}}",
                              sum_latex(pairs, [rf"\underbrace{{{lfactor(p.b[f])}}}_{{b}}"]), total))
    g_cap = cv.caption(caption_lines(texts))
    updates = []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        updates.append({
            g_out: {"z": z_list(reveal(p.out[0, f], k + 1))},
            g_win: rects([(0, ys[c], s * i, s * j, hh, ww) for c in range(c_n)]),
            g_cell: rects([(xo, 0, i, j, 1, 1)]),
            g_cap: {"text": [texts[k]]},
        })
    return finish(cv, updates, latex, lang, "forward")


def _dilated(p, f: int) -> tuple[Array, Array]:
    """dL/dO[f] with zeros inserted (NaN where a zero was inserted) and the mask of those zeros."""
    d = p.dout_dil[0, f].copy()
    mask = np.ones_like(d, dtype=bool)
    mask[::p.stride, ::p.stride] = False
    d[mask] = np.nan
    return d, mask


@lru_cache(maxsize=32)
def dw_animation(p, f: int, c: int, lang: str) -> Animation:
    """dL/dF[f, c] cell by cell: the (dilated) dL/dO sliding over the padded X[c]."""
    sh = p.shape
    wp, hh, ww, s = sh["W"] + 2 * p.pad, sh["HH"], sh["WW"], p.stride
    ho, wo = sh["Ho"], sh["Wo"]
    d, mask = _dilated(p, f)
    hd, wd = d.shape
    cv = Canvas()
    _padded_x(cv, p, c, 0, 0, t("page.conv.panel.xpad_c", lang, c=c + 1))
    xd = wp + GAP
    if mask.any():
        cv.flat(mask, xd, 0, ZERO_GREY, "0")
    cv.grid(d, xd, 0, zmax(p.dout))
    cv.title(t("page.conv.panel.dout_dil" if s > 1 else "page.conv.panel.dout", lang, f=f + 1), xd, 0, wd)
    xf = xd + wd + GAP
    cv.flat(np.ones((hh, ww), dtype=bool), xf, 0, SLOT_GREY)
    g_dw = cv.grid(np.full((hh, ww), np.nan), xf, 0, zmax(p.dw[f, c]))
    cv.title(t("page.conv.panel.dw", lang, f=f + 1, c=c + 1), xf, 0, ww)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    g_dots = cv.lines(MARK, 2.5)
    texts, latex = [], []
    for k in range(hh * ww):
        u, v = divmod(k, ww)
        pairs = [(p.xp[0, c, s * i + u, s * j + v], p.dout[0, f, i, j]) for i in range(ho) for j in range(wo)]
        total = p.dw[f, c, u, v]
        texts.append(f"∂L/∂F[{u + 1},{v + 1}] = " + sum_text(pairs) + f" = {fmt(total)}")
        latex.append(equation(rf"\frac{{\partial L}}{{\partial F_{{{f + 1},{c + 1},{u + 1},{v + 1}}}}}",
                              sum_latex(pairs), total))
    g_cap = cv.caption(caption_lines(texts))
    updates = []
    for k in range(hh * ww):
        u, v = divmod(k, ww)
        dots = [(s * i + u, s * j + v) for i in range(ho) for j in range(wo)]
        updates.append({
            g_dw: {"z": z_list(reveal(p.dw[f, c], k + 1))},
            g_win: rects([(0, 0, u, v, hd, wd)]),
            g_cell: rects([(xf, 0, u, v, 1, 1)]),
            g_dots: rects([(0, 0, a, b, 1, 1) for a, b in dots], 0.14) if s > 1 else {"x": [], "y": []},
            g_cap: {"text": [texts[k]]},
        })
    return finish(cv, updates, latex, lang, "dw")


def _index_text(m: Array, names: list[list[str]]) -> list[list[str]]:
    return [[f"{fmt(m[r, s])}<br><span style='font-size:9px'>{names[r][s]}</span>" for s in range(m.shape[1])]
            for r in range(m.shape[0])]


@lru_cache(maxsize=32)
def rotate_animation(p, c: int, lang: str) -> Animation:
    """F[f, c] for every f: as used, flipped upside down, then left to right (= turned 180°)."""
    sh = p.shape
    hh, ww = sh["HH"], sh["WW"]
    cv = Canvas()
    ys = stack_y(sh["F"], hh)
    names = [[f"F{a + 1}{b + 1}" for b in range(ww)] for a in range(hh)]
    top = zmax(p.w)
    grids = []
    xr = ww + 2 * GAP
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
            u[g] = {"z": z_list(m), "text": _index_text(m, stage(idx).tolist())}
        updates.append(u)
        latex.append(f"{name}_{{1,{c + 1}}} = " + matrix_latex(stage(p.w[0, c])))
    return finish(cv, updates, latex, lang, "rotate", 1500)


@lru_cache(maxsize=32)
def dilate_animation(p, lang: str) -> Animation:
    """dL/dO[f] for every f: as it arrives, zeros inserted (stride > 1), rings of zeros around."""
    sh = p.shape
    hh, s, ho, wo = sh["HH"], p.stride, sh["Ho"], sh["Wo"]
    hdp, wdp = p.dout_pad.shape[2:]
    hd, wd = p.dout_dil.shape[2:]
    cv = Canvas()
    ys = stack_y(sh["F"], hdp)
    xr = wo + 2 * GAP
    top = zmax(p.dout)
    cells, zeros = [], []
    for f in range(sh["F"]):
        cv.grid(p.dout[0, f], 0, ys[f] + (hdp - ho) / 2, top)
        cv.title(t("page.conv.panel.dout", lang, f=f + 1), 0, ys[f] + (hdp - ho) / 2, wo)
        cv.flat(np.ones((hdp, wdp), dtype=bool), xr, ys[f], SLOT_GREY)
        zeros.append(cv.flat(np.zeros((hdp, wdp), dtype=bool), xr, ys[f], ZERO_GREY, "0"))
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
            u[cells[f]] = {"z": z_list(z)}
            if f == 0:
                shown = {"dil0": p.dout, "dil1": p.dout_dil, "dil2": p.dout_pad}[stage][0, 0]
            u[zeros[f]] = {"z": z_list(np.where(zero, 0.0, np.nan))}
        updates.append(u)
        latex.append(f"{names[stage]} = " + matrix_latex(shown))
    return finish(cv, updates, latex, lang, "dilate", 1600)


def _real_cells(p, f: int) -> Array:
    """Mask of dL/dO_pad[f]'s cells that hold a gradient (the rest are inserted or ring zeros)."""
    d = p.dout_pad[0, f]
    hh, ww, s = p.w.shape[2], p.w.shape[3], p.stride
    ho, wo = p.dout.shape[2:]
    real = np.zeros(d.shape, dtype=bool)
    real[hh - 1:hh - 1 + s * (ho - 1) + 1:s, ww - 1:ww - 1 + s * (wo - 1) + 1:s] = True
    return real


def _pad_grid(cv: Canvas, p, f: int, x0: float, y0: float, zmax: float) -> None:
    """dL/dO_pad[f]: the gradients, and the zeros (inserted and around) in grey."""
    real = _real_cells(p, f)
    cv.flat(~real, x0, y0, ZERO_GREY, "0")
    cv.grid(np.where(real, p.dout_pad[0, f], np.nan), x0, y0, zmax)


@lru_cache(maxsize=32)
def slide_animation(p, c: int, lang: str, width: int = WIDTH) -> Animation:
    """F_rot sliding over every zero-filled dL/dO[f]; dL/dX_pad[c] filling; then the crop."""
    sh = p.shape
    hh, ww, pad = sh["HH"], sh["WW"], p.pad
    hp, wp = sh["H"] + 2 * pad, sh["W"] + 2 * pad
    hdp, wdp = p.dout_pad.shape[2:]
    cv = Canvas(width)
    ys = stack_y(sh["F"], hdp)
    xd = ww + GAP
    xo = xd + wdp + GAP
    zd = zmax(p.dout)
    real = [_real_cells(p, f) for f in range(sh["F"])]
    for f in range(sh["F"]):
        cv.grid(p.w_rot[f, c], 0, ys[f], zmax(p.w))
        cv.title(t("page.conv.panel.rot", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        _pad_grid(cv, p, f, xd, ys[f], zd)
        cv.title(t("page.conv.panel.dout_dil", lang, f=f + 1), xd, ys[f], wdp)
    cv.flat(np.ones((hp, wp), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(np.full((hp, wp), np.nan), xo, 0, zmax(p.dxp[0, c]))
    if _dropped(p).any():
        cv.marks(_dropped(p), xo, 0, "×")
    cv.title(t("page.conv.panel.dxpad", lang, c=c + 1), xo, 0, wp)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
    texts, latex = [], []
    for k in range(hp * wp):
        r, q = divmod(k, wp)
        pairs = [(p.w_rot[f, c, a, b], p.dout_pad[0, f, r + a, q + b]) for f in range(sh["F"]) for a in range(hh)
                 for b in range(ww) if real[f][r + a, q + b]]
        total = p.dxp[0, c, r, q]
        lhs = f"∂L/∂X_pad[{r + 1},{q + 1}] = "
        llhs = rf"\frac{{\partial L}}{{\partial X^{{pad}}_{{{c + 1},{r + 1},{q + 1}}}}}"
        if pairs:
            texts.append(lhs + sum_text(pairs) + f" = {fmt(total)}")
            latex.append(equation(llhs, sum_latex(pairs), total))
        else:
            texts.append(lhs + f"0 ({t('page.conv.cap.only_zeros', lang)})")
            latex.append(f"{llhs} = 0")
    crop = bool(pad)
    if crop:
        texts.append(t("page.conv.cap.crop", lang, p=pad))
        latex.append(rf"\frac{{\partial L}}{{\partial X_{{{c + 1}}}}} = " + matrix_latex(p.dx[0, c]))
    g_cap = cv.caption(caption_lines(texts))
    updates = []
    for k in range(hp * wp):
        r, q = divmod(k, wp)
        updates.append({
            g_out: {"z": z_list(reveal(p.dxp[0, c], k + 1))},
            g_win: rects([(xd, ys[f], r, q, hh, ww) for f in range(sh["F"])]),
            g_cell: rects([(xo, 0, r, q, 1, 1)]),
            g_cap: {"text": [texts[k]]},
        })
    if crop:
        inner = np.full((hp, wp), np.nan)
        inner[pad:hp - pad, pad:wp - pad] = p.dx[0, c]
        updates.append({g_out: {"z": z_list(inner)}, g_win: {"x": [], "y": []},
                        g_cell: rects([(xo, 0, pad, pad, sh["H"], sh["W"])]), g_cap: {"text": [texts[-1]]}})
    return finish(cv, updates, latex, lang, "slide")


@lru_cache(maxsize=32)
def scatter_animation(p, c: int, lang: str, width: int = WIDTH) -> Animation:
    """Every dL/dO cell spreading dL/dO × F over its input window; dL/dX_pad[c] accumulating."""
    sh = p.shape
    hh, ww, pad, s, ho, wo = sh["HH"], sh["WW"], p.pad, p.stride, sh["Ho"], sh["Wo"]
    hp, wp = sh["H"] + 2 * pad, sh["W"] + 2 * pad
    cv = Canvas(width)
    ys = stack_y(sh["F"], max(hh, ho))
    xd = ww + GAP
    xo = xd + wo + GAP
    for f in range(sh["F"]):
        cv.grid(p.w[f, c], 0, ys[f], zmax(p.w))
        cv.title(t("page.conv.panel.w", lang, f=f + 1, c=c + 1), 0, ys[f], ww)
        cv.grid(p.dout[0, f], xd, ys[f], zmax(p.dout))
        cv.title(t("page.conv.panel.dout", lang, f=f + 1), xd, ys[f], wo)
    cv.flat(np.ones((hp, wp), dtype=bool), xo, 0, SLOT_GREY)
    g_out = cv.grid(np.zeros((hp, wp)), xo, 0, zmax(p.dxp_scatter[0, c]))
    if _dropped(p).any():
        cv.marks(_dropped(p), xo, 0, "×")
    cv.title(t("page.conv.panel.dxpad", lang, c=c + 1), xo, 0, wp)
    g_win = cv.lines(WINDOW)
    g_cell = cv.lines(CELL)
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
            lterms = " + ".join(rf"{lfactor(p.dout[0, f, i, j])} \cdot {matrix_latex(p.w[f, c])}"
                                for f in range(sh["F"]))
            latex.append(rf"\Delta X^{{pad}}_{{{s * i + 1}:{s * i + hh},\,{s * j + 1}:{s * j + ww}}} = {lterms}")
    crop = bool(pad)
    if crop:
        texts.append(t("page.conv.cap.crop", lang, p=pad))
        latex.append(rf"\frac{{\partial L}}{{\partial X_{{{c + 1}}}}} = " + matrix_latex(p.dx_scatter[0, c]))
    g_cap = cv.caption(caption_lines(texts))
    updates = []
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        updates.append({
            g_out: {"z": z_list(states[k])},
            g_win: rects([(xo, 0, s * i, s * j, hh, ww)]),
            g_cell: rects([(xd, ys[f], i, j, 1, 1) for f in range(sh["F"])]),
            g_cap: {"text": [texts[k]]},
        })
    if crop:
        inner = np.full((hp, wp), np.nan)
        inner[pad:hp - pad, pad:wp - pad] = p.dx_scatter[0, c]
        updates.append({g_out: {"z": z_list(inner)}, g_win: {"x": [], "y": []},
                        g_cell: rects([(xo, 0, pad, pad, sh["H"], sh["W"])]), g_cap: {"text": [texts[-1]]}})
    return finish(cv, updates, latex, lang, "scatter")


@lru_cache(maxsize=32)
def channel_sum_animation(p, which: str, index: int, lang: str, width: int = WIDTH // 2) -> Animation:
    """The channel sum added up part by part: ``which`` "out" (O[f] = Σ_c … + b, f = index)
    or "dx" (∂L/∂X[c] = Σ_f …, c = index)."""
    sh = p.shape
    if which == "out":
        parts = [p.out_by_c[0, index, c] for c in range(sh["C"])]
        titles = [t("page.conv.panel.part_out", lang, c=c + 1) for c in range(sh["C"])]
        adds = [t("page.conv.cap.channel_add", lang, c=c + 1) for c in range(sh["C"])]
        total, bias = p.out[0, index], p.b[index]
        head = t("page.conv.panel.sum_out", lang, f=index + 1, b=fmt(bias))
        lhs = f"O_{{{index + 1}}}"
    else:
        parts = [p.dx_by_f[0, f, index] for f in range(sh["F"])]
        titles = [t("page.conv.panel.part_dx", lang, f=f + 1) for f in range(sh["F"])]
        adds = [t("page.conv.cap.output_add", lang, f=f + 1) for f in range(sh["F"])]
        total, bias = p.dx[0, index], None
        head = t("page.conv.panel.sum_dx", lang, c=index + 1)
        lhs = rf"\frac{{\partial L}}{{\partial X_{{{index + 1}}}}}"
    rows, cols = total.shape
    cv = Canvas(width)
    ys = stack_y(len(parts), rows)
    top = zmax(total, *parts)
    for k, part in enumerate(parts):
        cv.grid(part, 0, ys[k], top)
        cv.title(titles[k], 0, ys[k], cols)
    xo = cols + 2 * GAP
    g_out = cv.grid(np.zeros((rows, cols)), xo, 0, top)
    cv.title(head, xo, 0, cols)
    g_win = cv.lines(WINDOW)
    g_cap = cv.caption(1)
    updates, latex = [], []
    acc = np.zeros((rows, cols))
    terms: list[str] = []
    for k, part in enumerate(parts):
        acc = acc + part
        terms.append(matrix_latex(part))
        updates.append({g_out: {"z": z_list(acc)}, g_win: rects([(0, ys[k], 0, 0, rows, cols)]),
                        g_cap: {"text": [adds[k]]}})
        latex.append(f"{lhs} = " + " + ".join(terms) + " = " + matrix_latex(acc))
    if bias is not None:
        updates.append({g_out: {"z": z_list(total)}, g_win: rects([(xo, 0, 0, 0, rows, cols)]),
                        g_cap: {"text": [t("page.conv.cap.channel_bias", lang, b=fmt(bias))]}})
        latex.append(f"{lhs} = " + " + ".join(terms) + f" + {lfactor(bias)} = " + matrix_latex(total))
    return finish(cv, updates, latex, lang, f"channels_{which}", 1400)


def conv_step_animations(p, step: str, f: int, c: int, lang: str) -> tuple[Animation, ...]:
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


