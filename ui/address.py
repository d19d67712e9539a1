"""The address the browser sent with this rerun, read beside Streamlit's own copy of the query string.

Streamlit's ``st.query_params`` is the server's copy, written by the page and by bound widgets; a session
that starts afresh (a reconnect) or a run that follows client-side stepping may see an older copy. The
browser's own address, sent with every rerun, is what the learner sees in the address bar.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import streamlit as st


def browser_param(key: str) -> str | None:
    """``key`` from the browser's address ("" when absent there; None outside a browser, e.g. AppTest)."""
    from streamlit.runtime.context import _context_info_field

    url = _context_info_field("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get(key)
    return values[-1] if values else ""


def param(key: str) -> str | None:
    """``key`` as the learner's address bar has it, else as Streamlit's copy has it (None when absent)."""
    raw = browser_param(key)
    return raw if raw else st.query_params.get(key)
