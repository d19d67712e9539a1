"""The conv lesson: the forward pass, dL/dF, and dL/dX as a full convolution and as a scatter.

Its pieces: the arrays (:mod:`bnviz.lessons.conv_problem`: the page's controls, the arrays they
draw or parse, everything computed by :mod:`bnviz.ops.conv`), the formulas
(:mod:`bnviz.lessons.conv_formulas`: derived by SymPy, the live numbers written into SymPy
expressions), and here each step's NumPy code and the Step objects that pair them.
"""

from __future__ import annotations

from bnviz.i18n import t
from bnviz.lessons import windowed as win
from bnviz.lessons.conv_formulas import formulas
from bnviz.lessons.conv_problem import ConvParams, ConvProblem, page_problem
from bnviz.steps import Walkthrough

LABELS = {
    "x": "X", "xp": "X_pad", "w": "F", "b": "b", "out": "O", "dout": "∂L/∂O", "dw": "∂L/∂F", "db": "∂L/∂b",
    "w_flip": "F_flip", "w_rot": "F_rot", "dout_dil": "∂L/∂O_dil", "dout_pad": "∂L/∂O_pad",
    "dxp": "∂L/∂X_pad", "dx": "∂L/∂X", "dxp_scatter": "∂L/∂X_pad (Σ dO·F)", "dx_scatter": "∂L/∂X (Σ dO·F)",
    "out_by_c": "O[f, c]", "dx_by_f": "∂L/∂X[f, c]",
}
"""Display names of this lesson's value ids (the same in both languages)."""

STEPS = ("forward", "dw", "rotate", "dilate", "slide", "scatter", "channels")
"""The walkthrough's steps; catalog keys step.conv.<name>.title / .note."""


CODE = {
    "forward": """N, C, H, W = x.shape
F, _, HH, WW = w.shape
Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
out = np.zeros((N, F, Ho, Wo))
for i in range(Ho):
    for j in range(Wo):
        window = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
        out[:, :, i, j] = np.einsum("ncab,fcab->nf", window, w) + b""",
    "dw": """dw = np.zeros_like(w)
for u in range(HH):
    for v in range(WW):
        cells = xp[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride]
        dw[:, :, u, v] = np.einsum("nfij,ncij->fc", dout, cells)
db = dout.sum(axis=(0, 2, 3))""",
    "rotate": """w_flip = w[:, :, ::-1, :]
w_rot = w_flip[:, :, :, ::-1]""",
    "dilate": """# zeros between the cells, and zero rows / columns where the forward pass dropped cells
dout_dil = np.zeros((N, F, H + 2 * pad - HH + 1, W + 2 * pad - WW + 1))
dout_dil[:, :, :stride * (Ho - 1) + 1:stride, :stride * (Wo - 1) + 1:stride] = dout
dout_pad = np.pad(dout_dil, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))""",
    "slide": """dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
for k in range(H + 2 * pad):
    for l in range(W + 2 * pad):
        window = dout_pad[:, :, k:k + HH, l:l + WW]
        dxp[:, :, k, l] = np.einsum("nfab,fcab->nc", window, w_rot)
dx = dxp[:, :, pad:pad + H, pad:pad + W]""",
    "scatter": """dxp_scatter = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
for i in range(Ho):
    for j in range(Wo):
        rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
        dxp_scatter[:, :, rows, cols] += np.einsum("nf,fcab->ncab", dout[:, :, i, j], w)
dx_scatter = dxp_scatter[:, :, pad:pad + H, pad:pad + W]""",
    "channels": """out_by_c = np.zeros((N, F, C, Ho, Wo))
dx_by_f = np.zeros((N, F, C, H, W))
for f in range(F):
    for c in range(C):
        xp_c = np.pad(x[:, c:c + 1], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        for i in range(Ho):
            for j in range(Wo):
                window = xp_c[:, 0, i * stride:i * stride + HH, j * stride:j * stride + WW]
                out_by_c[:, f, c, i, j] = (window * w[f, c]).sum(axis=(1, 2))
        for k in range(H + 2 * pad):
            for l in range(W + 2 * pad):
                if pad <= k < H + pad and pad <= l < W + pad:
                    window = dout_pad[:, f, k:k + HH, l:l + WW]
                    dx_by_f[:, f, c, k - pad, l - pad] = (window * w_rot[f, c]).sum(axis=(1, 2))""",
}
"""Each step in plain NumPy: run after ``Walkthrough.setup`` and the earlier steps, it
recomputes that step's values as variables named by their value ids."""

VALUES = {
    "forward": ("x", "xp", "w", "b", "out"),
    "dw": ("xp", "dout", "dw", "db"),
    "rotate": ("w", "w_flip", "w_rot"),
    "dilate": ("dout", "dout_dil", "dout_pad"),
    "slide": ("dout_pad", "w_rot", "dxp", "dx"),
    "scatter": ("dout", "w", "dxp_scatter", "dx_scatter", "dx"),
    "channels": ("out_by_c", "dx_by_f", "out", "dx"),
}
"""The value ids each step shows."""


def conv_walkthrough(p: ConvProblem, lang: str = "en", record: dict | None = None) -> Walkthrough:
    """The conv page's steps for one problem, in ``lang``."""
    forms = formulas(p)
    sh = p.shape
    several = sh["C"] > 1 or sh["F"] > 1
    note_fields = {**sh, "S1": sh["S"] - 1, "HH1": sh["HH"] - 1, "Hd": p.dout_pad.shape[2], "Wd": p.dout_pad.shape[3],
                   "Hp": sh["H"] + 2 * sh["P"], "Wp": sh["W"] + 2 * sh["P"], "dr": p.rows.dropped,
                   "dc": p.cols.dropped, "n": p.rows.dropped + p.cols.dropped}
    dropped = max(p.rows.dropped, p.cols.dropped)
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        note = t(f"step.conv.{name}.note", lang, **note_fields)
        if several and name not in ("channels",):
            note += " " + t("step.conv.one_pair_note", lang)
        if dropped and name in ("forward", "dilate", "slide"):
            note += " " + t(win.plural("step.conv.dropped_note", dropped), lang, **note_fields)
        steps.append(win.step("conv", name, t(f"step.conv.{name}.title", lang), lines, local, note,
                          {k: getattr(p, k) for k in VALUES[name]}, CODE[name]))
    settings = {**(record or {}), **p.record, "shape": p.shape}
    return Walkthrough("conv", t("page.conv.title", lang), lang, settings, tuple(steps), p.setup, dict(LABELS))


walkthrough = win.course_builder(ConvParams, page_problem, conv_walkthrough)
"""The course builder (``bnviz.course``): the page's controls at ``params`` (defaults when omitted)."""
