"""``python -m bot run``: clear one-line errors instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.botproc import free_port
from tests.support.helpers import PROJECT_ENV


def run_bot(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=PROJECT_ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "WARNING"} | env,
    )


def assert_one_clear_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0]
    return errors[0]


def test_run_without_a_token_says_so_in_one_line(tmp_path):
    proc = run_bot(tmp_path)
    assert proc.returncode == 2
    assert_one_clear_line(proc, "BOT_TOKEN")


def test_run_with_a_malformed_token_names_the_variable(tmp_path):
    proc = run_bot(tmp_path, BOT_TOKEN="not a token")
    assert proc.returncode == 2
    assert_one_clear_line(proc, "BOT_TOKEN")


def test_run_rejects_an_api_url_without_scheme(tmp_path):
    proc = run_bot(tmp_path, "--api-url", "localhost:8081", BOT_TOKEN="123456:TEST")
    assert proc.returncode == 2
    assert_one_clear_line(proc, "--api-url")


def test_unreachable_bot_api_is_one_line_not_a_traceback(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    proc = run_bot(tmp_path, "--framework", "ptb", "--api-url", url, BOT_TOKEN="123456:TEST")
    assert proc.returncode == 1
    line = assert_one_clear_line(proc, "cannot reach", url)
    assert "123456:TEST" not in line  # the token never appears in messages
