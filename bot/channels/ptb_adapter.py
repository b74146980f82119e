"""Telegram via python-telegram-bot 22: updates in, the core's replies out; no business logic here.

One ``TypeHandler`` takes every update, turns it into a Bot API dict and hands it to
``telegram_common.process_update``; this module only performs the resulting calls. The core
serialises each user's updates itself, so ``concurrent_updates(N)`` is safe here. PTB talks HTTP
through ``ptb_request.AiohttpRequest`` (PTB's documented transport interface) instead of httpx, which
cost about half of the bot's CPU per update. Import it only from ``python -m bot run``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram import BotCommand, InputFile, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, TypeHandler

from bot.channels.ptb_request import AiohttpRequest
from bot.channels.telegram_common import (
    ALLOWED_UPDATES,
    COMMAND_LANGUAGES,
    Action,
    AnswerCallback,
    ChatDelivery,
    EditText,
    Failure,
    RunOptions,
    SendDocument,
    SendText,
    classify_description,
    commands_json,
    log_malformed,
    parse_each,
    process_update,
    text_update_as_dict,
)
from bot.channels.telegram_webhook import WebhookServer, webhook_path

log = logging.getLogger(__name__)
FRAMEWORK = "ptb"

if TYPE_CHECKING:
    from bot.app import App


def classify(exc: Exception) -> Failure:
    """python-telegram-bot exceptions → the shared delivery policy's failure kinds."""
    if isinstance(exc, RetryAfter):
        seconds = exc.retry_after
        return Failure("retry", float(getattr(seconds, "total_seconds", lambda: seconds)()))
    if isinstance(exc, Forbidden):
        return classify_description(403, exc.message)
    if isinstance(exc, BadRequest):
        return classify_description(400, exc.message)
    if isinstance(exc, NetworkError):  # includes TimedOut, and PTB's answer to a 5xx (e.g. Bad Gateway)
        return Failure("network")
    if isinstance(exc, TelegramError):
        return classify_description(None, exc.message)
    return Failure("other")


#: HTTP connections for sending (getUpdates has its own one). Each send takes a few milliseconds, so 8
#: carry far more than one bot sends; PTB's default for a concurrent bot (concurrency + 8) would only
#: open more sockets to Telegram.
SEND_CONNECTIONS = 8


def _keyboard(reply_markup: dict | None) -> dict | None:
    """The keyboard as PTB's ``api_kwargs``: already in Bot API form, so it goes out as it is.

    Handing PTB an ``InlineKeyboardMarkup`` would mean building its objects and turning them back
    into this very dict (``to_dict``) on every send; the wire format is the same either way.
    """
    return {"reply_markup": reply_markup} if reply_markup else None


class TolerantBot(ExtBot):
    """PTB's bot, parsing a getUpdates batch update by update.

    PTB parses the batch as a whole: one malformed update (say, without ``date``) failed every poll
    of the same batch forever, logging the batch's content at CRITICAL. Here ``_post`` parses the
    batch with ``parse_each`` (a malformed update becomes a bare one with its id, one log line) and
    ``get_updates`` returns that; each update is still parsed once.
    """

    _parsed: list[Update] | None = None

    async def _post(self, endpoint: str, data=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list) and result:
            self._parsed = parse_each(result, lambda raw: Update.de_json(raw, self), lambda i: Update(update_id=i), FRAMEWORK)
            return []  # PTB's own parsing gets nothing to parse
        return result

    async def get_updates(self, *args, **kwargs) -> tuple[Update, ...]:  # noqa: ANN002, ANN003
        self._parsed = None
        updates = await super().get_updates(*args, **kwargs)
        parsed, self._parsed = self._parsed, None
        if parsed is None:
            return updates
        for update in parsed:
            self.insert_callback_data(update)
        return tuple(parsed)


#: PTB's loggers that write whole updates and request parameters (what users typed, the ID tail at
#: /bind's secret step, names) at DEBUG
PTB_LOGGERS = ("telegram", "telegram.ext")


def quiet_framework_debug(names: tuple[str, ...] = PTB_LOGGERS) -> None:
    """Keep PTB's own loggers at INFO or above even with ``LOG_LEVEL=DEBUG``: at DEBUG PTB logs every
    update it fetched and every call's parameters in full, and logs must hold no message text."""
    for name in names:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


