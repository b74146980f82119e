"""A small Telegram Bot API server for tests and benchmarks (aiohttp, 127.0.0.1, random port).

Unmodified aiogram and python-telegram-bot talk to it through their custom-server settings. It keeps
everything in memory: the update queue (real long polling with ``offset`` and ``timeout``, or webhook
delivery with the secret-token header), the messages the bot sent and edited, answered callbacks,
the command menu and uploaded/downloadable files. The user side (``send_text``, ``press``…) and the
fault switches (``faults``) are plain methods, so a test drives it in-process.

Replies follow the Bot API: ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": N,
"description": …}`` with the same HTTP status, which is what both frameworks map onto exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.support.emulator.faults import Fault, Faults
from tests.support.emulator.html_check import EntityParseError, html_to_text

log = logging.getLogger(__name__)

MAX_TEXT = 4096
IDEMPOTENCY_HEADER = "X-Idempotency-Key"
SENDING_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto"})
JSON_FIELDS = frozenset({"reply_markup", "commands", "allowed_updates", "scope", "entities", "link_preview_options",
                         "reply_parameters"})


class ApiError(Exception):
    """Answered as a Bot API error object."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.fault = Fault(code, description, retry_after)


@dataclass
class _Pending:
    update: dict
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class WebhookState:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    attempts: list[tuple[int, int | str]] = field(default_factory=list)  # (update_id, status or error)


def user_dict(user_id: int, language_code: str = "zh-hans") -> dict:
    return {"id": int(user_id), "is_bot": False, "first_name": f"用户{user_id}", "language_code": language_code}


def chat_dict(chat_id: int, groups: dict[int, dict] | None = None) -> dict:
    """A chat as the Bot API describes it: a group made with ``add_group``, else a private chat."""
    if groups and int(chat_id) in groups:
        return dict(groups[int(chat_id)])
    return {"id": int(chat_id), "type": "private", "first_name": f"用户{chat_id}"}


