#!/usr/bin/env bash
# Runs every check CI runs: set-up from nothing, lint, content validation, the test suite.
set -uo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --with-browser || exit 1
.venv/bin/python -m ruff check bot tests benchmarks || exit 1
.venv/bin/lint-imports || exit 1
.venv/bin/python -m bot check || exit 1
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
exit "$code"
