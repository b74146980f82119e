"""Web channel pieces on their own: rate limiter, source-line split, content check, the CLI process."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.channels.web.page import check_web
from bot.channels.web.ratelimit import RateLimiter
from bot.channels.web.render import split_source
from bot.paths import PROJECT_ROOT


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_a_burst_then_refills_at_the_rate():
    clock = FakeMonotonic()
    limiter = RateLimiter(capacity=3, per_minute=30, monotonic=clock)  # one token every 2 s
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("a")
    assert wait == pytest.approx(2.0)
    assert RateLimiter.seconds(wait) == 2
    assert limiter.take("b") == 0.0  # other keys are independent
    clock.now += 2.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0


def test_rate_limiter_memory_is_bounded_and_zero_disables_it():
    limiter = RateLimiter(capacity=1, per_minute=1, max_keys=10)
    for i in range(100):
        limiter.take(str(i))
    assert len(limiter._buckets) == 10
    off = RateLimiter(capacity=0, per_minute=0)
    assert all(off.take("x") == 0.0 for _ in range(1000))


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
