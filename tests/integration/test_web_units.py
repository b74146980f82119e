"""Web channel pieces on their own: rate limiter, source-line split, content check, the CLI process."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select

from bot.channels.web import ratelimit
from bot.channels.web.models import WebRateLimit
from bot.channels.web.page import check_web
from bot.channels.web.ratelimit import RateLimiter
from bot.channels.web.render import split_source
from bot.paths import PROJECT_ROOT


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def take(app, limiter: RateLimiter, key: str) -> float:
    async with app.db.session() as session:
        return await limiter.take(session, key)


async def test_rate_limiter_allows_a_burst_then_refills_at_the_rate(app):
    clock = FakeTime()
    limiter = RateLimiter("session", burst=3, per_minute=30, clock=clock)  # one message every 2 s
    assert [await take(app, limiter, "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await take(app, limiter, "a")
    assert wait == pytest.approx(2.0)
    assert RateLimiter.seconds(wait) == 2
    assert await take(app, limiter, "b") == 0.0  # other keys are independent
    assert await take(app, RateLimiter("ip", 3, 30, clock=clock), "a") == 0.0  # and other scopes
    clock.now += 2.0
    assert await take(app, limiter, "a") == 0.0
    assert await take(app, limiter, "a") > 0


async def test_two_limiters_on_one_database_share_the_allowance(app):
    """Two web processes each have their own limiter object; the allowance is one."""
    clock = FakeTime()
    first, second = (RateLimiter("session", burst=4, per_minute=6, clock=clock) for _ in range(2))
    allowed = [await take(app, limiter, "k") == 0.0 for _ in range(4) for limiter in (first, second)]
    assert allowed.count(True) == 4


async def test_rate_limiter_stores_no_raw_key_purges_full_rows_and_zero_disables_it(app):
    clock = FakeTime()
    limiter = RateLimiter("ip", burst=2, per_minute=60, clock=clock)
    await take(app, limiter, "203.0.113.9")
    async with app.db.session() as session:
        keys = (await session.execute(sql_select(WebRateLimit.key))).scalars().all()
        assert keys == [limiter.row_key("203.0.113.9")] and "203.0.113" not in keys[0]
        assert await ratelimit.purge(session, clock.now) == 0  # still counting
        assert await ratelimit.purge(session, clock.now + 2) == 1  # back to a full allowance
    off = RateLimiter("session", burst=0, per_minute=0, clock=clock)
    assert all([await take(app, off, "x") == 0.0 for _ in range(50)])


@pytest.mark.parametrize(
    ("text", "body", "source"),
    [
        ("评审费360元。\n\n来源：2024年通知 三(五)2", "评审费360元。", "来源：2024年通知 三(五)2"),
        ("一行\n出处：附件1", "一行", "出处：附件1"),
        ("只有一行 来源：x", "只有一行 来源：x", ""),
        ("来源不在最后\n第二行", "来源不在最后\n第二行", ""),
        ("", "", ""),
    ],
)
def test_the_source_line_is_split_off_only_when_it_is_the_last_line(text, body, source):
    assert split_source(text, ("来源", "出处")) == (body, source)


def test_the_content_check_names_a_missing_page_text(tmp_path):
    shutil.copytree(PROJECT_ROOT / "dialogs", tmp_path / "dialogs")
    assert check_web(tmp_path) == []
    web_texts = tmp_path / "dialogs" / "texts_web.yaml"
    web_texts.write_text(web_texts.read_text(encoding="utf-8").replace("  typing:", "  typing_x:"), encoding="utf-8")
    problems = [str(p) for p in check_web(tmp_path)]
    assert any("web.typing" in p for p in problems)


def test_the_web_command_does_not_import_aiohttp_to_register():
    code = "import sys, bot.channels.web.cli, bot.channels.web.page; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - 127.0.0.1 only
        return resp.status, dict(resp.headers), resp.read().decode()


@pytest.mark.parametrize("workers", [1, 2])
def test_python_m_bot_web_serves_on_localhost_and_stops_cleanly(tmp_path, workers):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'web.db'}", LOG_LEVEL="WARNING")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "web", "--port", str(port), "--workers", str(workers)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # the first process prints its address once it listens (another worker may answer earlier)
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        first_line = proc.stdout.readline() if ready else ""
        assert f"http://127.0.0.1:{port}/" in first_line, proc.stderr.read() if proc.poll() is not None else ""
        status, _, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and '"ok": true' in body
        status, headers, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "HttpOnly" in headers["Set-Cookie"] and "职称助手" in page
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    # (background jobs cancelled mid-query at shutdown may make SQLAlchemy log a pool reset; the web
    # channel's own code must stop without one)
    assert "bot/channels/web" not in err and "error:" not in err


def test_the_web_command_reports_a_busy_port_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'web.db'}", LOG_LEVEL="WARNING")
        out = subprocess.run(
            [sys.executable, "-m", "bot", "web", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
        )
    assert out.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr


def test_the_readme_documents_the_reverse_proxy():
    readme = (Path(PROJECT_ROOT) / "README.md").read_text(encoding="utf-8")
    assert "python -m bot web" in readme and "--trust-proxy" in readme


def test_a_worker_stuck_in_its_shutdown_is_killed_so_the_server_stops(monkeypatch):
    from bot.channels.web import cli

    monkeypatch.setattr(cli, "WORKER_STOP_SECONDS", 0.5)
    pid = os.fork()
    if pid == 0:  # a worker that ignores SIGTERM, as one whose interrupt was swallowed would
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
        os._exit(0)
    started = time.monotonic()
    cli._stop_workers([pid])
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)
