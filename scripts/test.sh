#!/usr/bin/env bash
# The one test command: installs what the tests need, then lints and runs every test.
#
#   ./scripts/test.sh            # ruff + all of tests/ (unit, AppTest, real browser)
#   ./scripts/test.sh -k zh -x   # extra arguments go to pytest
#
# Works on a fresh Debian machine with Python 3.11 and pip. When Debian's
# chromium (the browser tests drive /usr/bin/chromium) or the fonts of the
# screenshots (CJK, emoji) are missing, it installs them with apt-get, which
# needs root, as in CI. It never runs `playwright install`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python}"

echo "== pip install -r requirements-dev.txt"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt

apt_packages=()
if [ ! -x /usr/bin/chromium ]; then
    apt_packages+=(chromium)
fi
# Fonts only change how the pages look in the screenshots (artifacts/): CJK for 简体中文,
# colour emoji for the page icons.
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
    apt_packages+=(fonts-wqy-microhei)
fi
if ! { command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi emoji; }; then
    apt_packages+=(fonts-noto-color-emoji)
fi
if [ "${#apt_packages[@]}" -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
    if [ ! -x /usr/bin/chromium ]; then
        echo "error: the browser tests need /usr/bin/chromium; installing it needs root:" >&2
        echo "  apt-get update && apt-get install -y ${apt_packages[*]}" >&2
        exit 1
    fi
    echo "warning: not root, so not installing ${apt_packages[*]} (screenshots may lack glyphs)" >&2
    apt_packages=()
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
    echo "== apt-get install ${apt_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${apt_packages[@]}" fontconfig >/dev/null
fi

# Lint and tests both run, so a lint error does not hide the test results; either fails the script.
echo "== ruff check ."
ruff_status=0
"$PYTHON" -m ruff check . || ruff_status=$?

echo "== pytest"
pytest_status=0
"$PYTHON" -m pytest -q "$@" || pytest_status=$?

if [ "$ruff_status" -ne 0 ]; then
    echo "ruff check failed (status $ruff_status)" >&2
fi
if [ "$pytest_status" -ne 0 ]; then
    exit "$pytest_status"
fi
exit "$ruff_status"
