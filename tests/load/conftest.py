"""The load smoke test runs in the normal `pytest` run; the marker only names it (`-m load` / `-m "not load"`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config):
    config.addinivalue_line("markers", "load: simulated learners against replicas behind nginx (scripts/serve.sh)")
