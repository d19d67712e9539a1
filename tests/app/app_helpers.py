"""Helpers for the Streamlit AppTest tests of the bnviz app (imported by conftest and the tests).

Everything a test expects is computed here independently of the code under
test (NumPy on the batch the sidebar describes) or read from the text
catalog; the app is only driven and read through ``streamlit.testing``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from bnviz.i18n import t
from bnviz.lessons.graph import BACKWARD, FORWARD

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
GRAPH_PAGE = "pages/graph_page.py"

STEP_KEYS: list[str] = [f"forward.{n}" for n in FORWARD] + [f"backward.{n}" for n in BACKWARD]
"""The graph page's steps in order, as in bnviz.lessons.graph."""

LANGS = ("en", "zh")


# --------------------------------------------------------------------------- app driving


def new_app(query: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    """A fresh AppTest of app.py (not yet run), with URL query parameters set; ``timeout``: seconds per run."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def switch_to(at: AppTest, page: str) -> AppTest:
    """Run the app (it opens on its default page), then switch to ``page`` ("pages/<key>_page.py").

    AppTest needs one run of app.py before switch_page, or the page runs without
    the sidebar that app.py draws. URL query parameters set before survive the switch.
    """
    at.run()
    assert_ok(at)
    at.switch_page(page).run()
    assert_ok(at)
    return at


def run_graph(at: AppTest) -> AppTest:
    """Run the app, then switch to the graph page (``switch_to``)."""
    return switch_to(at, GRAPH_PAGE)


def open_page(page: str, lang: str | None = "en", query: dict[str, str] | None = None,
              timeout: float = 60) -> AppTest:
    """A fresh app opened on ``page`` ("pages/<key>_page.py"), ``?lang=`` set in the URL before the first run
    (None: no ``lang`` parameter) and then ``query``; ``timeout``: seconds per run."""
    return switch_to(new_app({**({"lang": lang} if lang else {}), **(query or {})}, timeout), page)


def switch_lang(at: AppTest, lang: str) -> AppTest:
    """Switch the language with the sidebar's segmented control (nothing to do for English)."""
    if lang != "en":
        at.segmented_control(key="lang").set_value(lang).run()
        assert_ok(at)
    return at


def open_app(lang: str = "en", query: dict[str, str] | None = None) -> AppTest:
    """The graph page; the language switched with the sidebar's segmented control."""
    return switch_lang(run_graph(new_app(query)), lang)


def assert_ok(at: AppTest) -> None:
    """No uncaught exception on the page."""
    assert not at.exception, [e.value for e in at.exception]


def stepper_data(at: AppTest, key: str | None = None) -> dict:
    """What the page handed to its stepper element (ui/stepper.py): titles, counters, the current step.

    ``key``: the stepper's URL parameter; None for the page's only stepper.
    """
    found = [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == "bnviz_stepper"]
    found = [d for d in found if key is None or d["param"] == key]
    assert len(found) == 1, f"expected one stepper {key!r}, found {len(found)}"
    return found[0]


def step_number(at: AppTest, key: str | None = None) -> int:
    """The step (1-based) the page shows, as it handed it to the stepper (the browser starts there)."""
    return int(stepper_data(at, key)["n"])


def step_key(at: AppTest) -> str:
    """The key ("forward.mu", ...) of the graph step the page is on."""
    return STEP_KEYS[step_number(at, "step") - 1]


def heading(at: AppTest, key: str | None = None) -> str:
    """The title line the stepper shows for the current step ("<phase> · <title>")."""
    d = stepper_data(at, key)
    return d["titles"][d["n"] - 1]


class StepView:
    """The current step as a learner sees it: its static HTML (a :class:`StepHtml`), then its container."""

    type = None

    def __init__(self, html: str, block) -> None:
        self.children = {0: StepHtml(html), 1: block}


def step_block(at: AppTest, key: str | None = None) -> StepView:
    """The current step: its static HTML (all steps' HTML is one ``bnviz_steps`` element) and its keyed
    container (what it draws with Streamlit itself)."""
    d = stepper_data(at, key)
    return StepView(step_htmls(at)[d["param"]][d["n"] - 1], _step_container(at, d["param"], d["n"]))


class _NoContainer:
    """A step with no container of its own (``stepper(..., html_only=True)``): it draws nothing with Streamlit."""

    type = None
    children: dict = {}


def _step_container(at: AppTest, param: str, n: int):
    try:
        return at.main.get_by_key(f"bnvizstep-{param}-{n}")
    except KeyError:
        return _NoContainer()


class StepHtml:
    """A step's static HTML (``ui.stepper`` draws every step's HTML as one element), read like an element."""

    type = "markdown"
    children: dict = {}

    def __init__(self, value: str) -> None:
        self.value = value


def step_htmls(at: AppTest) -> dict[str, list[str]]:
    """stepper key → every step's static HTML, from the ``bnviz_steps`` elements."""
    out = {}
    for e in at.get("bidi_component"):
        if e.proto.component_name == "bnviz_steps":
            d = json.loads(e.proto.json)
            out[d["prefix"].removeprefix("bnvizstep-")] = d["html"]
    return out


def shown(at: AppTest, kind: str | tuple[str, ...]) -> list:
    """The elements of ``kind`` ("dataframe", "markdown", "info", "plotly_chart", ...) a learner sees: those
    outside every step container, plus those in each stepper's current step (the others are hidden). For
    "markdown" (and "html"), each current step's static HTML is one :class:`StepHtml`, where the steps are."""
    kinds = (kind,) if isinstance(kind, str) else kind
    current = {d["param"]: d["n"] for d in
               (json.loads(e.proto.json) for e in at.get("bidi_component")
                if e.proto.component_name == "bnviz_stepper")}
    found: list = []

    def walk(node) -> None:
        key = node.key if isinstance(node, Block) else None
        if key and key.startswith("bnvizstep-"):
            param, n = key[len("bnvizstep-"):].rsplit("-", 1)
            if current.get(param) != int(n):
                return
        if getattr(node, "type", None) in kinds:
            found.append(node)
        if light and getattr(node, "type", None) == "bidi_component" and node.proto.component_name == "bnviz_steps":
            d = json.loads(node.proto.json)  # every step's HTML: the current one is shown, in page order
            param = d["prefix"].removeprefix("bnvizstep-")
            if param in current and d["html"][current[param] - 1]:
                found.append(StepHtml(d["html"][current[param] - 1]))
        for child in getattr(node, "children", {}).values():
            walk(child)

    light = bool({"markdown", "html"} & set(kinds))
    walk(at.main)
    return found


def go_to_number(at: AppTest, n: int, key: str | None = None) -> AppTest:
    """Stand in for the browser's stepper: it writes ``?<key>=n`` to the URL, and a later rerun reads it."""
    key = key or stepper_data(at)["param"]
    at.query_params[key] = str(n)
    at.run()
    assert_ok(at)
    assert step_number(at, key) == n
    return at


def move(at: AppTest, delta: int, key: str | None = None) -> AppTest:
    """Previous (-1) / Next (+1), stopping at the ends, as the stepper's buttons do."""
    d = stepper_data(at, key)
    return go_to_number(at, max(1, min(d["total"], d["n"] + delta)), d["param"])


def go_to(at: AppTest, key: str) -> AppTest:
    """Move to the graph step ``key`` (as the browser does, through the URL) and rerun."""
    return go_to_number(at, STEP_KEYS.index(key) + 1)


def set_widget(at: AppTest, kind: str, key: str, value) -> AppTest:
    """``at.<kind>(key=key).set_value(value)`` then rerun, checking for exceptions."""
    return rerun(getattr(at, kind)(key=key).set_value(value))


def rerun(widget) -> AppTest:
    """Rerun after a widget change (``widget``: what ``set_value`` / ``click`` / ``input`` returns); no exception."""
    at = widget.run()
    assert_ok(at)
    return at


def rerun_clean(widget) -> AppTest:
    """``rerun``, and no error box on the page either."""
    at = rerun(widget)
    assert not at.error, [e.value for e in at.error]
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def values_table(at: AppTest):
    """The current step's live-values table (the first table in its container) as a DataFrame."""
    found = tables(step_block(at))
    assert len(found) >= 1, "no table in the current step"
    return found[0]


# --------------------------------------------------------------------------- light tables and figures (st.html)


LIGHT = ("html", "markdown")
"""The element kinds that carry bnviz's static HTML (st.html; st.markdown with HTML when it holds an SVG)."""


class _Tables(HTMLParser):
    """Reads bnviz's static tables (bnviz.figures.table): headers, and each cell's exact value (``data-v``)
    or its text; checks that a float cell shows its value to 6 significant digits."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list]]] = []
        self._cell: list[str] | None = None
        self._exact: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("th", "td"):
            self._cell, self._exact = [], a.get("data-v")

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag) -> None:
        if tag not in ("th", "td") or self._cell is None:
            return
        text = "".join(self._cell)
        heads, rows = self.tables[-1]
        if tag == "th":
            heads.append(text)
            rows.pop() if rows and not rows[-1] else None
        elif self._exact is not None:
            assert text == f"{float(self._exact):.6g}", (text, self._exact)
            rows[-1].append(float(self._exact))
        else:
            rows[-1].append(int(text) if text.lstrip("-").isdigit() else text)
        self._cell = None


def tables(node) -> list[pd.DataFrame]:
    """Every table a learner sees in ``node`` (an AppTest or a block), in page order: st.dataframe grids
    and bnviz's static HTML tables, each as a DataFrame."""
    out: list[pd.DataFrame] = []

    def walk(el) -> None:
        if getattr(el, "type", None) == "dataframe":
            out.append(el.value)
        elif getattr(el, "type", None) in LIGHT and 'data-testid="bnviz-table"' in el.value:
            parser = _Tables()
            parser.feed(el.value)
            out.extend(pd.DataFrame(rows, columns=heads) for heads, rows in parser.tables)
        for child in getattr(el, "children", {}).values():
            walk(child)

    for el in shown(node, ("dataframe", *LIGHT)) if isinstance(node, AppTest) else [node]:
        walk(el)
    return out


class _Figures(HTMLParser):
    """Reads bnviz's static SVG figures (bnviz.figures.svg): each trace's ``<g data-trace>`` and the numbers it
    draws, as a Plotly-like spec {"data": [{"type", "name", "x", "y", "z"}]}."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: list[dict] = []

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.specs.append({"data": [], "title": a.get("aria-label", "")})
        elif tag == "g" and "data-trace" in a and self.specs:
            trace = {"type": a["data-trace"]}
            if "data-name" in a:
                trace["name"] = a["data-name"]
            if "data-yaxis" in a:  # the right panel of two side by side
                trace["yaxis"] = a["data-yaxis"]
            for axis in ("x", "y", "z"):
                if f"data-{axis}" in a:
                    trace[axis] = json.loads(a[f"data-{axis}"])
            self.specs[-1]["data"].append(trace)


def svg_specs(htmls) -> list[dict]:
    out: list[dict] = []
    for el in htmls:
        if 'data-testid="bnviz-figure"' in el.value:
            parser = _Figures()
            parser.feed(el.value)
            out.extend(parser.specs)
    return out


def folded(at: AppTest, title_key: str, lang: str) -> StepHtml:
    """The lesson table folded under the catalog text ``title_key`` (``ui.render.lesson_table``: a
    ``<details class="bnviz-details">`` whose ``<summary>`` is the title), read like an element."""
    label = html.escape(t(title_key, lang), quote=True)
    found, titles = [], []
    for e in shown(at, LIGHT):
        for title, body in re.findall(r'<details class="bnviz-details"[^>]*><summary>(.*?)</summary>(.*?)</details>',
                                      str(e.value), re.S):
            titles.append(html.unescape(title))
            if title == label:
                found.append(StepHtml(body))
    assert found, f"no folded table {t(title_key, lang)!r}; have {titles}"
    return found[0]


# --------------------------------------------------------------------------- plotly


def decode(arr):
    """A Plotly data array as a NumPy array: plain lists or Plotly's {"dtype", "bdata"[, "shape"]}."""
    if isinstance(arr, dict) and "bdata" in arr:
        out = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        shape = arr.get("shape")
        if shape is not None:
            if isinstance(shape, str):
                shape = [int(s) for s in shape.split(",")]
            out = out.reshape(shape)
        return out.astype(float)
    return np.asarray(arr, dtype=float)


def plotly_specs(at) -> list[dict]:
    """Every figure a learner sees on the page (or in one block): each st.plotly_chart's figure JSON parsed,
    then each static SVG figure read back (``svg_specs``)."""
    kinds = ("plotly_chart", *LIGHT)
    found = shown(at, kinds) if isinstance(at, AppTest) else _in_order(at, kinds)
    return [s for el in found for s in ([json.loads(el.proto.spec)] if el.type == "plotly_chart" else svg_specs([el]))]



def _in_order(block, kinds: tuple[str, ...]) -> list:
    found: list = []

    def walk(node) -> None:
        if getattr(node, "type", None) in kinds:
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(block)
    return found


def is_paths_chart(spec: dict) -> bool:
    types = [tr.get("type") for tr in spec.get("data", [])]
    return sorted(types) == ["bar", "bar", "bar", "scatter"]


# --------------------------------------------------------------------------- independent oracle


def batch(seed: int = 0, m: int = 8, d: int = 3, dist: str = "normal") -> np.ndarray:
    """The random x the sidebar describes: NumPy's generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    if dist == "normal":
        return rng.standard_normal((m, d))
    if dist == "shifted":
        return 5.0 + 3.0 * rng.standard_normal((m, d))
    if dist == "uniform":
        return rng.uniform(-2.0, 2.0, (m, d))
    if dist == "skewed":
        return rng.lognormal(0.0, 1.0, (m, d))
    raise ValueError(dist)


def upstream(x: np.ndarray, seed: int = 0, kind: str = "random") -> np.ndarray:
    """The upstream gradient ∂L/∂y: N(0, 1) from seed + 1, or all ones."""
    if kind == "ones":
        return np.ones_like(x)
    return np.random.default_rng(seed + 1).standard_normal(x.shape)


def bn_reference(x, dout, gamma=1.0, beta=0.0, eps=1e-5) -> dict[str, np.ndarray]:
    """Training-mode BN forward and the closed-form ∂L/∂x (Ioffe & Szegedy; cs231n), per column."""
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    y = gamma * xhat + beta
    dxhat = dout * gamma
    dx = (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (m * std)
    return {"mu": mu, "var": var, "std": std, "xhat": xhat, "y": y, "dx": dx,
            "dgamma": (dout * xhat).sum(axis=0), "dbeta": dout.sum(axis=0)}
