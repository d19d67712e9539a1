"""Fixtures of the Streamlit AppTest tests; the helpers live in app_helpers.py."""

from __future__ import annotations

import pytest
from app_helpers import LANGS, open_app
from streamlit.testing.v1 import AppTest


@pytest.fixture
def at_en() -> AppTest:
    """The app with default settings, run once, in English."""
    return open_app("en")


@pytest.fixture(params=LANGS)
def lang(request) -> str:
    return request.param
