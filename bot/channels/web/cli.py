"""``python -m bot web``: serve the chat page and its API (aiohttp is imported only when it runs).

``--workers N`` forks N processes that share the port (SO_REUSEPORT): the core is CPU-bound Python,
so on a 2-core machine two processes answer nearly twice as many messages. The database is migrated
once before the fork; only the first process runs the background jobs (outbox delivery, purging).
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import AppBuilderSlot

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder

#: builds the whole bot; filled by ``register`` (a feature package never imports bot.app)
build_app_or_exit = AppBuilderSlot()


def register(app: typer.Typer, builder: AppBuilder) -> None:
    build_app_or_exit.fill(builder)
    app.command("web")(web)


def web(
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 behind a reverse proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Server processes sharing the port.")] = 1,
    trust_proxy: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-For/-Proto (only behind a proxy that sets them).")
    ] = False,
    secure_cookie: Annotated[bool, typer.Option(help="Always mark the session cookie Secure (HTTPS).")] = False,
    session_limit: Annotated[
        float, typer.Option(min=0, help="Messages per minute per browser session (0 = no limit).")
    ] = 30,
    ip_limit: Annotated[float, typer.Option(min=0, help="Messages per minute per client IP (0 = no limit).")] = 600,
    new_session_limit: Annotated[
        float, typer.Option(min=0, help="New browser sessions per minute per client IP (0 = no limit).")
    ] = 30,
) -> None:
    """The web chat page and its JSON API over the same conversation core."""
    import asyncio

    from bot.channels.web.server import WebConfig
    from bot.cli_common import settings_or_exit, start_or_exit
    from bot.process import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    config = WebConfig(
        host=host,
        port=port,
        trust_proxy=trust_proxy,
        secure_cookie=secure_cookie,
        session_per_minute=session_limit,
        ip_per_minute=ip_limit,
        issue_per_minute=new_session_limit,
        workers=workers,
    )

    async def migrate() -> None:
        bot_app = build_app_or_exit(settings)
        await start_or_exit(bot_app)
        await bot_app.close()

    # SIGTERM at any moment (even before the event loop installs its handler) means an orderly stop
    signal.signal(signal.SIGTERM, _stop)
    try:
        asyncio.run(migrate())
    except KeyboardInterrupt:
        return
    if _stop_requested:  # the interrupt landed where Python only prints it (a finaliser): still stop
        return
    children: list[int] = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:  # a child: serve without background jobs, never return into typer
            # until its event loop takes SIGTERM over, a worker has served nothing: it leaves at once
            # rather than raise KeyboardInterrupt somewhere a finaliser could swallow it
            signal.signal(signal.SIGTERM, _exit_now)
            _die_with_parent()
            code = 1
            try:
                code = _run(settings, WebConfig(**{**config.__dict__, "run_background": False}), announce=False)
            except KeyboardInterrupt:
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    try:
        code = _run(settings, config, announce=True)
    except KeyboardInterrupt:
        code = 0
    finally:
        _stop_workers(children)
    if code:
        raise typer.Exit(code)


#: set by the first SIGTERM, so a stop is never lost even if its KeyboardInterrupt is swallowed
_stop_requested = False

#: how long a worker may take to close before it is killed
WORKER_STOP_SECONDS = 15.0


def _stop(_signum: int, _frame: object) -> None:
    global _stop_requested
    _stop_requested = True
    raise KeyboardInterrupt


def _exit_now(_signum: int, _frame: object) -> None:
    os._exit(0)


def _stop_workers(children: list[int]) -> None:
    """SIGTERM every worker, then wait; one that has not left in time is killed, so the parent never
    hangs on a worker stuck in its shutdown."""
    import time

    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + WORKER_STOP_SECONDS
    waiting = set(children)
    while waiting:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                waiting.discard(pid)
        if waiting and time.monotonic() > deadline:
            for pid in waiting:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
            return
        if waiting:
            time.sleep(0.05)


def _die_with_parent() -> None:
    """Linux: have the kernel send SIGTERM to this worker if its parent dies (never an orphan)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run(settings, config, announce: bool) -> int:  # noqa: ANN001
    """Serve until SIGTERM or Ctrl-C; returns the exit code."""
    import asyncio

    from bot.channels.web.server import serve
    from bot.cli_common import serve_until_signalled
    from bot.process import freeze_startup_objects

    async def main() -> int:
        bot_app = build_app_or_exit(settings, serving=True)
        freeze_startup_objects()
        started = bot_app.services.texts.get("web.started", url=f"http://{config.host}:{config.port}/") if announce else None
        return await serve_until_signalled(
            bot_app, lambda ready: serve(bot_app, config, ready), config.host, config.port, started
        )

    return asyncio.run(main())
