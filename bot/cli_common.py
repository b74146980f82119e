"""What every command-line command shares: one clear error line instead of a traceback.

Feature packages' command modules (``bot/<feature>/cli.py``) use these; the assembled app reaches
them as an argument of their ``register`` (an ``AppBuilder``), never by importing ``bot.app`` or
``bot.cli``, which list the features (that import would close a cycle).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import typer

#: ``build_app_or_exit(settings, clock=None, serving=False)`` from ``bot.cli``: the whole bot, or one
#: clear line and a non-zero exit when content or settings are invalid
AppBuilder = Callable[..., Any]


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr and a non-zero exit, never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: object):  # noqa: ANN201
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc))


async def start_or_exit(bot_app) -> None:  # noqa: ANN001
    """Migrate the database; an unreachable database is one clear line, not a traceback."""
    try:
        await bot_app.start()
    except Exception as exc:  # noqa: BLE001
        await bot_app.close()
        fail(f"database {bot_app.db.dialect} is not usable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


async def serve_until_signalled(
    bot_app, serve: Callable[[Any], Awaitable[None]], host: str, port: int, started: str | None  # noqa: ANN001
) -> int:
    """Run ``serve(ready)`` (an aiohttp site that sets ``ready`` once listening) until SIGTERM or
    Ctrl-C; print ``started`` when it listens. Returns the exit code: 2 when the port cannot be
    bound (one clear line, not a traceback). The app is closed on the way out."""
    import asyncio
    import signal

    ready = asyncio.Event()
    server = asyncio.create_task(serve(ready))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.cancel)
    waiter = asyncio.create_task(ready.wait())
    try:
        await asyncio.wait({server, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if server.done() and not server.cancelled():
            server.result()  # raises why the server could not start
        if started:
            typer.echo(started)
        await server
    except asyncio.CancelledError:
        return 0
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or type(exc).__name__}", err=True)
        return 2
    finally:
        waiter.cancel()
        server.cancel()
        await bot_app.close()
    return 0


class AppBuilderSlot:
    """The builder a feature's command module was registered with, callable like the builder.

    The module keeps one at module level (``build_app_or_exit = AppBuilderSlot()``) and its
    ``register`` fills it, so commands call ``build_app_or_exit(settings)`` without importing the
    composition root.
    """

    def __init__(self) -> None:
        self._build: AppBuilder | None = None

    def fill(self, build: AppBuilder) -> None:
        self._build = build

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._build is None:
            raise RuntimeError("the command module was used before its register() was called")
        return self._build(*args, **kwargs)
