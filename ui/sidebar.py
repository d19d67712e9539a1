"""The shared sidebar: every setting, kept in the URL's query parameters.

Numbers are bound with Streamlit's ``bind="query-params"``. Choice widgets
show translated labels, and a bound widget would put the label into the URL
(``?dist=均匀分布 U(−2, 2)``); so the choices (lang, dist, upstream, eps) are
synced by hand with their codes (``?dist=uniform``): read once when the
session starts, written back on every run.

The typed batches (x_text, dout_text) are synced by hand too: a bound text
area copies whatever it holds into the address, and past ~128 000 characters
the server refuses the URL (HTTP 400), so a shared link would break. Here a
text goes into the URL only while the texts together fit in
``bnviz.limits.URL_MAX_CHARS``; a longer one is left out, a sentence says so
and the batch is offered as a file (to load back with the uploader).
"""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import fields

import streamlit as st

from bnviz import data
from bnviz.course import BATCH, lesson
from bnviz.i18n import LANG_NAMES, LANGS, InputError, escape_markdown, t
from bnviz.limits import MAX_TEXT_CHARS, MAX_UPLOAD_BYTES, URL_MAX_CHARS
from bnviz.settings import DEFAULTS, DISTRIBUTIONS, EPS_CHOICES, LIMITS, UPSTREAMS, Settings
from ui import address

BIND = "query-params"
TEXTS = ("x_text", "dout_text")
CHOICES: dict[str, tuple] = {"lang": LANGS, "dist": DISTRIBUTIONS, "upstream": UPSTREAMS, "eps": EPS_CHOICES}
"""Settings synced with the URL by their code rather than their label."""


def _eps_label(v: float) -> str:
    return f"{v:g}"


def _from_url(key: str, raw: str) -> object | None:
    """The option whose code is ``raw``, or None (a bad URL value is ignored)."""
    for option in CHOICES[key]:
        if raw == str(option) or (isinstance(option, float) and _same_float(raw, option)):
            return option
    return None


def _same_float(raw: str, option: float) -> bool:
    try:
        return float(raw) == option
    except ValueError:
        return False


NUMBERS: dict[str, type] = {"m": int, "d": int, "gamma": float, "beta": float, "seed": int}
"""Numeric settings bound to the URL and their types (ranges: ``bnviz.limits.LIMITS``)."""


def bad_number(key: str, raw: str) -> bool:
    """Is ``raw`` not a number of ``key``'s type inside its range (what the bound widget would drop)?"""
    kind, (lo, hi) = NUMBERS[key], LIMITS[key]
    try:
        value = kind(raw)
    except (TypeError, ValueError, OverflowError):
        return True
    return not (math.isfinite(value) and lo <= value <= hi)


def ignored_url_values(params: dict[str, str]) -> list[str]:
    """The names of the URL settings in ``params`` that are not valid values (in Settings' order)."""
    bad = []
    for key, raw in params.items():
        if key in CHOICES and _from_url(key, raw) is None:
            bad.append(key)
        elif key in NUMBERS and bad_number(key, raw):
            bad.append(key)
        elif key in TEXTS and len(raw) > MAX_TEXT_CHARS:
            bad.append(key)
    order = [f.name for f in fields(Settings)]
    return sorted(bad, key=order.index)


def _seed_choices() -> None:
    """Before the sidebar is drawn: on the session's first run, take the choices from the URL (else the
    defaults) and note which URL values are bad, before any bound widget drops them silently.

    On a later run a choice whose state Streamlit dropped (a page change that interrupts a run clears the
    widgets the browser had not reported yet) is taken again from the browser's address, so the page does
    not fall back to English halfway through a lesson.
    """
    first = not st.session_state.get("_choices_seeded")
    if first:
        st.session_state["_choices_seeded"] = True
        params = {k: st.query_params.get(k) for k in st.query_params}
        st.session_state["_url_ignored"] = ignored_url_values(params)
        known = {f.name for f in fields(Settings)}
        st.session_state["_url_pending"] = {k: v for k, v in params.items() if k not in known}
    for key in CHOICES:
        if not first and st.session_state.get(key) is not None:
            continue
        raw = address.param(key)
        value = _from_url(key, raw) if raw is not None else None
        st.session_state[key] = value if value is not None else getattr(DEFAULTS, key)


def _same_value(raw: str, value: object) -> bool:
    """Does the URL text ``raw`` describe ``value`` (what the widget holds after reading it)?"""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return not isinstance(value, str) or raw == value  # only numbers and plain text are compared
    try:
        return float(raw) == float(value)
    except ValueError:
        return False


