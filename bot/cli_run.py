"""``python -m bot run``: the Telegram bot (aiogram or python-telegram-bot), polling or webhook.

The framework is imported only inside the command, so every other command stays fast. The process
migrates the database, starts the app's background jobs (outbox worker, scheduler) beside the update
loop, and on SIGTERM/SIGINT stops taking updates, cancels the jobs and closes the database.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import AppBuilderSlot

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder

log = logging.getLogger("bot.run")
#: builds the whole bot; filled by ``register`` (``bot.cli`` hands it in, so no import goes back)
build_app_or_exit = AppBuilderSlot()


class Framework(StrEnum):
    aiogram = "aiogram"
    ptb = "ptb"


def register(app: typer.Typer, builder: AppBuilder) -> None:
    build_app_or_exit.fill(builder)
    app.command("run")(run)


def run(
    framework: Annotated[Framework, typer.Option(help="Telegram framework: aiogram (primary) or ptb.")] = Framework.aiogram,
    api_url: Annotated[
        str | None, typer.Option(help="Bot API server base URL (default: TELEGRAM_API_URL, else api.telegram.org).")
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="Public HTTPS URL for webhook mode; listens on WEBHOOK_LISTEN:WEBHOOK_PORT at its path."),
    ] = None,
) -> None:
    """Run the Telegram bot (long polling, or webhook with --webhook-url)."""
    from bot.cli_common import fail, settings_or_exit

    settings = settings_or_exit()
    if settings.bot_token is None:
        fail("BOT_TOKEN is not set: put it in .env or the environment (or use `python -m bot chat` without one)")
    api = api_url or settings.telegram_api_url
    if api is not None and not api.startswith(("http://", "https://")):
        fail(f"--api-url / TELEGRAM_API_URL must start with http:// or https:// (got {api[:60]!r})")
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        fail("--webhook-url must start with https:// (or http:// for a local test server)")

    from bot.channels.telegram_common import RunOptions
    from bot.channels.telegram_webhook import new_secret
    from bot.process import configure_logging

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else new_secret()
    configure_logging(settings.log_level, secrets=(settings.bot_token.get_secret_value(), secret))
    options = RunOptions(
        token=settings.bot_token.get_secret_value(),
        api_url=api,
        webhook_url=webhook_url,
        webhook_secret=secret,
        listen_host=settings.webhook_listen,
        listen_port=settings.webhook_port,
        concurrency=settings.max_concurrent_updates,
    )
    bot_app = build_app_or_exit(settings, serving=True)
    try:
        asyncio.run(_main(bot_app, framework.value, options))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a framework traceback
        fail(describe_failure(exc, api or "https://api.telegram.org"), code=1)


def describe_failure(exc: BaseException, api: str) -> str:
    """A framework exception from start-up or the update loop, as one line without secrets."""
    name = type(exc).__name__
    first = (str(exc).splitlines() or [""])[0][:200]
    if "Unauthorized" in name or "InvalidToken" in name:
        return f"the Bot API server refused BOT_TOKEN ({name})"
    if "Network" in name or "Connect" in name or isinstance(exc, OSError):
        return f"cannot reach the Bot API server at {api}: {first or name}"
    return f"telegram: {name}: {first}"


async def _main(bot_app, framework: str, options) -> None:  # noqa: ANN001
    from bot.cli_common import start_or_exit
    from bot.process import freeze_startup_objects

    await start_or_exit(bot_app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    senders = _senders(options, bot_app)
    if framework == "ptb":
        from bot.channels import ptb_adapter as adapter
    else:
        from bot.channels import aiogram_adapter as adapter  # type: ignore[no-redef]
    freeze_startup_objects()
    try:
        async with bot_app.background_running(senders):
            try:
                await adapter.serve(bot_app, options, stop)
            finally:
                log.info("shutting down")
    finally:
        await bot_app.close()


def _senders(options, bot_app) -> dict:  # noqa: ANN001
    """Push senders by channel for the background jobs (raw Bot API, no framework).

    The web inbox sender only writes rows, so this process delivers web users' pushes too: a
    broadcast that includes web users then completes even when no web process is running.
    """
    from bot.channels.telegram_sender import TelegramHttpSender
    from bot.channels.web.sender import WebInboxSender

    return {
        "telegram": TelegramHttpSender(options.token, api_url=options.api_url),
        "web": WebInboxSender(bot_app.db, bot_app.services.clock),
    }
