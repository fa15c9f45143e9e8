#!/usr/bin/env bash
# Installs everything the test suite needs: the package with its test extras in .venv and the
# JavaScript clients used by the interoperability tests (from their lock file).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
if [ -f tests/interop/package-lock.json ]; then
  (cd tests/interop && npm ci --silent --no-audit --no-fund)
fi
