"""``python -m bot …``: the public command line (typer).

Heavy modules (aiogram, python-telegram-bot, SQLAlchemy models, the matcher) are imported inside the
commands that need them, so ``--help`` and the offline commands start fast.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import fail, settings_or_exit, start_or_exit

app = typer.Typer(
    help="职称助手: chat assistant for the Industrial Internet engineering title review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def build_app_or_exit(settings, clock=None, serving: bool = False):  # noqa: ANN001, ANN201
    from bot.app import build_app
    from bot.content.loader import ContentError
    from bot.settings import SettingsError

    try:
        return build_app(settings, clock=clock, serving=serving)
    except ContentError as exc:
        fail(f"content is invalid (run `python -m bot check`):\n{exc}")
    except SettingsError as exc:
        fail(str(exc))


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Terminal user id (one per person testing).")] = "local",
) -> None:
    """Talk to the bot in the terminal (no token needed; SQLite by default)."""
    from bot.channels.terminal import TerminalChat
    from bot.process import configure_logging

    settings = settings_or_exit()
    configure_logging("WARNING")

    async def main() -> None:
        bot_app = build_app_or_exit(settings, serving=True)
        await start_or_exit(bot_app)
        try:
            typer.echo(bot_app.services.texts.get("terminal.banner") + "\n")
            await TerminalChat(bot_app.conversation, user_id=user).run()
        finally:
            await bot_app.close()

    asyncio.run(main())


@app.command()
def check() -> None:
    """Validate all content (dialogs/, knowledge/, rules/) and report file, line and reason."""
    from bot.app import content_checkers
    from bot.content.check import run_checks
    from bot.paths import content_root

    results = run_checks(content_root(), content_checkers())
    total = 0
    for area, problems in results.items():
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        typer.echo(f"{area}: {status}")
        for problem in problems:
            typer.echo(f"  {problem}")
        total += len(problems)
    if total:
        fail(f"{total} content problem(s) found", code=1)
    typer.echo("all content is valid")
    _warn_about_settings()


def _warn_about_settings() -> None:
    """Settings that work but should be set explicitly in production (a warning, exit code 0)."""
    from bot.settings import SettingsError, load_settings, salt_warning

    try:
        warning = salt_warning(load_settings())
    except SettingsError as exc:
        warning = str(exc)
    if warning:
        typer.echo(f"warning: {warning}", err=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically on start)."""
    from bot.storage.db import Database

    settings = settings_or_exit()

    async def main() -> None:
        db = Database(settings.database_url, schema=settings.database_schema)
        try:
            await db.upgrade()
            typer.echo(f"database at revision {await db.current_revision()}")
        except Exception as exc:  # noqa: BLE001
            fail(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        finally:
            await db.dispose()

    asyncio.run(main())


def _register_optional_commands() -> None:
    """Each feature module's commands, then ``run`` (the modules import their heavy dependencies
    inside the command functions, so --help stays fast)."""
    from bot.app import register_commands
    from bot.cli_run import register as register_run

    register_commands(app, build_app_or_exit)
    register_run(app, build_app_or_exit)


def main() -> None:
    _register_optional_commands()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["app", "main", "fail", "settings_or_exit", "build_app_or_exit", "start_or_exit", "Path"]