def check_page_url_values() -> None:
    """After a page ran: a lesson control whose URL value its widget dropped joins the ignored names
    (checked once, on the first run that draws the control), with the value used instead."""
    pending: dict[str, str] = st.session_state.get("_url_pending") or {}
    for key in [k for k in pending if k in st.session_state]:
        raw, value = pending.pop(key), st.session_state[key]
        if not _same_value(raw, value):
            st.session_state.setdefault("_url_page_ignored", {})[key] = value


def show_ignored(container, lang: str) -> None:
    """The catalog's one sentence naming every ignored URL setting and the value used instead."""
    names = list(st.session_state.get("_url_ignored") or [])
    used = {n: _default_label(n) for n in names}
    for key, value in (st.session_state.get("_url_page_ignored") or {}).items():
        names.append(key)
        used[key] = f"{value:g}" if isinstance(value, float) else str(value)
    if names:
        defaults = ", ".join(f"{n} = {used[n]}" for n in names)
        container.warning(t("sidebar.ignored", lang, names=escape_markdown(", ".join(names)),
                            defaults=escape_markdown(defaults)))


def _default_label(name: str) -> str:
    value = getattr(DEFAULTS, name)
    return "" if value == "" else f"{value:g}" if isinstance(value, float) else str(value)


def _write_choices(s: Settings) -> None:
    for key in CHOICES:
        value = getattr(s, key)
        if value == getattr(DEFAULTS, key):
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def url_length(text: str) -> int:
    """How many characters ``text`` takes in the URL's query string (percent-encoded)."""
    return len(urllib.parse.quote_plus(text))


def _load_file(key: str, what: str) -> None:
    """The uploader's callback: the file's batch becomes the text area's text (before it is drawn)."""
    upload = st.session_state.get(f"{key}_file")
    st.session_state.pop(f"{key}_file_error", None)
    if upload is None:
        return
    try:
        arr = data.matrix_from_bytes(upload.name, upload.getvalue(), what, MAX_UPLOAD_BYTES)
    except InputError as err:
        st.session_state[f"{key}_file_error"] = err
        return
    st.session_state[key] = data.matrix_text(arr)


TEXT_DEFAULTS = {"x_text": "1, 2\n3, 5\n4, 0", "dout_text": "1, 0\n0, 1\n-1, 1"}
"""The typed batches' texts before the learner types (shown when "my own values" is picked)."""
TEXT_CHOICE = {"x_text": "dist", "dout_text": "upstream"}
"""Each typed batch and the choice that shows it (when set to "custom")."""


def _seed_text(key: str) -> None:
    """Before a batch text area is drawn: its text from the URL (within the text limit), else the default.
    (Unbound: the widget forgets its text while hidden, and takes it back from here.)"""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    st.session_state[key] = raw if raw is not None and len(raw) <= MAX_TEXT_CHARS else TEXT_DEFAULTS[key]


def url_texts(state) -> dict[str, int]:
    """The typed batches that go into the URL (key -> its URL-encoded length), in order (x first), while
    together within :data:`URL_MAX_CHARS`; a default text or a hidden one needs no place in the URL."""
    kept, used = {}, 0
    for key, choice in TEXT_CHOICE.items():
        text = state.get(key) or ""
        if state.get(choice) != "custom" or text == TEXT_DEFAULTS[key]:
            continue
        chars = url_length(text)
        if used + chars <= URL_MAX_CHARS:
            kept[key] = chars
            used += chars
    return kept


def _write_texts() -> None:
    """The typed batches into the URL where they fit (``url_texts``), out of it otherwise."""
    kept = url_texts(st.session_state)
    for key in TEXT_CHOICE:
        if key not in kept:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != st.session_state[key]:
            st.query_params[key] = st.session_state[key]


def batch_file(container, key: str, what: str, lang: str) -> None:
    """Under a batch text area: a file uploader (size-limited, parsed like the CLI's files, never
    unpickled); when the text is too long for a link (alone or beside the other typed batch), a sentence
    saying so and the batch as a file."""
    container.file_uploader(t("url.upload", lang, limit=MAX_UPLOAD_BYTES), type=["csv", "txt", "npy"],
                            key=f"{key}_file", on_change=_load_file, args=(key, what))
    err = st.session_state.get(f"{key}_file_error")
    if err is not None:
        container.error(err.message(lang, escape=escape_markdown))
    text = st.session_state.get(key) or ""
    if text == TEXT_DEFAULTS[key] or key in url_texts(st.session_state):
        return
    chars = url_length(text)
    if chars > URL_MAX_CHARS:
        container.warning(t("url.too_long", lang, chars=chars, limit=URL_MAX_CHARS))
    else:
        container.warning(t("sees2.url.too_long_both", lang, chars=chars, limit=URL_MAX_CHARS))
    container.download_button(t("url.download", lang), text, file_name=f"{what}.csv", mime="text/csv",
                              key=f"{key}_download", on_click="ignore")


