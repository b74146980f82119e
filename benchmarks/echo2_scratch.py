"""A bare echo bot for ``benchmarks/updates.py``: same framework and settings as ours, no core.

``python -m benchmarks.echo_bot --framework aiogram|ptb --api-url URL`` (token from BOT_TOKEN). It
polls with the same timeout, concurrency limit and HTML parse mode as ``python -m bot run`` and
answers every text with the same text, so the ratio ours/bare measures what our core adds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

CONCURRENCY = int(os.environ.get("MAX_CONCURRENT_UPDATES", "32"))
ALLOWED = ["message", "callback_query"]
#: PTB: HTTP connections for sending, the same number as ours (bot/channels/ptb_adapter.py)
SEND_CONNECTIONS = 8
ANSWER = "每人评审费（鲁发改成本〔2021〕638号）：\n· 高级（含正高级、副高级）：360元；\n· 中级：160元；\n· 初级（助理级）：100元。\n\n来源：2024年新区通知 三(五)2；鲁发改成本〔2021〕638号 全文"
_KB = {"inline_keyboard": [[{"text": "👍 有帮助", "callback_data": "kb:fb:1:fee-amounts:abc"}, {"text": "👎 没帮助", "callback_data": "kb:fb:0:fee-amounts:abc"}], [{"text": "返回菜单", "callback_data": "menu:main:x"}]]}
KB = None


async def run_aiogram(token: str, api_url: str, stop: asyncio.Event) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()

    global KB
    from aiogram.types import InlineKeyboardMarkup
    KB = InlineKeyboardMarkup.model_validate(_KB)
    @dp.message()
    async def echo(message: Message) -> None:
        await bot.send_message(message.chat.id, ANSWER, parse_mode="HTML", reply_markup=KB)

    await bot.delete_webhook()
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=10, handle_signals=False,
                                                   allowed_updates=ALLOWED, tasks_concurrency_limit=CONCURRENCY))
    await stop.wait()
    await dp.stop_polling()
    await polling


async def run_ptb(token: str, api_url: str, stop: asyncio.Event) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    global KB
    from telegram import InlineKeyboardMarkup
    KB = InlineKeyboardMarkup.de_json(_KB, None)
    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await update.get_bot().send_message(update.message.chat_id, ANSWER, reply_markup=KB,
                                                parse_mode="HTML")

    application = (ApplicationBuilder().token(token).concurrent_updates(CONCURRENCY)
                   .connection_pool_size(SEND_CONNECTIONS)
                   .base_url(f"{api_url}/bot").base_file_url(f"{api_url}/file/bot").build())
    application.add_handler(TypeHandler(Update, echo))
    async with application:
        await application.start()
        await application.updater.start_polling(timeout=10, allowed_updates=ALLOWED)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


async def main(framework: str, api_url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    token = os.environ["BOT_TOKEN"]
    runner = run_ptb if framework == "ptb" else run_aiogram
    await runner(token, api_url.rstrip("/"), stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--framework", choices=["aiogram", "ptb"], default="aiogram")
    parser.add_argument("--api-url", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    asyncio.run(main(args.framework, args.api_url))