class PtbChannel:
    """Owns the PTB ``Application`` for one run."""

    def __init__(self, app: App, options: RunOptions) -> None:
        self.app = app
        self.options = options
        quiet_framework_debug()
        urls = {}
        if options.api_url:
            base = options.api_url.rstrip("/")
            urls = {"base_url": f"{base}/bot", "base_file_url": f"{base}/file/bot"}
        bot = TolerantBot(
            options.token,
            request=AiohttpRequest(connection_pool_size=SEND_CONNECTIONS),
            get_updates_request=AiohttpRequest(connection_pool_size=1),
            **urls,
        )
        builder = ApplicationBuilder().bot(bot).concurrent_updates(options.concurrency)
        if options.webhook_url:
            builder = builder.updater(None)  # our own aiohttp receiver feeds update_queue
        self.application: Application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        #: replies leave each chat in order, one at a time (Telegram's per-chat flood limit)
        self.delivery = ChatDelivery(self.perform, classify)

    # ---- updates in -------------------------------------------------------------------------
    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await process_update(self.app.conversation, update_as_dict(update), self.perform, classify, self.fetch,
                             self.application.bot.username, self.delivery)

    async def _on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.warning("telegram (%s): %s", FRAMEWORK, type(context.error).__name__)

    async def fetch(self, file_id: str) -> bytes:
        file = await self.application.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    # ---- replies out ------------------------------------------------------------------------
    async def perform(self, action: Action) -> None:
        bot = self.application.bot
        if isinstance(action, SendText):
            await bot.send_message(action.chat_id, action.text, parse_mode="HTML", api_kwargs=_keyboard(action.reply_markup))
        elif isinstance(action, EditText):
            await bot.edit_message_text(action.text, chat_id=action.chat_id, message_id=action.message_id,
                                        parse_mode="HTML", api_kwargs=_keyboard(action.reply_markup))
        elif isinstance(action, AnswerCallback):
            await bot.answer_callback_query(action.callback_id, text=action.text)
        elif isinstance(action, SendDocument):
            await bot.send_document(action.chat_id, InputFile(action.content, filename=action.file_name),
                                    caption=action.caption, parse_mode="HTML" if action.caption else None)

    # ---- lifecycle --------------------------------------------------------------------------
    async def set_commands(self) -> None:
        """The command menu in Chinese for everyone, and in English for clients set to English."""
        conversation = self.app.conversation
        for code, lang in COMMAND_LANGUAGES:
            commands = [BotCommand(c["command"], c["description"]) for c in commands_json(conversation.bot_commands(lang))]
            try:
                await self.application.bot.set_my_commands(commands, language_code=code)
            except TelegramError as exc:
                log.warning("setMyCommands failed: %s", type(exc).__name__)

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll (or receive webhooks) until ``stop`` is set, then shut down cleanly."""
        application = self.application
        async with application:  # initialize (getMe) … shutdown
            log.info("telegram (%s): connected as bot id %s", FRAMEWORK, application.bot.id)
            await self.set_commands()
            await application.start()
            try:
                if self.options.webhook_url:
                    await self._serve_webhook(stop)
                else:
                    assert application.updater is not None
                    await application.updater.start_polling(
                        timeout=self.options.polling_timeout, allowed_updates=ALLOWED_UPDATES,
                        drop_pending_updates=False, error_callback=_polling_failed,
                    )
                    log.info("telegram (%s): long polling", FRAMEWORK)
                    await stop.wait()
                    await application.updater.stop()
            finally:
                await application.stop()
                await self.delivery.drain()

    async def _serve_webhook(self, stop: asyncio.Event) -> None:
        options = self.options
        application = self.application

        async def enqueue(raw: dict) -> None:
            try:
                update = Update.de_json(raw, application.bot)
            except Exception:  # noqa: BLE001 - PTB raises KeyError, TypeError, ... for a malformed update
                log_malformed(FRAMEWORK, raw)
                return
            if update is not None:
                await application.update_queue.put(update)

        server = WebhookServer(webhook_path(options.webhook_url or ""), options.webhook_secret, enqueue)
        await server.start(options.listen_host, options.listen_port)
        try:
            await application.bot.set_webhook(options.webhook_url or "", secret_token=options.webhook_secret,
                                              allowed_updates=ALLOWED_UPDATES,
                                              max_connections=min(100, options.concurrency))
            log.info("telegram (%s): webhook on %s:%s", FRAMEWORK, options.listen_host, options.listen_port)
            await stop.wait()
        finally:
            await server.stop()


def _polling_failed(exc: TelegramError) -> None:
    """One line per failed poll: an unreachable Telegram is expected now and then, PTB retries with
    back-off, and its default handler logs a full traceback at ERROR for every attempt."""
    log.warning("telegram (%s): fetching updates failed (%s); retrying", FRAMEWORK, type(exc).__name__)


def update_as_dict(update: Update) -> dict:
    """The update as a Bot API dict; plain text messages take the short path (PTB's ``to_dict``
    walks every nested object)."""
    return text_update_as_dict(update, update.to_dict)


async def serve(app: App, options: RunOptions, stop: asyncio.Event) -> None:
    await PtbChannel(app, options).serve(stop)
