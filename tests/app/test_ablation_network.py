"""The network page trains a third net with a BN term switched off, its loss and accuracy beside the true ones."""

from __future__ import annotations

from app_helpers import assert_ok, open_page

from bnviz.i18n import t


def test_broken_backward_beside_the_true_one():
    at = open_page("pages/network_page.py", lang=None, query={"net_ablate": "mu"})
    at.select_slider(key="steps").set_value(100).run()
    at.slider(key="layers").set_value(2).run()
    at.button(key="net_train").click().run()
    assert_ok(at)
    assert t("learn.ablation.net_result", "en", step=100) in [m.value for m in at.markdown]
    table = next(df.value for df in at.dataframe if t("learn.ablation.run", "en") in df.value.columns)
    names = list(table[t("learn.ablation.run", "en")])
    broken = t("learn.ablation.ablated", "en", path=t("learn.ablation.name.mu", "en"))
    assert names == [t("page.network.baseline", "en"), t("page.network.bn", "en"), broken]
    acc = {n: float(a.rstrip("%")) for n, a in zip(names, table[t("learn.ablation.val_acc", "en")], strict=True)}
    assert acc[broken] < acc[t("page.network.bn", "en")]  # the broken backward learns worse
