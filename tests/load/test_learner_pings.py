"""The simulated learner answers the server's websocket pings while it thinks, as a browser does.

uvicorn (Streamlit's server) pings every ``server.websocketPingInterval`` seconds
and closes a socket whose pong does not come within as long again. A learner
that slept through that was cut off and its next action failed with
``BrokenPipeError``: 1-4 "errors" per load test that were the test client's, not
the app's. Here the interval is 2 s: 10 s unread loses the socket, 10 s of thinking
(``Learner.think``) keeps it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from learner import Learner

from bench.server import streamlit_server

pytestmark = pytest.mark.load


def test_a_thinking_learner_keeps_its_socket_and_a_sleeping_one_loses_it(tmp_path: Path) -> None:
    with streamlit_server(tmp_path / "server.log", extra=["--server.websocketPingInterval", "2"]) as url:
        asleep, thinking = Learner(url, "/saturation", timeout=120), Learner(url, "/saturation", timeout=120)
        for learner in (asleep, thinking):
            opened = learner.open()
            assert opened.error is None, opened
        thinking.think(10)  # meanwhile nobody reads the other learner's socket for those 10 s
        lost = asleep.move_slider("gamma", "slider_gamma")
        kept = thinking.move_slider("gamma", "slider_gamma")
        assert lost is not None and lost.error == "error", lost
        assert kept is not None and kept.error is None, kept
