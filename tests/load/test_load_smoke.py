"""Load smoke: 2 replicas behind nginx (scripts/serve.sh), 20 simulated learners for 30 s.

Checks: no errors, no stalls, every learner stays on one replica (nginx's
X-Bnviz-Upstream header on each websocket handshake) and both replicas serve
some; then one replica is killed (SIGKILL, a crash) and each of its learners
reconnects through nginx to the other and gets the same view: the same page,
the same query string, and the URL-bound widgets showing the URL's values.
No timing is asserted (the machine is shared); only counts and identities.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time

import pytest
from learner import Learner, Outcome
from stack import Stack

LEARNERS = 20
SECONDS = 30.0
THINK_S = 1.5
STALL_S = 20.0
"""Generous: the suite shares 2 cores with other work; a stall here means a session that never finishes."""
LESSONS = ("/graph?m=5&step=3", "/graph?step=12&lang=zh", "/saturation?m=16", "/pool", "/conv?m=4")

pytestmark = pytest.mark.load


def _bound_values_off_url(learner: Learner) -> list[str]:
    """URL-bound sliders whose shown value differs from the URL's (empty when the view matches)."""
    query = learner.view().query
    wrong = []
    for key, w in learner.widgets.items():
        param = getattr(w.proto, "query_param_key", "")
        if w.kind == "slider" and param and param in query and w.value is not None:
            if abs(w.value[0] - float(query[param][0])) > 1e-9:
                wrong.append(f"{key}: shows {w.value[0]}, URL {query[param][0]}")
    return wrong


def _drive(learner: Learner, until: float, seed: int) -> None:
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, 4))  # arrivals spread over a few seconds, as a class would
    learner.open()
    while time.monotonic() < until:
        learner.think(min(rng.expovariate(1 / THINK_S), max(0.0, until - time.monotonic())))
        if time.monotonic() >= until:
            break
        if learner.ws is None:
            learner.open("reconnect")
        else:
            learner.act()


def test_two_replicas_sticky_and_failover(tmp_path):
    assert shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"), "nginx missing: run scripts/test.sh"
    with Stack(tmp_path / "stack", replicas=2) as stack:
        assert len(stack.replica_pids) == 2, stack.log()
        for addr in stack.replica_pids:  # warm each replica's caches directly, as a deployment would
            for path in LESSONS:
                warm = Learner(f"http://{addr}", path, timeout=120)
                assert warm.open().error is None, stack.log()
                warm.close()

        learners = [Learner(stack.url, LESSONS[i % len(LESSONS)], timeout=STALL_S, rng=random.Random(i))
                    for i in range(LEARNERS)]
        until = time.monotonic() + SECONDS
        threads = [threading.Thread(target=_drive, args=(lr, until, i), daemon=True) for i, lr in enumerate(learners)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(SECONDS + 3 * STALL_S)
        assert not any(th.is_alive() for th in threads), "a learner never came back"

        outcomes: list[Outcome] = [o for lr in learners for o in lr.outcomes]
        failed = [o for o in outcomes if o.error]
        assert not failed, f"{len(failed)} of {len(outcomes)} actions failed: {failed[:5]}\n{stack.log()}"
        assert len(outcomes) >= 2 * LEARNERS, "the learners hardly acted"
        assert all(len(lr.upstreams) == 1 for lr in learners), [lr.upstreams for lr in learners]
        by_replica: dict[str, list[Learner]] = {}
        for lr in learners:
            by_replica.setdefault(lr.upstreams[0], []).append(lr)
        assert set(by_replica) == set(stack.replica_pids), f"not both replicas served: {list(by_replica)}"

        victim, survivor = sorted(by_replica, key=lambda a: -len(by_replica[a]))
        views = {id(lr): lr.view() for lr in by_replica[victim]}
        stack.kill_replica(victim)
        for lr in by_replica[victim]:
            out = lr.open("reconnect")  # what the page does when its websocket closes
            assert out.error is None, f"{out}\n{stack.log()}"
            assert lr.upstreams[-1] == survivor, lr.upstreams
            assert lr.view() == views[id(lr)], (lr.view(), views[id(lr)])
            assert not _bound_values_off_url(lr)
        for lr in by_replica[survivor]:  # the other replica's learners go on as before
            out = lr.act() or lr.open("reconnect")
            assert out.error is None and lr.upstreams[-1] == survivor, (out, lr.upstreams)
