"""Spawn the real bot (``python -m bot run``) against the emulator, and kill or restart it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.support.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """``python -m bot <args>`` as an operator runs it, with ``env`` over this process's
    environment: its exit code and everything it printed (stdout and stderr together)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


class BotProcess:
    """One bot process; ``start`` waits until it polls (or has set its webhook)."""

    def __init__(self, emulator: BotApiEmulator, framework: str, db_path: Path, log_path: Path,
                 webhook_url: str | None = None, extra_env: dict[str, str] | None = None,
                 module: tuple[str, ...] = ("bot", "run")) -> None:
        self.emu = emulator
        self.framework = framework
        self.db_path = db_path
        self.log_path = log_path
        self.webhook_url = webhook_url
        self.extra_env = extra_env or {}
        self.module = module
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.db_path}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_API_URL", "WEBHOOK_SECRET"}}
        env.update(BOT_TOKEN=TOKEN, DATABASE_URL=self.database_url, LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = 60.0) -> None:
        args = [sys.executable, "-m", *self.module, "--framework", self.framework, "--api-url", self.emu.url]
        if self.webhook_url:
            args += ["--webhook-url", self.webhook_url]
        before_polls = self.emu.get_updates_calls
        before_hooks = self.emu.calls.get("setwebhook", 0)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=self.env(), stdout=log,
                                                         stderr=asyncio.subprocess.STDOUT)
        log.close()
        self.starts += 1

        def ready() -> bool:
            if self.webhook_url:
                return self.emu.calls.get("setwebhook", 0) > before_hooks
            return self.emu.get_updates_calls > before_polls

        proc = self.proc
        waiting = asyncio.ensure_future(self.emu.wait_for(ready, timeout))
        exited = asyncio.ensure_future(proc.wait())
        await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            waiting.cancel()
            raise RuntimeError(f"bot exited with {proc.returncode}:\n{self.log_tail()}")
        exited.cancel()
        if waiting.exception() is not None:
            await self.kill9()
            raise RuntimeError(f"bot did not start within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def kill9(self) -> None:
        """SIGKILL: no cleanup at all, as in a power cut."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait for a graceful exit (SIGKILL after ``timeout``); returns the exit code."""
        if self.proc is None or self.proc.returncode is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.kill9()
        return self.proc.returncode
