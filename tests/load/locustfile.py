"""Locust: simulated learners (tests/load/learner.py) against a bnviz server or nginx.

    python -m locust -f tests/load/locustfile.py --headless -u 50 -r 5 -t 3m \
        --host http://127.0.0.1:8501 --think 3 --stall 10

or ``scripts/loadtest.sh`` (runs this, then prints p95, errors, stalls and the
server's memory). Every action a learner sends is a Locust request event of
type ``WS`` named after the action (open, reconnect, slider_m, slider_gamma,
lesson_slider, step): Locust's statistics give p50 / p95 per action. A failure's
message starts with ``error`` or ``stall`` (see learner.LearnerError).
"""

from __future__ import annotations

import os
import random
import sys

from locust import User, events, task

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learner import LESSONS, Learner, LearnerError, Outcome  # noqa: E402


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--think", type=float, default=3.0, help="mean think time between actions, seconds")
    parser.add_argument("--stall", type=float, default=10.0, help="seconds without script_finished = a stall")
    parser.add_argument("--lessons", default=",".join(LESSONS), help="comma-separated lesson paths to start on")


class LearnerUser(User):
    """One learner: opens a lesson, then moves sliders and steps with exponential think times."""

    def wait_time(self) -> float:
        return 0.0  # the think time is spent in ``act``, reading the websocket (Learner.think)

    def _opt(self, name: str, default):
        opts = self.environment.parsed_options
        return getattr(opts, name, default) if opts is not None else default

    def on_start(self) -> None:
        lessons = [p for p in str(self._opt("lessons", ",".join(LESSONS))).split(",") if p]
        self.learner = Learner(self.host, random.choice(lessons), timeout=self._opt("stall", 10.0),
                               on_outcome=self._report)
        self.learner.open()

    def on_stop(self) -> None:
        self.learner.close()

    @task
    def act(self) -> None:
        self.learner.think(random.expovariate(1.0 / self._opt("think", 3.0)))
        if self.learner.ws is None:  # closed by an error: reconnect and reopen the same view, as the page does
            self.learner.open("reconnect")
            return
        self.learner.act()

    def _report(self, out: Outcome) -> None:
        exc = LearnerError(out.error, out.detail.splitlines()[0][:120] if out.detail else "") if out.error else None
        self.environment.events.request.fire(request_type="WS", name=out.action, response_time=out.ms,
                                             response_length=0, exception=exc, context={})
