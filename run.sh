#!/usr/bin/env bash
# Runs the bot: the terminal chat on SQLite when no BOT_TOKEN is set, Telegram when it is.
# Extra arguments go to `python -m bot run` (e.g. --framework ptb).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
if [ -f .env ] && grep -q '^BOT_TOKEN=.\+' .env || [ -n "${BOT_TOKEN:-}" ]; then
  exec .venv/bin/python -m bot run "$@"
fi
exec .venv/bin/python -m bot chat
