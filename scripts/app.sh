#!/usr/bin/env bash
# Install the runtime requirements and start the app (extra arguments go to `streamlit run`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python}"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r requirements.txt
exec "$PYTHON" -m streamlit run app.py "$@"
