"""The pooling lesson: max pooling routes each gradient to its window's arg-max, average
pooling spreads it over the window; overlapping windows accumulate; PyTorch's shape rules
(floor or ceil_mode, padding: −∞ for max, ``count_include_pad`` for the average's divisor).

Its pieces: the arrays (:mod:`bnviz.lessons.pool_problem`, computed by :mod:`bnviz.ops.pool`,
whose docstring states the tie rule: the first maximum in row-major order, as PyTorch), the
formulas (:mod:`bnviz.lessons.pool_formulas`, derived by SymPy, the tie rule encoded in the
max's θ(z, H0) steps), and here each step's NumPy code and the Step objects that pair them.
"""

from __future__ import annotations

from bnviz.i18n import t
from bnviz.lessons import windowed as win
from bnviz.lessons.pool_formulas import formulas
from bnviz.lessons.pool_problem import PoolParams, PoolProblem, page_problem
from bnviz.numfmt import fmt
from bnviz.ops.windows import OVERHANG
from bnviz.steps import Walkthrough

LABELS = {"x": "X", "out": "O", "dout": "∂L/∂O", "dx": "∂L/∂X", "dx_max": "∂L/∂X (max)", "dx_avg": "∂L/∂X (avg)"}
STEPS = ("forward", "backward", "compare")

FORWARD_CODE = """N, C, H, W = x.shape


def out_len(n):  # PyTorch's rule: floor, or ceil_mode with the last window starting inside
    o = (n + 2 * pad - size + (stride - 1 if ceil_mode else 0)) // stride + 1
    return o - 1 if ceil_mode and (o - 1) * stride >= n + pad else o


Ho, Wo = out_len(H), out_len(W)
rows, cols = max((Ho - 1) * stride + size, H + 2 * pad), max((Wo - 1) * stride + size, W + 2 * pad)
grid = np.full((N, C, rows, cols), -np.inf)  # max pooling pads with -inf
grid[:, :, pad:pad + H, pad:pad + W] = x
counted = np.zeros((rows, cols))  # the cells an average divides by
if count_include_pad:
    counted[:H + 2 * pad, :W + 2 * pad] = 1
else:
    counted[pad:pad + H, pad:pad + W] = 1
out_max, out_avg = np.zeros((N, C, Ho, Wo)), np.zeros((N, C, Ho, Wo))
arg, divisor = np.zeros((N, C, Ho, Wo), dtype=int), np.zeros((Ho, Wo))
for i in range(Ho):
    for j in range(Wo):
        r, q = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        window = grid[:, :, r, q].reshape(N, C, -1)
        arg[:, :, i, j] = window.argmax(axis=2)  # the first maximum in row-major order
        out_max[:, :, i, j] = window.max(axis=2)
        divisor[i, j] = counted[r, q].sum()
        out_avg[:, :, i, j] = np.where(np.isinf(window), 0, window).sum(axis=2) / divisor[i, j]
out = out_{kind}"""

MAX_BACK = """g = np.zeros((N, C, rows, cols))
for i in range(Ho):
    for j in range(Wo):
        a, b = np.divmod(arg[:, :, i, j], size)
        for n in range(N):
            for c in range(C):
                g[n, c, i * stride + a[n, c], j * stride + b[n, c]] += dout[n, c, i, j]
{name} = g[:, :, pad:pad + H, pad:pad + W]"""

AVG_BACK = """g = np.zeros((N, C, rows, cols))
for i in range(Ho):
    for j in range(Wo):
        r, q = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        g[:, :, r, q] += dout[:, :, i, j, None, None] / divisor[i, j]
{name} = g[:, :, pad:pad + H, pad:pad + W]  # the padding's share is dropped"""


def code(kind: str) -> dict[str, str]:
    """Each step in plain NumPy (run after the walkthrough's setup and the earlier steps)."""
    back = MAX_BACK if kind == "max" else AVG_BACK
    return {
        "forward": FORWARD_CODE.format(kind=kind),
        "backward": back.format(name="dx"),
        "compare": MAX_BACK.format(name="dx_max") + "\n" + AVG_BACK.format(name="dx_avg"),
    }


VALUES = {"forward": ("x", "out"), "backward": ("dout", "dx"), "compare": ("dout", "dx_max", "dx_avg")}


def _notes(pp: PoolProblem, name: str, lang: str, fields_: dict) -> str:
    """The step's note and the sentences its settings call for (ties, overlap, padding, dropped, overhang)."""
    kind = pp.kind
    key = f"step.pool.{name}.note_{kind}" if name != "compare" else "step.pool.compare.note"
    parts = [t(key, lang, **fields_)]
    if kind == "max" and name != "compare" and fields_["ties"]:
        parts.append(t(win.plural("step.pool.ties_note", fields_["ties"]), lang, **fields_))
    if name != "forward" and pp.stride < pp.size:
        parts.append(t("step.pool.overlap_note", lang, **fields_))
    if name == "forward":
        if pp.pad:
            rule = "max" if kind == "max" else ("avg_include" if pp.layer.count_include_pad else "avg_exclude")
            parts.append(t(f"step.pool.pad_note_{rule}", lang, **fields_))
        if fields_["n"]:
            parts.append(t(win.plural("step.pool.dropped_note", max(fields_["dr"], fields_["dc"])), lang, **fields_))
        if fields_["over"]:
            parts.append(t("step.pool.ceil_note", lang, **fields_))
    if name == "compare" and abs(pp.sums["avg"] - pp.sums["total"]) > 1e-9:
        parts.append(t("step.pool.compare_pad_note", lang, avg=fmt(pp.sums["avg"])))
    return " ".join(parts)


def pool_walkthrough(pp: PoolProblem, lang: str = "en", record: dict | None = None) -> Walkthrough:
    """The pool page's steps for one problem, in ``lang``."""
    forms = formulas(pp)
    codes = code(pp.kind)
    rows, cols = pp.layer.rows, pp.layer.cols
    fields_ = {"K": pp.size, "S": pp.stride, "P": pp.pad, "K2": pp.size ** 2, "ties": int(pp.ties.sum()),
               "windows": int(pp.ties.size), "total": fmt(pp.dout.sum()), "dr": rows.dropped, "dc": cols.dropped,
               "n": rows.dropped + cols.dropped, "over": int((pp.kinds == OVERHANG).any())}
    steps = []
    for name in STEPS:
        lines, local = forms[name]
        title = t(f"step.pool.{name}.title_{pp.kind}" if name != "compare" else "step.pool.compare.title", lang)
        steps.append(win.step("pool", name, title, lines, local, _notes(pp, name, lang, fields_),
                          {k: getattr(pp, k) for k in VALUES[name]}, codes[name]))
    settings = {**(record or {}), **pp.record, "K": pp.size, "S": pp.stride, "P": pp.pad,
                "ceil_mode": pp.layer.ceil_mode, "count_include_pad": pp.layer.count_include_pad, "kind": pp.kind}
    return Walkthrough("pool", t("page.pool.title", lang), lang, settings, tuple(steps), pp.setup, dict(LABELS))


walkthrough = win.course_builder(PoolParams, page_problem, pool_walkthrough)
"""The course builder (``bnviz.course``): the page's controls at ``params`` (defaults when omitted)."""
