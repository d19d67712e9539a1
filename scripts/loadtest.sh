#!/usr/bin/env bash
# Simulated learners (Locust, Streamlit's websocket protocol) against bnviz; prints p95, errors, stalls, RSS.
#
#   ./scripts/loadtest.sh --users 50 --seconds 180                # one streamlit process, started here
#   ./scripts/loadtest.sh --replicas 2 --users 100 --seconds 180  # scripts/serve.sh: 2 replicas behind nginx
#   ./scripts/loadtest.sh --url http://127.0.0.1:8080 --pid 1234 --users 50   # a server already running
#
# Options: --think S (mean think time, default 3), --stall S (default 10), --lessons /graph?m=5,/pool
# See tests/load/run.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec "${PYTHON:-python}" tests/load/run.py "$@"
