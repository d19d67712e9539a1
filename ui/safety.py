"""The one safety net around every page: an unexpected error becomes a sentence, never a traceback.

``app.py`` runs the page through :func:`guarded`. Streamlit's own control
flow (``st.stop()``, ``st.rerun()``, ``st.switch_page()``) raises
``ScriptControlException``, a ``BaseException``, so it passes through
untouched. Any other exception is logged with its traceback on the server
(logger ``bnviz``) and the visitor reads a translated sentence: what
happened, that the rest of the app still works, and what to report (a short
reference that is also in the server log).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st

from bnviz.i18n import InputError, escape_markdown, t

LOG = logging.getLogger("bnviz")


def report_unexpected(err: Exception, page: str, lang: str) -> str:
    """Log ``err`` with its traceback, show the sentence; returns the reference shown."""
    ref = secrets.token_hex(4)
    LOG.error("unexpected error on page %s (ref %s)", page, ref, exc_info=err)
    st.error(t("safety.unexpected", lang, page=escape_markdown(page), kind=type(err).__name__, ref=ref))
    return ref


def guarded(run: Callable[[], object], page: str, lang: str) -> None:
    """Run one page; an InputError that escaped its page is shown as its sentence, anything else
    as :func:`report_unexpected`. Script control (stop, rerun, switch page) passes through."""
    try:
        run()
    except InputError as err:
        st.error(err.message(lang, escape=escape_markdown))
    except Exception as err:  # noqa: BLE001 - the net: everything else is logged and explained
        report_unexpected(err, page, lang)
