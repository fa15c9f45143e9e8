#!/usr/bin/env bash
# Installs everything the test suite needs: the package with its test extras in .venv, Debian's
# Chromium for the browser tests, and the JavaScript clients of the interoperability tests (from
# their lock file).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
# Browser tests drive Debian's Chromium (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
if [ -f tests/interop/package-lock.json ]; then
  (cd tests/interop && npm ci --silent --no-audit --no-fund)
fi