class BotApiEmulator:
    """The emulator; ``await start()`` returns the base URL (pass it as ``--api-url``)."""

    def __init__(
        self,
        bot_id: int = 123456,
        username: str = "zhicheng_test_bot",
        token: str | None = None,
        strict_chats: bool = False,
        webhook_retry_delay: float = 0.3,
        honor_idempotency_key: bool = False,
    ) -> None:
        """``token`` (when given) is the only one accepted; ``strict_chats`` answers "chat not found"
        for chats that never wrote to the bot, as Telegram does. ``honor_idempotency_key`` plays a
        deduplicating proxy in front of the Bot API; off by default, because Telegram ignores the header
        and a resend after a crash reaches the user twice there."""
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "职称助手", "username": username,
                    "can_join_groups": False, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        self.token = token
        self.strict_chats = strict_chats
        self.webhook_retry_delay = webhook_retry_delay
        self.faults = Faults()
        self.url = ""
        # state
        self._queue: list[_Pending] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._new_update = asyncio.Event()
        self._poller: asyncio.Future | None = None
        self.known_chats: set[int] = set()
        #: group chats (negative ids) users can write in: chat id → the Bot API chat object
        self.groups: dict[int, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}  # (chat, message id) -> current bot message
        self.sent: list[dict] = []  # every message the bot sent, in order (as first sent)
        self.edits: list[dict] = []  # {"chat_id", "message_id", "text", "reply_markup"}
        self.callback_answers: dict[str, dict] = {}
        self.callbacks_pressed: dict[str, dict] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: list[dict] = []
        #: command menus set for a client language (setMyCommands with language_code)
        self.commands_by_language: dict[str, list[dict]] = {}
        #: a user's client language (Telegram's language_code), "zh-hans" unless set
        self.user_languages: dict[int, str] = {}
        self._chat_queues: dict[int, asyncio.Queue] = {}
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file path, content)
        self.documents_sent: list[dict] = []
        self.webhook = WebhookState()
        self.get_updates_calls = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task | None = None
        self._http: ClientSession | None = None
        #: an ``X-Idempotency-Key`` seen before gets the earlier result instead of a second send
        self.honor_idempotency_key = honor_idempotency_key
        self._idempotent: dict[tuple[str, str], Any] = {}
        self.on_request: Callable[[str, dict], Awaitable[None]] | None = None

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._extra_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        real_port = sockets[0].getsockname()[1]
        self.url = f"http://{host}:{real_port}"
        return self.url

    def _extra_routes(self, app: web.Application) -> None:
        """Hook for the out-of-process control API (``python -m tests.support.emulator``)."""

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- user side: what a human does in the Telegram app -------------------------------------
    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[int(chat_id)])

    def add_group(self, chat_id: int, kind: str = "supergroup", title: str = "申报交流群") -> int:
        """A group chat the bot is a member of (``kind``: group, supergroup or channel)."""
        self.groups[int(chat_id)] = {"id": int(chat_id), "type": kind, "title": title}
        return int(chat_id)

    def _user_message(self, user: int, chat: int | None = None, **content: Any) -> dict:
        chat_id = int(user if chat is None else chat)
        self.known_chats.add(chat_id)
        return {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
                "chat": chat_dict(chat_id, self.groups), "from": self._sender(user), **content}

    def _sender(self, user: int) -> dict:
        return user_dict(user, self.user_languages.get(int(user), "zh-hans"))

    def send_text(self, user: int, text: str, chat: int | None = None) -> dict:
        """The user types ``text`` (in ``chat``, a group from ``add_group``; by default their private
        chat); returns the update (commands carry a bot_command entity)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}]
        return self.push_update({"message": self._user_message(user, chat, **content)})

    def _store_file(self, data: bytes, name: str) -> tuple[str, str]:
        file_id = "F" + uuid.uuid4().hex
        self.files[file_id] = (f"files/{file_id[:8]}/{name}", bytes(data))
        return file_id, file_id[:16]

    def send_photo(self, user: int, data: bytes = b"\xff\xd8photo", name: str = "photo.jpg",
                   chat: int | None = None) -> dict:
        file_id, unique = self._store_file(data, name)
        photo = [{"file_id": file_id, "file_unique_id": unique, "width": 90, "height": 90, "file_size": len(data)}]
        return self.push_update({"message": self._user_message(user, chat, photo=photo)})

    def send_sticker(self, user: int, data: bytes = b"RIFFwebp", name: str = "sticker.webp",
                     chat: int | None = None) -> dict:
        file_id, unique = self._store_file(data, name)
        sticker = {"file_id": file_id, "file_unique_id": unique, "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "file_size": len(data)}
        return self.push_update({"message": self._user_message(user, chat, sticker=sticker)})

    def send_voice(self, user: int, data: bytes = b"OggSvoice", name: str = "voice.ogg",
                   chat: int | None = None) -> dict:
        file_id, unique = self._store_file(data, name)
        voice = {"file_id": file_id, "file_unique_id": unique, "duration": 2, "mime_type": "audio/ogg",
                 "file_size": len(data)}
        return self.push_update({"message": self._user_message(user, chat, voice=voice)})

    def send_document(self, user: int, data: bytes, name: str, mime_type: str = "application/octet-stream",
                      declared_size: int | None = None, chat: int | None = None) -> dict:
        """``declared_size`` lets a test claim a huge file without allocating it; ``chat`` as in
        ``send_text`` (the media senders take it too)."""
        file_id, unique = self._store_file(data, name)
        document = {"file_id": file_id, "file_unique_id": unique, "file_name": name, "mime_type": mime_type,
                    "file_size": declared_size if declared_size is not None else len(data)}
        return self.push_update({"message": self._user_message(user, chat, document=document)})

    def press(self, user: int, message: dict, callback_data: str) -> dict:
        """The user presses a button of ``message`` (any data can be forged); returns the update."""
        query_id = str(uuid.uuid4().int >> 64)
        current = self.messages.get((int(message["chat"]["id"]), int(message["message_id"])), message)
        query = {"id": query_id, "from": self._sender(user), "chat_instance": f"ci{user}", "message": current,
                 "data": callback_data}
        self.callbacks_pressed[query_id] = query
        return self.push_update({"callback_query": query})

    def push_update(self, body: dict) -> dict:
        """Queue an update (``body`` without ``update_id``); returns it with its new id."""
        update = {"update_id": next(self._update_ids), **body}
        self.redeliver(update)
        return update

    def redeliver(self, update: dict) -> None:
        """Queue an update again with the same id, as Telegram does after a missed confirmation."""
        self._queue.append(_Pending(update))
        self._new_update.set()

    # ---- inspection ---------------------------------------------------------------------------
    def message_queue(self, chat_id: int) -> asyncio.Queue:
        """A queue of ``(perf_counter time, message)`` for every later message to ``chat_id``.

        Benchmarks wait on it: unlike ``wait_for_messages`` it costs O(1) per message.
        """
        return self._chat_queues.setdefault(int(chat_id), asyncio.Queue())

    def messages_to(self, chat_id: int) -> list[dict]:
        """The bot's messages in ``chat_id`` as they look now (after edits), oldest first."""
        chat_id = int(chat_id)
        return [self.messages[(chat_id, m["message_id"])] for m in self.sent if m["chat"]["id"] == chat_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (checked whenever the bot calls a method)."""
        async def waiter() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(waiter(), timeout)

    async def wait_for_messages(self, chat_id: int, n: int, timeout: float = 10.0) -> list[dict]:
        """Wait until the bot has sent at least ``n`` messages to ``chat_id``; returns them all."""
        try:
            def enough() -> list[dict] | None:
                msgs = self.messages_to(chat_id)
                return msgs if len(msgs) >= n else None

            return await self.wait_for(enough, timeout)
        except TimeoutError:
            got = [m.get("text", "")[:60] for m in self.messages_to(chat_id)]
            raise AssertionError(f"chat {chat_id}: expected {n} messages within {timeout}s, got {got}") from None

    async def wait_for_answer(self, callback_query_id: str, timeout: float = 10.0) -> dict:
        """Wait until the bot answered this callback query; returns the answerCallbackQuery params."""
        try:
            return await self.wait_for(lambda: self.callback_answers.get(callback_query_id), timeout)
        except TimeoutError:
            raise AssertionError(f"callback {callback_query_id} was not answered within {timeout}s") from None

    async def wait_until_polling(self, timeout: float = 30.0) -> None:
        """Wait until the bot has asked for updates (it is up and listening)."""
        await self.wait_for(lambda: self.get_updates_calls > 0 or self.webhook.url, timeout)

    @property
    def pending_updates(self) -> int:
        return len(self._queue)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- HTTP ---------------------------------------------------------------------------------
    async def _handle_method(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            return self._error(Fault(401, "Unauthorized"))
        method = request.match_info["method"].lower()
        self.calls[method] += 1
        try:
            params = await _read_params(request)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            if self.on_request is not None:
                await self.on_request(method, params)
            key = request.headers.get(IDEMPOTENCY_HEADER) if self.honor_idempotency_key else None
            if key is not None and (method, key) in self._idempotent:
                # A resend after a crash between delivery and the sender's commit: answer as before.
                self.faults.stats.idempotent_replays += 1
                return web.json_response({"ok": True, "result": self._idempotent[(method, key)]})
            result = await handler(params)
            if key is not None:
                self._idempotent[(method, key)] = result
            body: dict = {"ok": True, "result": result}
            return web.json_response(body)
        except ApiError as exc:
            return self._error(exc.fault)
        except (ValueError, KeyError, TypeError) as exc:
            return self._error(Fault(400, f"Bad Request: {type(exc).__name__}: {exc}"))
        finally:
            if method != "getupdates":
                await self._notify()

    @staticmethod
    def _error(fault: Fault) -> web.Response:
        return web.json_response(fault.body(), status=fault.error_code)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        for file_path, content in self.files.values():
            if file_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # ---- Bot API methods ----------------------------------------------------------------------
    async def _m_getme(self, params: dict) -> dict:
        return dict(self.bot)

    async def _m_logout(self, params: dict) -> bool:
        return True

    async def _m_close(self, params: dict) -> bool:
        return True

    async def _m_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        for c in commands:
            if not (1 <= len(c["command"]) <= 32) or not (1 <= len(c["description"]) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        language = params.get("language_code")
        if language:
            self.commands_by_language[str(language)] = list(commands)
        else:
            self.commands = list(commands)
        return True

    async def _m_getmycommands(self, params: dict) -> list:
        return list(self.commands)

    async def _m_deletemycommands(self, params: dict) -> bool:
        self.commands = []
        return True

    async def _m_getupdates(self, params: dict) -> list:
        if self.webhook.url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        self.get_updates_calls += 1
        await self._notify()
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, min(50.0, float(params.get("timeout") or 0)))
        allowed = params.get("allowed_updates") or None
        if offset:
            self._queue = [p for p in self._queue if p.update_id >= offset or not p.delivered]
        # A newer getUpdates ends an older one, as on Telegram (the older gets 409).
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("conflict")
        deadline = time.monotonic() + timeout
        while True:
            batch = [p for p in self._queue if _allowed(p.update, allowed)][:limit]
            if batch:
                for p in batch:
                    p.delivered = True
                return [p.update for p in batch]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._new_update.clear()
            poller = asyncio.get_running_loop().create_future()
            self._poller = poller
            waiter = asyncio.ensure_future(self._new_update.wait())
            try:
                done, _ = await asyncio.wait({poller, waiter}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if poller.done() and not poller.cancelled() and poller.result() == "conflict":
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
            if self._poller is poller:
                self._poller = None

    async def _m_setwebhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._queue.clear()
        if not url:
            return await self._m_deletewebhook({})
        secret = params.get("secret_token")
        if secret is not None and not (1 <= len(str(secret)) <= 256):
            raise ApiError(400, "Bad Request: secret token is invalid")
        self.webhook = WebhookState(url=url, secret_token=None if secret is None else str(secret),
                                    max_connections=int(params.get("max_connections") or 40),
                                    allowed_updates=params.get("allowed_updates") or None)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("conflict")
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        self._new_update.set()
        return True

    async def _m_deletewebhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._queue.clear()
        self.webhook = WebhookState()
        return True

    async def _m_getwebhookinfo(self, params: dict) -> dict:
        info: dict[str, Any] = {"url": self.webhook.url, "has_custom_certificate": False,
                                "pending_update_count": len(self._queue)}
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
        if self.webhook.last_error_date:
            info["last_error_date"] = self.webhook.last_error_date
            info["last_error_message"] = self.webhook.last_error_message
        return info

    def _chat_id(self, params: dict) -> int:
        raw = params.get("chat_id")
        if raw is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if self.strict_chats and chat_id not in self.known_chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_fault(self, chat_id: int) -> None:
        fault = self.faults.check(chat_id)
        if fault is not None:
            raise ApiError(fault.error_code, fault.description, fault.retry_after)

    @staticmethod
    def _render_text(params: dict, key: str = "text") -> str:
        raw = params.get(key)
        if raw is None or str(raw) == "":
            raise ApiError(400, "Bad Request: message text is empty")
        raw = str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        try:
            text = html_to_text(raw) if mode == "html" else raw
        except EntityParseError as exc:
            raise ApiError(400, str(exc)) from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        if markup in (None, "", {}):
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not (1 <= len(str(data).encode()) <= 64):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup

    def _bot_message(self, chat_id: int, **content: Any) -> dict:
        message = {"message_id": self._next_message_id(chat_id), "from": dict(self.bot), "chat": chat_dict(chat_id, self.groups),
                   "date": int(time.time()), **{k: v for k, v in content.items() if v is not None}}
        self.messages[(chat_id, message["message_id"])] = message
        self.sent.append(message)
        self.faults.delivered(chat_id, message)
        queue = self._chat_queues.get(chat_id)
        if queue is not None:
            queue.put_nowait((time.perf_counter(), message))
        return message

    async def _m_sendmessage(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        text = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        self._check_fault(chat_id)
        return self._bot_message(chat_id, text=text, reply_markup=markup,
                                 parse_mode_used=params.get("parse_mode"), raw_text=str(params["text"]))

    async def _m_senddocument(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        upload = params.get("document")
        if not isinstance(upload, _Upload):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = self._render_text(params, "caption") if params.get("caption") else None
        self._check_fault(chat_id)
        file_id, unique = self._store_file(upload.content, upload.filename)
        document = {"file_id": file_id, "file_unique_id": unique, "file_name": upload.filename,
                    "file_size": len(upload.content)}
        message = self._bot_message(chat_id, document=document, caption=caption,
                                    reply_markup=self._check_markup(params.get("reply_markup")))
        self.documents_sent.append({"chat_id": chat_id, "file_name": upload.filename, "content": upload.content})
        return message

    def _find_message(self, params: dict) -> tuple[int, dict]:
        chat_id = self._chat_id(params)
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: message identifier is not specified") from None
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat_id, message

    async def _m_editmessagetext(self, params: dict) -> dict:
        chat_id, message = self._find_message(params)
        text = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
        self._check_fault(chat_id)
        message["text"] = text
        message["edit_date"] = int(time.time())
        return self._edited(chat_id, message, text, markup)

    async def _m_editmessagereplymarkup(self, params: dict) -> dict:
        chat_id, message = self._find_message(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        return self._edited(chat_id, message, None, markup)

    def _edited(self, chat_id: object, message: dict, text: str | None, markup: dict | None) -> dict:
        """``message`` with its keyboard set to ``markup`` (None: removed), the edit recorded in
        ``edits`` (``text`` None when only the keyboard changed)."""
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        self.edits.append({"chat_id": chat_id, "message_id": message["message_id"], "text": text, "reply_markup": markup})
        return message

    async def _m_answercallbackquery(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.callbacks_pressed:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if query_id in self.callback_answers:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {"text": text, "show_alert": params.get("show_alert") in (True, "true")}
        return True

    async def _m_sendchataction(self, params: dict) -> bool:
        chat_id = self._chat_id(params)
        self.chat_actions.append((chat_id, str(params.get("action"))))
        return True

    async def _m_getfile(self, params: dict) -> dict:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        if len(content) > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": file_id[:16], "file_size": len(content), "file_path": path}

    # ---- webhook delivery ---------------------------------------------------------------------
    async def _deliver_webhooks(self) -> None:
        """Push queued updates to the webhook; failures are recorded and retried, never raised."""
        self._http = self._http or ClientSession(timeout=ClientTimeout(total=60))
        while self.webhook.url:
            try:
                batch = [p for p in self._queue if not p.delivered and _allowed(p.update, self.webhook.allowed_updates)]
                if not batch:
                    self._new_update.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._new_update.wait(), 1.0)
                    continue
                batch = batch[: self.webhook.max_connections]
                for p in batch:
                    p.delivered = True  # in flight
                results = await asyncio.gather(*(self._post_update(p) for p in batch))
                failed = False
                for p, ok in zip(batch, results, strict=True):
                    if ok:
                        with contextlib.suppress(ValueError):
                            self._queue.remove(p)
                    else:
                        p.delivered = False
                        failed = True
                await self._notify()
                if failed:
                    await asyncio.sleep(self.webhook_retry_delay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a delivery problem must never stop the emulator
                log.warning("webhook delivery loop: %s", type(exc).__name__)
                await asyncio.sleep(self.webhook_retry_delay)

    async def _post_update(self, pending: _Pending) -> bool:
        headers = {}
        if self.webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
        assert self._http is not None
        try:
            async with self._http.post(self.webhook.url, json=pending.update, headers=headers) as resp:
                await resp.read()
                self.webhook.attempts.append((pending.update_id, resp.status))
                if 200 <= resp.status < 300:
                    return True
                error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except Exception as exc:  # noqa: BLE001
            self.webhook.attempts.append((pending.update_id, type(exc).__name__))
            error = f"Connection failed: {type(exc).__name__}"
        self.webhook.last_error_date = int(time.time())
        self.webhook.last_error_message = error
        return False


@dataclass
class _Upload:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def _allowed(update: dict, allowed: list[str] | None) -> bool:
    if not allowed:
        return True
    return any(key in update for key in allowed)


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in JSON_FIELDS and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    return value


async def _read_params(request: web.Request) -> dict:
    """Parameters from the query string and a JSON, urlencoded or multipart body (as frameworks send)."""
    params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
    if request.method != "POST" or not request.body_exists:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.filename:  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
                params[part.name] = _Upload(part.filename, bytes(data),  # type: ignore[union-attr]
                                            part.headers.get("Content-Type", "application/octet-stream"))
            else:
                params[part.name] = _decode(part.name, await part.text())  # type: ignore[union-attr,arg-type]
    else:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = _Upload(value.filename, value.file.read(), value.content_type)
            else:
                params[key] = _decode(key, value)
    # aiogram sends a file as "attach://<name>" plus a part named <name>
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value[len("attach://"):], value)
    return params
