"""The one stepper: Previous / Next / a step slider / ← → switch steps in the browser, with no rerun.

Every step of a walkthrough is drawn once. Its static HTML (figures, formulas,
notes, tables: whatever goes through ``ui.charts.html``) is gathered, and all
steps' HTML is ONE element, a components v2 element (``bnviz_steps``) that
writes into the page only the step on screen, and a hidden step's changed HTML
when the stepper shows it: a rerun after a sidebar change costs the browser
one step's HTML, not every step's four or five elements. What
a step draws with Streamlit itself (widgets such as predict mode's questions,
a Plotly chart) goes into its own keyed container
(``st.container(key="bnvizstep-<key>-<n>")``, CSS class ``st-key-…``), under
its HTML.

A small components v2 element (inline, no iframe) shows one step and hides
the others with a stylesheet rule. Moving between steps never talks to
the server: the element rewrites the rule, the title and the counter, and
records the step in the URL (``?<key>=n``, ``history.replaceState``) so a
copied link reopens it.

A later rerun (a sidebar change) keeps the step: Streamlit's frontend may send
a stale copy of the query string with the rerun, but every rerun also carries
the browser's real address (``context_info.url``), which is read first.

A page uses it in one call::

    for step in stepper(walk, lang, "ax_step"):
        render.formulas(step, lang)   # drawn once per step, into that step's container

Element keys drawn inside the loop must differ per step (e.g. ``f"diagram-{step.key}"``);
widgets belong above the loop (one widget serves every step).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import streamlit as st

from bnviz import predict
from bnviz.i18n import t
from bnviz.steps import Step, Walkthrough
from ui import address, charts
from ui import predict as predict_ui
from ui import trail as trail_ui

PREFIX = "bnvizstep"
"""Container keys are ``f"{PREFIX}-{key}-{n}"`` (n from 1)."""

_CSS = """
.bnviz-stepper { font-family: inherit; color: inherit; }
.bnviz-stepper .row { display: flex; gap: 0.75rem; align-items: center; }
.bnviz-stepper button {
  font: inherit; padding: 0.3rem 0.9rem; border-radius: 0.5rem; cursor: pointer; white-space: nowrap;
  border: 1px solid rgba(49, 51, 63, 0.3); background: var(--st-background-color, #fff); color: inherit;
}
.bnviz-stepper button:hover:not(:disabled) { border-color: var(--st-primary-color, #1f77b4);
  color: var(--st-primary-color, #1f77b4); }
.bnviz-stepper button:focus-visible, .bnviz-stepper input:focus-visible {
  outline: 2px solid var(--st-primary-color, #1f77b4); outline-offset: 2px; }
.bnviz-stepper button:disabled { opacity: 0.45; cursor: default; }
.bnviz-stepper input[type=range] { flex: 1; accent-color: var(--st-primary-color, #1f77b4); min-width: 6rem; }
.bnviz-stepper h3 { font-size: 1.5rem; font-weight: 600; margin: 0.9rem 0 0.4rem; line-height: 1.3; }
.bnviz-stepper .track { height: 0.5rem; border-radius: 0.25rem; background: rgba(49, 51, 63, 0.12); }
.bnviz-stepper .bar { height: 100%; border-radius: 0.25rem; background: var(--st-primary-color, #1f77b4); }
.bnviz-stepper .count { font-size: 0.9rem; margin: 0.3rem 0 0; }
.bnviz-stepper .hint { font-size: 0.8rem; opacity: 0.7; margin: 0.1rem 0 0; }
"""

_JS = """
const SKIP = 'input, textarea, select, [contenteditable=""], [contenteditable="true"], [role="slider"],'
  + ' [role="radiogroup"] *, [role="tablist"] *, [role="listbox"] *, [role="combobox"]';

// a step's HTML, its container and the layout wrapper Streamlit puts around it (else each hidden step leaves a gap)
const selector = (key) => `.${key}-html, .st-key-${key}, [data-testid="stLayoutWrapper"]:has(> .st-key-${key})`;

function fromUrl(param, total) {
  const raw = new URL(window.location.href).searchParams.get(param);
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= total ? n : null;
}

export default function (component) {
  const { data, parentElement } = component;
  const d = data;
  const root = document.createElement('div');
  root.className = 'bnviz-stepper';
  root.setAttribute('data-testid', 'bnviz-stepper');
  root.setAttribute('role', 'group');
  root.setAttribute('aria-label', d.group);
  root.innerHTML = `
    <div class="row">
      <button type="button" data-bnviz="prev" aria-label="${d.prevAria}">${d.prev}</button>
      <input type="range" data-bnviz="slider" min="1" max="${d.total}" step="1" aria-label="${d.slider}">
      <button type="button" data-bnviz="next" aria-label="${d.nextAria}">${d.next}</button>
    </div>
    <h3 data-bnviz="title" aria-live="polite"></h3>
    <div class="track" role="progressbar" aria-label="${d.group}"
      aria-valuemin="1" aria-valuemax="${d.total}"><div class="bar"></div></div>
    <p class="count" data-bnviz="count"></p>
    <p class="hint">${d.hint}</p>`;
  for (const old of parentElement.querySelectorAll('.bnviz-stepper')) old.remove();
  parentElement.appendChild(root);
  const [prev, next] = root.querySelectorAll('button');
  const slider = root.querySelector('input');
  const title = root.querySelector('[data-bnviz="title"]');
  const track = root.querySelector('.track');
  const bar = root.querySelector('.bar');
  const count = root.querySelector('[data-bnviz="count"]');
  let style = document.getElementById(d.styleId);
  if (!style) {
    style = document.createElement('style');
    style.id = d.styleId;
    document.head.appendChild(style);
  }
  let n = fromUrl(d.param, d.total) ?? d.n;

  function show(k, record) {
    n = Math.max(1, Math.min(d.total, k));
    const hide = [];
    for (let i = 1; i <= d.total; i++) if (i !== n) hide.push(selector(`${d.prefix}-${i}`));
    style.textContent = (hide.length ? hide.join(',') + '{display:none !important}' : '')
      + `${selector(`${d.prefix}-${n}`)}{display:flex !important}`;
    title.textContent = d.titles[n - 1];
    count.textContent = d.counts[n - 1];
    slider.value = String(n);
    slider.setAttribute('aria-valuetext', d.titles[n - 1]);
    track.setAttribute('aria-valuenow', String(n));
    bar.style.width = `${(100 * n) / d.total}%`;
    prev.disabled = n === 1;
    next.disabled = n === d.total;
    (window.__bnvizShown = window.__bnvizShown || {})[d.prefix] = n;
    window.__bnvizSteps?.[d.prefix]?.write(n);  // its HTML, if it changed while hidden
    if (record) {
      const url = new URL(window.location.href);
      if (n === 1) url.searchParams.delete(d.param); else url.searchParams.set(d.param, String(n));
      if (url.href !== window.location.href) window.history.replaceState(window.history.state, '', url.href);
    }
  }

  prev.addEventListener('click', () => show(n - 1, true));
  next.addEventListener('click', () => show(n + 1, true));
  slider.addEventListener('input', () => show(Number(slider.value), true));
  function onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const target = e.target instanceof Element ? e.target : null;
    if (target && target !== slider && target.closest(SKIP)) return;
    if (target === slider) return;  // the range input moves itself (and fires 'input')
    e.preventDefault();
    show(n + (e.key === 'ArrowRight' ? 1 : -1), true);
  }
  // one key handler per stepper: a rerun may mount the element again without running the old cleanup, and a
  // stale handler would take the keys (preventDefault) for a detached copy
  const handlers = (window.__bnvizStepKeys = window.__bnvizStepKeys || {});
  if (handlers[d.param]) document.removeEventListener('keydown', handlers[d.param]);
  handlers[d.param] = onKey;
  document.addEventListener('keydown', onKey);
  show(n, n !== d.n);
  return () => {
    document.removeEventListener('keydown', onKey);
    if (handlers[d.param] === onKey) delete handlers[d.param];
    root.remove();
  };
}
"""

_component = st.components.v2.component("bnviz_stepper", html="", css=_CSS, js=_JS)

_STEPS_JS = """
export default function ({ data, parentElement }) {
  // one <div class="<prefix>-<n>-html"> per step. Only the step on screen is written; a hidden step's new
  // HTML waits until the stepper shows it (a sidebar change rewrites one step, not every step).
  let root = parentElement.querySelector(':scope > .bnviz-steps');
  if (!root) {
    root = document.createElement('div');
    root.className = 'bnviz-steps';
    parentElement.appendChild(root);
  }
  const divs = [...root.children];
  for (const extra of divs.splice(data.html.length)) extra.remove();
  data.html.forEach((body, i) => {
    let el = divs[i];
    if (!el) {
      el = document.createElement('div');
      el.className = `bnviz-step-html ${data.prefix}-${i + 1}-html`;
      root.appendChild(el);
      divs.push(el);
    }
    el.__bnvizPending = el.__bnvizHtml === body ? undefined : body;
  });
  const write = (n) => {
    const el = divs[n - 1];
    if (el && el.__bnvizPending !== undefined) {
      el.innerHTML = el.__bnvizPending;
      el.__bnvizHtml = el.__bnvizPending;
      el.__bnvizPending = undefined;
    }
  };
  const steps = (window.__bnvizSteps = window.__bnvizSteps || {});
  steps[data.prefix] = { write };
  const raw = new URL(window.location.href).searchParams.get(data.param);
  const fromUrl = raw === null ? NaN : Number(raw);
  const shown = (window.__bnvizShown || {})[data.prefix]
    ?? (Number.isInteger(fromUrl) && fromUrl >= 1 && fromUrl <= data.html.length ? fromUrl : data.n);
  write(shown);
}
"""

_steps = st.components.v2.component("bnviz_steps", html="", js=_STEPS_JS, isolate_styles=False)
"""Every step's static HTML as one element (in the page's DOM, so the page's styles and scripts reach it)."""


def current(key: str, total: int) -> int:
    """The step (1..total) the browser shows: from its real address, else the query string, else 1."""
    for raw in (address.browser_param(key), st.query_params.get(key)):
        try:
            n = int(raw) if raw is not None else None
        except ValueError:
            n = None
        if n is not None and 1 <= n <= total:
            return n
    return 1  # a bad or out-of-range value is ignored


def heading(step: Step, lang: str, phases: bool = True) -> str:
    """The title line of a step: "Forward · Mean" (the phase only when ``phases``)."""
    return f"{t(f'page.graph.{step.phase}', lang)} · {step.title}" if phases else step.title


def data(walk: Walkthrough, lang: str, key: str, n: int, phases: bool = True) -> dict:
    """What the browser element needs: every step's title and counter, the labels, the current step."""
    total = len(walk.steps)
    return {
        "param": key, "prefix": f"{PREFIX}-{key}", "styleId": f"{PREFIX}-style-{key}", "n": n, "total": total,
        "titles": [heading(s, lang, phases) for s in walk.steps],
        "counts": [t("page.graph.step_of", lang, n=i, total=total) for i in range(1, total + 1)],
        "prev": t("page.graph.prev", lang), "next": t("page.graph.next", lang),
        "prevAria": t("stepper.prev_aria", lang), "nextAria": t("stepper.next_aria", lang),
        "slider": t("page.graph.step", lang), "group": t("stepper.group", lang), "hint": t("stepper.hint", lang),
    }


def _selector(container: str) -> str:
    """CSS for a step's HTML, its container and the layout wrapper Streamlit puts around it."""
    return f'.{container}-html, .st-key-{container}, [data-testid="stLayoutWrapper"]:has(> .st-key-{container})'


def container_key(key: str, n: int) -> str:
    return f"{PREFIX}-{key}-{n}"


def stepper(walk: Walkthrough, lang: str, key: str, phases: bool = True, html_only: bool = False) -> Iterator[Step]:
    """Draw the stepper, then yield each step inside its own container (the current one shown).

    In predict mode a step with questions is yielded only once they are answered (or shown);
    until then its container holds the questions (:func:`ui.predict.gate`).

    ``key`` names the URL parameter (``?<key>=n``). The page draws a step's
    content in the loop body; see the module docstring.

    ``html_only``: the loop body draws only static HTML (``ui.charts.html`` and what goes through it:
    ``render.formulas`` / ``note`` / ``caption``, ``charts.picture`` of a figure SVG can draw, ``charts.table``).
    Then a step gets no Streamlit container of its own unless predict mode asks its questions there: a
    rerun sends one message fewer per step. A Plotly figure drawn in such a body is an error
    (:func:`ui.charts.collecting`, ``strict``), raised in the AppTests that open every page.
    """
    total = len(walk.steps)
    n = current(key, total)
    if n == 1:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(n):
        st.query_params[key] = str(n)
    hidden = ",".join(_selector(container_key(key, i)) for i in range(1, total + 1) if i != n)
    if hidden:  # the first paint, before the element's script has run
        st.html(f"<style>{hidden}{{display:none}}</style>")
    on = predict_ui.mode(lang)  # predict mode (``?predict=1``): each step asks first (ui.predict)
    asked = predict.questions(walk) if on else {}
    predict_ui.score(walk, lang, on, asked)
    _component(data=data(walk, lang, key, n, phases), key=f"{PREFIX}-{key}")
    slot = st.empty()  # every step's HTML, once the loop has drawn them
    bodies: list[str] = []
    for i, step in enumerate(walk.steps, start=1):
        own = on or not html_only  # a container for what the step draws with Streamlit itself
        with (st.container(key=container_key(key, i)) if own else nullcontext()), \
                charts.collecting(strict=not own) as parts:
            trail_ui.names(walk.page, step, lang)  # "This step answers: …" on the trail's steps
            if predict_ui.gate(walk, step, lang, on, asked):
                yield step
        bodies.append("".join(parts))
    with slot:
        _steps(data={"prefix": f"{PREFIX}-{key}", "param": key, "n": n, "html": bodies}, key=f"{PREFIX}-{key}-html")
