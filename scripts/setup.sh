#!/usr/bin/env bash
# Installs everything the project needs, from nothing, into .venv (idempotent and quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "setup: python3 (3.11+) is required" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
mkdir -p var
# Browser tests of the web chat use Debian's Chromium (never a downloaded browser build); CJK and
# emoji fonts make their screenshots legible. Installed only for the tests (--with-browser), only when
# missing, and only when running as root.
if [ "${1:-}" = "--with-browser" ] && { ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
    || ! fc-list : family 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium, chromium-driver and fonts with apt-get" >&2
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }; then
      echo "setup: could not install Chromium; the browser tests will be skipped" >&2
    fi
  else
    echo "setup: Chromium is missing and cannot be installed here (needs root and apt-get);" \
      "the browser tests will be skipped" >&2
  fi
fi
