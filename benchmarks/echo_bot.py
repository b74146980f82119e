"""A bare echo bot for ``benchmarks/updates.py``: same framework and settings as ours, no core.

``python -m benchmarks.echo_bot --framework aiogram|ptb --api-url URL [--transport stock|ours]``
(token from BOT_TOKEN). It polls with the same timeout, concurrency limit and HTML parse mode as
``python -m bot run`` and answers every text with the same text.

``--transport stock`` (the default) is the framework as installed: the baseline the issue's ratio is
measured against. ``--transport ours`` gives the echo bot our adapters' HTTP layer (aiogram: JSON
request bodies and pinned response models; PTB: aiohttp instead of httpx), so ours/that ratio shows
what the core itself adds, with the transport the same on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import signal

CONCURRENCY = int(os.environ.get("MAX_CONCURRENT_UPDATES", "32"))
ALLOWED = ["message", "callback_query"]
#: PTB: HTTP connections for sending, the same number as ours (bot/channels/ptb_adapter.py)
SEND_CONNECTIONS = 8


async def run_aiogram(token: str, api_url: str, stop: asyncio.Event, transport: str) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    session_class = AiohttpSession
    if transport == "ours":
        from bot.channels.aiogram_adapter import JsonBodySession, pin_response_models

        pin_response_models()
        session_class = JsonBodySession
    bot = Bot(token, session=session_class(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await bot.send_message(message.chat.id, html.escape(message.text or "?", quote=False), parse_mode="HTML")

    await bot.delete_webhook()
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=10, handle_signals=False,
                                                   allowed_updates=ALLOWED, tasks_concurrency_limit=CONCURRENCY))
    await stop.wait()
    await dp.stop_polling()
    await polling


async def run_ptb(token: str, api_url: str, stop: asyncio.Event, transport: str) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await update.get_bot().send_message(update.message.chat_id, html.escape(update.message.text or "?", quote=False),
                                                parse_mode="HTML")

    builder = ApplicationBuilder().token(token).concurrent_updates(CONCURRENCY)
    if transport == "ours":
        from bot.channels.ptb_request import AiohttpRequest

        builder = (builder.request(AiohttpRequest(connection_pool_size=SEND_CONNECTIONS))
                   .get_updates_request(AiohttpRequest(connection_pool_size=1)))
    else:
        builder = builder.connection_pool_size(SEND_CONNECTIONS)
    application = builder.base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot").build()
    application.add_handler(TypeHandler(Update, echo))
    async with application:
        await application.start()
        await application.updater.start_polling(timeout=10, allowed_updates=ALLOWED)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


async def main(framework: str, api_url: str, transport: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    token = os.environ["BOT_TOKEN"]
    runner = run_ptb if framework == "ptb" else run_aiogram
    await runner(token, api_url.rstrip("/"), stop, transport)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--framework", choices=["aiogram", "ptb"], default="aiogram")
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--transport", choices=["stock", "ours"], default="stock")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    asyncio.run(main(args.framework, args.api_url, args.transport))
