"""The four frameworks' BN bookkeeping side by side, for the train-vs-test lesson: what differs
(``ops.frameworks.CONVENTIONS``) and one framework's settings in each other's terms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bnviz.i18n import t
from bnviz.ops import frameworks

if TYPE_CHECKING:
    from bnviz.lessons.train_test import TrainTest

def framework_table(lang: str) -> dict[str, list[str]]:
    """What differs between the four frameworks' BN bookkeeping (``frameworks.CONVENTIONS``), as table columns."""
    cols: dict[str, list[str]] = {}
    for fw in frameworks.FRAMEWORKS:
        c = frameworks.CONVENTIONS[fw]
        initial = t("page.train_test.fw.no_initial", lang) if c.initial_mean is None else \
            f"({c.initial_mean:g}, {c.initial_var:g})"
        row = {
            "col_framework": frameworks.NAMES[fw], "col_parameter": c.parameter, "col_default": f"{c.momentum:g}",
            "col_weights": t(f"page.train_test.fw.{'new' if c.weights_new else 'old'}", lang),
            "col_variance": t(f"page.train_test.fw.{'unbiased' if c.unbiased_var else 'biased'}", lang),
            "col_initial": initial, "col_eps": f"{c.eps:g}",
            "col_scale": t(f"page.train_test.fw.scale_{'yes' if c.scale_factor else 'no'}", lang),
        }
        for key, value in row.items():
            cols.setdefault(t(f"page.train_test.fw.{key}", lang), []).append(value)
    return cols


def translate(tt: TrainTest, from_: str, momentum: float, eps: float, j: int, lang: str) -> dict[str, list[str]]:
    """``from_``'s (momentum, ε) in each framework's terms (``frameworks.convert``), with each one's running
    mean and variance of feature ``j`` after this lesson's K batches under those settings
    (``frameworks.agreement``) and, in words, what no setting makes equal. Table columns."""
    eqs = frameworks.convert(from_, momentum, eps)
    runs = frameworks.agreement(from_, momentum, tt.batches)
    cols: dict[str, list[str]] = {t(f"page.train_test.fw.{k}", lang): [] for k in
                                  ("col_framework", "col_parameter", "col_momentum", "col_eps_equal", "col_mean",
                                   "col_var", "col_differs")}
    for e in eqs:
        mean, var = runs[e.framework]
        differs = " ".join(t(k, lang) for k in e.differences) or t("page.train_test.fw.same", lang)
        for col, value in zip(cols.values(), (frameworks.NAMES[e.framework], e.parameter, f"{e.momentum:g}",
                                              f"{e.eps:g}", f"{mean[-1, j]:.6g}", f"{var[-1, j]:.6g}", differs),
                              strict=True):
            col.append(value)
    return cols
