#!/usr/bin/env bash
# Runs the bot after installing what it needs.
#   ./run.sh            terminal chat on SQLite when no BOT_TOKEN is set; Telegram when it is
#   ./run.sh web [...]  the web chat (python -m bot web, default http://127.0.0.1:8080)
#   ./run.sh console [...]  the staff console (python -m bot console, default http://127.0.0.1:8081)
#   ./run.sh chat       the terminal chat even when a token is configured
# Other arguments go to `python -m bot run` (e.g. --framework ptb).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
case "${1:-}" in
  web) shift; exec .venv/bin/python -m bot web "$@" ;;
  console) shift; exec .venv/bin/python -m bot console "$@" ;;
  chat) shift; exec .venv/bin/python -m bot chat "$@" ;;
esac
if [ -n "${BOT_TOKEN:-}" ] || { [ -f .env ] && grep -q '^BOT_TOKEN=.\+' .env; }; then
  exec .venv/bin/python -m bot run "$@"
fi
exec .venv/bin/python -m bot chat
