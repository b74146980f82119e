"""What every command-line command shares: one clear error line instead of a traceback.

Feature packages' command modules (``bot/<feature>/cli.py``) use these; the assembled app reaches
them as an argument of their ``register`` (an ``AppBuilder``), never by importing ``bot.app`` or
``bot.cli``, which list the features (that import would close a cycle).
"""

from __future__ import annotations

from collections.abc import Callable
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
