#!/usr/bin/env bash
# The one test command: installs what the tests need, then lints and runs every test.
#
#   ./scripts/test.sh            # ruff + all of tests/ (unit, AppTest, real browser)
#   ./scripts/test.sh -k zh -x   # extra arguments go to pytest
#
# Works on a fresh Debian machine with Python 3.11 and pip. What the tests
# need from Debian, when missing, is installed with apt-get (needs root, as in
# CI): chromium (the browser tests drive /usr/bin/chromium), pdflatex with
# the CJK package and a Chinese font (the LaTeX export must compile),
# node + npm (KaTeX checks the Markdown export's math), nginx (the load smoke
# test runs scripts/serve.sh: replicas behind nginx), and the fonts of the
# screenshots (CJK, emoji). It never runs `playwright install`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python}"

echo "== pip install -r requirements-dev.txt"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt

apt_packages=()
required=()
if [ ! -x /usr/bin/chromium ]; then
    required+=(chromium)
fi
if ! command -v pdflatex >/dev/null 2>&1 || ! kpsewhich CJKutf8.sty >/dev/null 2>&1 \
        || ! kpsewhich c70gbsn.fd >/dev/null 2>&1; then
    required+=(texlive-latex-base latex-cjk-chinese latex-cjk-chinese-arphic-gbsn00lp)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    required+=(nodejs npm)
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    required+=(nginx)
fi
apt_packages+=("${required[@]}")
# Fonts only change how the pages look in the screenshots (artifacts/): CJK for 简体中文,
# colour emoji for the page icons.
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
    apt_packages+=(fonts-wqy-microhei)
fi
if ! { command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi emoji; }; then
    apt_packages+=(fonts-noto-color-emoji)
fi
if [ "${#apt_packages[@]}" -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
    if [ "${#required[@]}" -gt 0 ]; then
        echo "error: the tests need ${required[*]}; installing them needs root:" >&2
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

echo "== npm ci (KaTeX, for the Markdown export's math)"
npm ci --prefix tests/katex --no-audit --no-fund --loglevel=error

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
