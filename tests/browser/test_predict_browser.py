"""Predict mode in a real browser: answer a step wrong, read the hint, answer right, see the score."""

from __future__ import annotations

import pytest
from browser_helpers import idle
from playwright.sync_api import Page, expect

from bnviz import predict
from bnviz.i18n import t
from bnviz.lessons.graph import walkthrough
from bnviz.settings import Settings

pytestmark = pytest.mark.browser
TIMEOUT = 30_000


def _answer(page: Page, box, text: str, lang: str) -> None:
    field = box.get_by_label(t("learn.ui.your_answer", lang))
    field.fill(text)
    box.get_by_role("button", name=t("learn.ui.check", lang)).click()
    idle(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wrong_hint_right_score(app_url: str, page_: Page, lang: str):
    walk = walkthrough(Settings(lang=lang), lang)
    q = predict.questions(walk)["forward.mu"][0]
    total = len(predict.all_questions(walk))
    page_.goto(f"{app_url}/graph?predict=1&step=2&lang={lang}")
    idle(page_)
    step = page_.locator(".st-key-bnvizstep-step-2")  # the stepper's container of step 2 (the only one shown)
    html = page_.locator(".bnvizstep-step-2-html")  # step 2's static HTML: its figure, formulas, values
    box = step.locator(f".st-key-predict-{q.key}")
    expect(box).to_contain_text(q.prompt, timeout=TIMEOUT)
    expect(step.get_by_text(t("learn.ui.hidden", lang))).to_be_visible()
    expect(html.locator("math, .katex")).to_have_count(0)  # the step's formulas are not drawn yet
    score = t("learn.ui.score", lang, right=0, total=total, answered=0)
    expect(page_.get_by_text(score)).to_be_visible()

    _answer(page_, box, repr(float(q.answer) + 5 * q.tol), lang)
    expect(step).to_contain_text(t("learn.ui.wrong", lang, n=1), timeout=TIMEOUT)
    expect(step).to_contain_text(q.hint[0])
    expect(html.locator("math, .katex")).to_have_count(0)

    _answer(page_, step.locator(f".st-key-predict-{q.key}"), f"{float(q.answer):.4f}", lang)
    expect(step).to_contain_text(t("learn.ui.right", lang, answer=q.answer_text), timeout=TIMEOUT)
    expect(page_.get_by_text(t("learn.ui.score", lang, right=1, total=total, answered=1))).to_be_visible()
    expect(html.locator("math, .katex").first).to_be_visible(timeout=TIMEOUT)  # the step's formulas are revealed
    # stepping on stays in the browser: the next step shows its own question
    page_.get_by_role("button", name=t("stepper.next_aria", lang), exact=True).click()
    nxt = predict.questions(walk)["forward.xc"][0]
    expect(page_.locator(".st-key-bnvizstep-step-3").locator(f".st-key-predict-{nxt.key}")).to_be_visible()
    assert not page_.js_errors
