"""Telegram via aiogram 3: updates in, the core's replies out; no business logic here.

aiogram objects are turned into Bot API dicts and handed to ``telegram_common.process_update``, which
owns translation and the delivery policy; this module only performs the resulting calls. Import it
only from ``python -m bot run`` (aiogram takes seconds to import).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import warnings
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import Response
from aiogram.types import BotCommand, BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message, Update
from aiohttp import BytesPayload
from pydantic import ValidationError

from bot.channels.telegram_common import (
    ALLOWED_UPDATES,
    COMMAND_LANGUAGES,
    Action,
    AnswerCallback,
    ChatDelivery,
    EditText,
    Failure,
    KeyboardMemory,
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
FRAMEWORK = "aiogram"

if TYPE_CHECKING:
    from bot.app import App


#: Bot API methods whose answers this adapter parses (``Response[...]`` models kept alive below)
USED_METHODS = (
    methods.GetUpdates, methods.SendMessage, methods.EditMessageText, methods.AnswerCallbackQuery,
    methods.SendDocument, methods.GetMe, methods.SetMyCommands, methods.DeleteWebhook, methods.SetWebhook,
    methods.GetFile,
)
_PINNED_RESPONSE_MODELS: list[type] = []


def pin_response_models() -> None:
    """Keep aiogram's ``Response[T]`` models alive for the life of the process.

    aiogram builds ``Response[method.__returning__]`` for every answer it parses; pydantic caches
    such generic models in a weak dictionary, so a garbage collection drops them and the next call
    rebuilds the model (milliseconds each). The bot's own allocations trigger collections often
    enough that this rebuild was ~10 % of the process's time under load.
    """
    if _PINNED_RESPONSE_MODELS:
        return
    _PINNED_RESPONSE_MODELS.extend(Response[m.__returning__] for m in USED_METHODS)  # type: ignore[misc]


_markup = KeyboardMemory(InlineKeyboardMarkup.model_validate).get

#: methods whose successful answer (the sent or edited message, ``True``) ``perform`` never reads
UNREAD_RESULTS = (methods.SendMessage, methods.EditMessageText, methods.AnswerCallbackQuery)
#: how many keyboards' request form ``JsonBodySession`` keeps (beyond that it starts afresh)
PREPARED_MARKUP_LIMIT = 1024
#: a request's JSON body (one encoder for all calls: ``json.dumps`` with an option builds one per call)
_json_body = json.JSONEncoder(ensure_ascii=False).encode
#: the answer ``check_response`` gives for those calls (built once: its generic model stays alive)
_DISCARDED_RESULT = Response[Any](ok=True, result=None)


def classify(exc: Exception) -> Failure:
    """aiogram exceptions → the shared delivery policy's failure kinds."""
    if isinstance(exc, TelegramRetryAfter):
        return Failure("retry", float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return classify_description(403, exc.message)
    if isinstance(exc, TelegramBadRequest):
        return classify_description(400, exc.message)
    if isinstance(exc, TelegramNetworkError | TelegramServerError):
        return Failure("network")
    if isinstance(exc, TelegramAPIError):
        return classify_description(None, exc.message)
    return Failure("other")


class JsonBodySession(AiohttpSession):
    """aiogram's HTTP session, sending a call's parameters as a JSON body unless it uploads a file.

    The Bot API takes JSON bodies; aiogram sends an urlencoded form, which percent-encodes every
    byte of a Chinese answer in Python (one character becomes nine) and cost a quarter of the
    process's time per reply. Uploads still go as multipart through aiogram's own code.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: id(keyboard) → (keyboard, its request form): the adapter reuses keyboard objects
        #: (``KeyboardMemory``), and aiogram's generic dump walks every optional field of every
        #: button again on each send
        self._prepared_markup: dict[int, tuple[object, Any]] = {}

    def check_response(self, bot: Bot, method, status_code: int, content: str):  # noqa: ANN001, ANN201
        """aiogram validates a getUpdates answer as a whole: one malformed update (say, without
        ``date``) failed every poll of the same batch forever and logged its text. Such a batch is
        parsed update by update instead (``parse_each``); other answers are aiogram's business.

        A successful answer to a call whose result the adapter discards (``UNREAD_RESULTS``) is
        not turned into aiogram's models: the sent message, keyboard included, came back in full
        and validating it cost as much as sending it. Failures still take aiogram's path (its
        exceptions drive the delivery policy)."""
        if isinstance(method, UNREAD_RESULTS) and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                body = self.json_loads(content)
            except ValueError:
                body = None
            if isinstance(body, dict) and body.get("ok") is True:
                return _DISCARDED_RESULT
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError:
            if not isinstance(method, methods.GetUpdates):
                raise
            body = self.json_loads(content)
            if not isinstance(body, dict) or not isinstance(body.get("result"), list):
                raise
            updates = parse_each(body["result"], lambda raw: Update.model_validate(raw, context={"bot": bot}),
                                 lambda update_id: Update(update_id=update_id), FRAMEWORK)
            return Response[list[Update]](ok=True, result=updates)

    def build_form_data(self, bot: Bot, method):  # noqa: ANN001, ANN201 - aiogram's signature
        files: dict = {}
        params: dict = {}
        markup = getattr(method, "reply_markup", None)
        prepared_markup = self._markup_form(bot, markup) if isinstance(markup, InlineKeyboardMarkup) else None
        exclude = {"reply_markup"} if prepared_markup is not None else None
        for key, value in method.model_dump(warnings=False, exclude=exclude).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared:  # aiogram's form leaves out empty values the same way
                params[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        if prepared_markup:
            params["reply_markup"] = prepared_markup
        return BytesPayload(_json_body(params).encode(), content_type="application/json")

    def _markup_form(self, bot: Bot, markup: InlineKeyboardMarkup) -> Any:
        """An inline keyboard as aiogram prepares it for a request, once per keyboard object (an
        inline keyboard holds no file and no bot default, so its form never changes)."""
        cached = self._prepared_markup.get(id(markup))
        if cached is not None and cached[0] is markup:
            return cached[1]
        files: dict = {}
        prepared = self.prepare_value(markup, bot=bot, files=files, _dumps_json=False)
        if files:  # not an inline keyboard as the Bot API knows it: aiogram's own path
            return None
        if len(self._prepared_markup) >= PREPARED_MARKUP_LIMIT:
            self._prepared_markup.clear()
        self._prepared_markup[id(markup)] = (markup, prepared)
        return prepared


def update_as_dict(update: Update) -> dict:
    """The update as a Bot API dict; plain text messages take the short path."""
    return text_update_as_dict(update, lambda: update.model_dump(mode="json", exclude_none=True, by_alias=True))


class AiogramChannel:
    """Owns the aiogram ``Bot`` and ``Dispatcher`` for one run."""

    def __init__(self, app: App, options: RunOptions) -> None:
        self.app = app
        self.options = options
        pin_response_models()
        session = JsonBodySession(api=TelegramAPIServer.from_base(options.api_url)) if options.api_url else JsonBodySession()
        self.bot = Bot(options.token, session=session)
        # aiogram logs every update at INFO; one line per message is noise (and costs time) at scale
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
        # dialog state lives in our database (bot/core), so aiogram's FSM and its per-update
        # storage lookup are not used
        self.dp = Dispatcher(disable_fsm=True)
        # a malformed update is replaced by a bare one (see JsonBodySession.check_response), which
        # aiogram skips with a warning about unknown update types; the skip is logged once already
        warnings.filterwarnings("ignore", message="Detected unknown update type", category=RuntimeWarning)
        self.dp.message.register(self._on_message)
        self.dp.callback_query.register(self._on_callback)
        self._slots = asyncio.Semaphore(options.concurrency)
        self._tasks: set[asyncio.Task] = set()
        #: the bot's own @username (from getMe), to leave commands for other bots in a group alone
        self.username: str | None = None
        #: replies leave each chat in order, one at a time (Telegram's per-chat flood limit)
        self.delivery = ChatDelivery(self.perform, classify)

    # ---- updates in -------------------------------------------------------------------------
    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self._process(event_update)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        await self._process(event_update)

    async def _process(self, update: Update) -> None:
        await process_update(self.app.conversation, update_as_dict(update), self.perform, classify, self.fetch,
                             self.username, self.delivery)

    async def fetch(self, file_id: str) -> bytes:
        buffer = io.BytesIO()
        await self.bot.download(file_id, destination=buffer)
        return buffer.getvalue()

    # ---- replies out ------------------------------------------------------------------------
    async def perform(self, action: Action) -> None:
        bot = self.bot
        if isinstance(action, SendText):
            await bot.send_message(action.chat_id, action.text, parse_mode="HTML", reply_markup=_markup(action.reply_markup))
        elif isinstance(action, EditText):
            await bot.edit_message_text(text=action.text, chat_id=action.chat_id, message_id=action.message_id,
                                        parse_mode="HTML", reply_markup=_markup(action.reply_markup))
        elif isinstance(action, AnswerCallback):
            await bot.answer_callback_query(action.callback_id, text=action.text)
        elif isinstance(action, SendDocument):
            await bot.send_document(action.chat_id, BufferedInputFile(action.content, action.file_name),
                                    caption=action.caption, parse_mode="HTML" if action.caption else None)

    # ---- lifecycle --------------------------------------------------------------------------
    async def set_commands(self) -> None:
        """The command menu in Chinese for everyone, and in English for clients set to English."""
        conversation = self.app.conversation
        for code, lang in COMMAND_LANGUAGES:
            commands = [BotCommand(**c) for c in commands_json(conversation.bot_commands(lang))]
            try:
                await self.bot.set_my_commands(commands, language_code=code)
            except TelegramAPIError as exc:
                log.warning("setMyCommands failed: %s", type(exc).__name__)

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll (or receive webhooks) until ``stop`` is set, then shut down cleanly."""
        try:
            me = await self.bot.get_me()
            self.username = me.username
            log.info("telegram (%s): connected as bot id %s", FRAMEWORK, me.id)
            await self.set_commands()
            if self.options.webhook_url:
                await self._serve_webhook(stop)
            else:
                await self._serve_polling(stop)
        finally:
            await self.delivery.drain()
            await self.bot.session.close()

    async def _serve_polling(self, stop: asyncio.Event) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(
            self.dp.start_polling(
                self.bot,
                polling_timeout=self.options.polling_timeout,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=ALLOWED_UPDATES,
                tasks_concurrency_limit=self.options.concurrency,
            )
        )
        log.info("telegram (%s): long polling", FRAMEWORK)
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            await self.dp.stop_polling()
            await polling
        stopper.cancel()
        polling.result()  # re-raise a polling failure

    async def _serve_webhook(self, stop: asyncio.Event) -> None:
        options = self.options
        server = WebhookServer(webhook_path(options.webhook_url or ""), options.webhook_secret, self._enqueue)
        await server.start(options.listen_host, options.listen_port)
        try:
            await self.bot.set_webhook(options.webhook_url or "", secret_token=options.webhook_secret,
                                       allowed_updates=ALLOWED_UPDATES, max_connections=min(100, options.concurrency))
            log.info("telegram (%s): webhook on %s:%s", FRAMEWORK, options.listen_host, options.listen_port)
            await stop.wait()
        finally:
            await server.stop()
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=10)

    async def _enqueue(self, raw: dict) -> None:
        """Webhook updates run as bounded tasks, so the HTTP answer goes back at once."""
        await self._slots.acquire()
        task = asyncio.create_task(self._feed(raw))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _feed(self, raw: dict) -> None:
        try:
            await self.dp.feed_raw_update(self.bot, raw)
        except ValidationError:  # the update itself (handlers run on a parsed update)
            log_malformed(FRAMEWORK, raw)
        except Exception as exc:  # noqa: BLE001 - one bad update must not stop the others
            log.warning("telegram (%s): update failed (%s)", FRAMEWORK, type(exc).__name__)
        finally:
            self._slots.release()


async def serve(app: App, options: RunOptions, stop: asyncio.Event) -> None:
    await AiogramChannel(app, options).serve(stop)
