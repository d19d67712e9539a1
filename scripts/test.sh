#!/usr/bin/env bash
# The one test command: installs what the tests need, then lints and runs every test.
#
#   ./scripts/test.sh            # ruff + all of tests/ (unit, AppTest, real browser)
#   ./scripts/test.sh -k zh -x   # extra arguments go to pytest
#
# Works on a fresh Debian machine with Python 3.11 and pip. When Debian's
# chromium (the browser tests drive /usr/bin/chromium) or a CJK font (for the
# Chinese page) is missing it installs them with apt-get, which needs root,
# as in CI. It never runs `playwright install`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python}"

echo "== pip install -r requirements-dev.txt"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt

apt_packages=()
if [ ! -x /usr/bin/chromium ]; then
    apt_packages+=(chromium)
fi
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
    apt_packages+=(fonts-wqy-microhei)
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
    echo "== apt-get install ${apt_packages[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: installing ${apt_packages[*]} needs root; run as root or install them yourself" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${apt_packages[@]}" fontconfig >/dev/null
fi

echo "== ruff check ."
"$PYTHON" -m ruff check .

echo "== pytest"
exec "$PYTHON" -m pytest -q "$@"
