"""The page's own CSS and one small script: formulas that scroll visibly, regions the keyboard can reach.

``apply(lang)`` is called once per run from ``app.py``. It adds

- CSS: a KaTeX display wider than its column scrolls sideways with a visible
  scrollbar (Streamlit hides it), charts and tables never overflow their
  column, a focus ring on focused formulas, and a phone layout (< 640 px)
  whose diagrams and columns fit and whose menu (the sidebar) opens on the
  language and the batch, the lesson list below them;
- a script (run once per browser tab) that gives every KaTeX display and
  figure box that scrolls ``tabindex="0"``, ``role="region"`` and a label, so
  keyboard users can reach and scroll it (axe-core's
  ``scrollable-region-focusable``). The MathML formula boxes of
  ``ui.render`` carry those attributes in their HTML, always.

Colours with enough contrast live in ``.streamlit/config.toml`` ([theme]).
"""

from __future__ import annotations

import json

import streamlit as st

from bnviz.i18n import t

CSS = """
<style>
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 2px 2px 8px; margin: 0.4em 0;
  scrollbar-width: thin; scrollbar-color: #6b6b6b #e8e8e8; }
.katex-display > .katex { padding: 0 1px; }
.katex-display:focus-visible, .katex-display:focus { outline: 2px solid #005a8f; outline-offset: 2px; }
.bnviz-step-html { flex-direction: column; }
.bnviz-formulas { display: flex; gap: 1rem; flex-wrap: wrap; margin: 0.25rem 0 0.75rem; }
.bnviz-math { overflow-x: auto; overflow-y: hidden; padding: 2px 2px 8px; margin: 0.3em 0;
  scrollbar-width: thin; scrollbar-color: #6b6b6b #e8e8e8; }
.bnviz-math math { font-size: 1.15rem; }
.bnviz-math:focus-visible, .bnviz-math:focus { outline: 2px solid #005a8f; outline-offset: 2px; }
.bnviz-fold summary { cursor: pointer; }
.bnviz-details { border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; margin: 0 0 1rem; }
.bnviz-details > summary { cursor: pointer; padding: 0.6rem 1rem; }
.bnviz-details > summary:focus-visible { outline: 2px solid #005a8f; outline-offset: 2px; }
.bnviz-details > div { padding: 0 1rem 0.75rem; }
[data-testid="stPlotlyChart"], [data-testid="stDataFrame"], [data-testid="stTable"] { max-width: 100%; }
[data-testid="stTable"] { overflow-x: auto; }
[class*="st-key-scroll"] { overflow-x: auto; overflow-y: hidden; scrollbar-width: thin;
  scrollbar-color: #6b6b6b #e8e8e8; padding-bottom: 6px; }
[class*="st-key-scroll"]:focus-visible { outline: 2px solid #005a8f; outline-offset: 2px; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #5c5b5a !important; }
.st-key-bnviz_style, [data-testid="stLayoutWrapper"]:has(> .st-key-bnviz_style),
  .stElementContainer:has(> .st-key-bnviz_style) { display: none; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-left: 0.6rem; padding-right: 0.6rem; }
  .katex-display, .bnviz-math math { font-size: 0.92em; }
  /* a phone's sidebar (the menu): the language and the batch first, the lesson list after them, so m is
     on screen when the menu opens instead of below the fold under ten lesson links */
  [data-testid="stSidebarContent"] { display: flex; flex-direction: column; }
  [data-testid="stSidebarContent"] > * { flex-shrink: 0; }
  [data-testid="stSidebarHeader"] { order: 0; }
  [data-testid="stSidebarUserContent"] { order: 1; padding-top: 0; }
  [data-testid="stSidebarNav"] { order: 2; }
}
</style>
"""

SCRIPT = """
<script>
(() => {
  window.__bnvizLabels = %s;
  if (window.__bnvizA11y) { return; }
  window.__bnvizA11y = true;
  const SCROLLERS = '.katex-display, [class*="st-key-scroll"]';  // .bnviz-math is focusable in its HTML
  const watched = new WeakSet();
  const sizes = new ResizeObserver(() => later());
  const mark = () => {
    for (const el of document.querySelectorAll(SCROLLERS)) {
      if (!watched.has(el)) { watched.add(el); sizes.observe(el); }  // its column may narrow later
      const scrolls = el.scrollWidth > el.clientWidth;
      const label = window.__bnvizLabels[el.matches('.katex-display') ? 'formula' : 'figure'];
      if (scrolls) {
        el.setAttribute('tabindex', '0'); el.setAttribute('role', 'region');
        if (el.getAttribute('aria-label') !== label) { el.setAttribute('aria-label', label); }
      } else if (el.hasAttribute('tabindex')) {
        el.removeAttribute('tabindex'); el.removeAttribute('role'); el.removeAttribute('aria-label');
      }
    }
  };
  // at most once a frame: a step just shown (or a formula just drawn) is reachable by the next Tab
  let queued = false;
  const later = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; mark(); }); } };
  // the whole document: the stepper shows a step by rewriting a style sheet in the head, and a step that was
  // hidden (0 px wide) only scrolls once shown
  new MutationObserver(later).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
  window.addEventListener('resize', later);
  // a formula can grow wider with no DOM change, once its math font has loaded
  if (document.fonts) { document.fonts.addEventListener('loadingdone', later); document.fonts.ready.then(later); }
  mark();
})();
</script>
"""


def apply(lang: str) -> None:
    """Add the CSS and the keyboard script to the page, as one invisible element (call once per run)."""
    with st.container(key="bnviz_style"):
        labels = {"formula": t("sees.a11y.formula", lang), "figure": t("sees.a11y.figure", lang)}
        st.html(CSS + SCRIPT % json.dumps(labels, ensure_ascii=False), unsafe_allow_javascript=True)