def language() -> str:
    """Draw the language control (first in the sidebar) and return its code."""
    _seed_choices()
    return st.sidebar.segmented_control(t("app.language", st.session_state.get("lang") or "en"), LANGS,
                                        format_func=LANG_NAMES.get, key="lang") or DEFAULTS.lang


def render(current: str = "home", lang: str | None = None) -> Settings:
    """Draw the sidebar widgets and return the settings they hold.

    ``current``: the lesson shown (``st.navigation`` runs first). The settings it does not use
    (``Lesson.uses``) are drawn folded away in an expander that says why; they keep their values.
    ``lang``: from :func:`language` when it was drawn already (else drawn here).
    """
    lang = lang or language()
    sb = st.sidebar
    sb.header(t("sidebar.header", lang))
    uses = set(lesson(current).uses)
    used_box = sb.container()
    unused_box = None
    if set(BATCH) - uses:
        unused_box = sb.expander(t("sees.sidebar.unused", lang))
        unused_box.caption(t("sees.sidebar.unused_why" if uses else "sees.sidebar.none_used", lang))

    def box(name: str):
        return used_box if name in uses else unused_box

    lo, hi = LIMITS["m"]
    box("m").slider(t("sidebar.m", lang), int(lo), int(hi), DEFAULTS.m, key="m", bind=BIND)
    lo, hi = LIMITS["d"]
    box("d").slider(t("sidebar.d", lang), int(lo), int(hi), DEFAULTS.d, key="d", bind=BIND)
    lo, hi = LIMITS["gamma"]
    box("gamma").slider(t("sidebar.gamma", lang), lo, hi, DEFAULTS.gamma, 0.1, key="gamma", bind=BIND)
    lo, hi = LIMITS["beta"]
    box("beta").slider(t("sidebar.beta", lang), lo, hi, DEFAULTS.beta, 0.1, key="beta", bind=BIND)
    box("eps").select_slider(t("sidebar.eps", lang), EPS_CHOICES, format_func=_eps_label, key="eps")
    lo, hi = LIMITS["seed"]
    # not bound to a bad URL value: Streamlit's number_input reads ?seed=inf with int(), which raises
    seed_bind = None if "seed" in (st.session_state.get("_url_ignored") or ()) else BIND
    box("seed").number_input(t("sidebar.seed", lang), int(lo), int(hi), DEFAULTS.seed, 1, key="seed", bind=seed_bind)
    dist = box("dist").selectbox(t("sidebar.dist", lang), DISTRIBUTIONS, format_func=lambda k: t(f"dist.{k}", lang),
                                 key="dist")
    if dist == "custom":
        _seed_text("x_text")
        box("dist").text_area(t("sidebar.x_text", lang), key="x_text", max_chars=MAX_TEXT_CHARS)
        batch_file(box("dist"), "x_text", "x", lang)
    upstream = box("upstream").selectbox(t("sidebar.upstream", lang), UPSTREAMS,
                                         format_func=lambda k: t(f"upstream.{k}", lang), key="upstream")
    if upstream == "custom":
        _seed_text("dout_text")
        box("upstream").text_area(t("sidebar.dout_text", lang), key="dout_text", max_chars=MAX_TEXT_CHARS)
        batch_file(box("upstream"), "dout_text", "dout", lang)
    state = st.session_state
    settings = Settings(**{
        f.name: state.get(f.name, getattr(DEFAULTS, f.name)) if f.name != "lang" else lang
        for f in fields(Settings)
    })
    _write_choices(settings)
    _write_texts()
    if {"m", "d"} & uses:
        used_box.caption(batch_used(settings, lang))
    return settings


def batch_used(s: Settings, lang: str) -> str:
    """The sentence naming the batch a lesson really uses: the typed one's m and D with "my own values"."""
    if s.dist != "custom":
        return t("sees.sidebar.used", lang, m=s.m, d=s.d)
    try:
        rows = data.parse_matrix(s.x_text, "x")
    except InputError:
        return t("sees.sidebar.used", lang, m="?", d="?")
    return t("sees.sidebar.used_custom", lang, m=rows.shape[0], d=rows.shape[1] if rows.ndim > 1 else 1)


def current() -> Settings:
    """The settings drawn by ``render`` in this run (pages call this)."""
    return st.session_state["_settings"]
