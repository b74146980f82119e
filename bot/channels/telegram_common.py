"""Framework-free Telegram helpers shared by the aiogram and python-telegram-bot adapters.

Both adapters turn their framework's update into a plain Bot API dict, call ``parse_update`` to get
the ``Inbound`` for the core, and turn the core's replies into a list of actions with
``plan_replies``; only executing those actions is framework code. So the two adapters behave the
same, and everything here is tested without importing a framework.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from bot.core.messages import Attachment, Button, Inbound, Outbound
from bot.core.textsplit import TELEGRAM_TEXT_LIMIT, split_text

if TYPE_CHECKING:
    from bot.core.conversation import Conversation

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_MESSAGE = TELEGRAM_TEXT_LIMIT
MAX_CAPTION = 1024
MAX_TOAST = 200
#: documents up to this size are downloaded and handed to the core (staff imports); larger ones are not
DOCUMENT_FETCH_LIMIT = 10 * 1024 * 1024
#: what the bot asks Telegram for; everything else (edits, member updates) is not ours to answer
ALLOWED_UPDATES = ["message", "callback_query"]
#: non-text message fields, checked in this order (an animation also carries a ``document`` field)
MEDIA_FIELDS = (
    "photo", "sticker", "voice", "video", "video_note", "audio", "animation", "location", "venue",
    "contact", "poll", "dice", "game", "story", "invoice", "paid_media",
)


def escape_html(text: str) -> str:
    """Plain text → Telegram HTML: the core's texts (and anything a user typed) never become markup."""
    return html.escape(text, quote=False)


def keyboard_json(buttons: list[list[Button]]) -> dict | None:
    """``Outbound.buttons`` → an ``InlineKeyboardMarkup`` object (None when there are no buttons)."""
    rows = [[{"text": b.text, "callback_data": b.data} for b in row] for row in buttons if row]
    return {"inline_keyboard": rows} if rows else None


#: (Telegram language_code, our language) of the command menus: the default one (no code) in
#: Chinese, and an English one Telegram shows to clients set to English
COMMAND_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, "zh"), ("en", "en"))


def commands_json(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """(command, description) pairs → ``BotCommand`` objects, trimmed to Telegram's limits."""
    seen: set[str] = set()
    out = []
    for command, description in pairs:
        name = command.lstrip("/").lower()[:32]
        if not name or name in seen:
            continue
        seen.add(name)
        out.append({"command": name, "description": (description or name)[:256]})
    return out


# ---- update → Inbound ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Incoming:
    """An ``Inbound`` plus what the adapter needs to answer it on Telegram."""

    inbound: Inbound
    chat_id: int
    callback_id: str | None = None
    #: the message the pressed button belongs to (target of ``edit=True`` replies)
    message_id: int | None = None
    #: a document to fetch (when small enough) before handing the update to the core
    file_id: str | None = None

    @property
    def wants_download(self) -> bool:
        attachment = self.inbound.attachment
        return self.file_id is not None and attachment is not None and attachment.size <= DOCUMENT_FETCH_LIMIT

    def with_content(self, content: bytes) -> Incoming:
        """The same update with the downloaded document bytes filled in."""
        attachment = self.inbound.attachment or Attachment()
        filled = attachment.model_copy(update={"content": bytes(content), "size": len(content)})
        return Incoming(self.inbound.model_copy(update={"attachment": filled}), self.chat_id,
                        self.callback_id, self.message_id, self.file_id)


_CHAT_TYPES = {"private", "group", "supergroup", "channel"}


def _chat_type(chat: dict, sender: dict) -> str:
    """Telegram's chat.type; an unknown or missing type counts as shared unless the chat is the
    sender's own (a private chat's id is the user's id)."""
    kind = str(chat.get("type") or "")
    if kind in _CHAT_TYPES:
        return kind
    return "private" if "id" in chat and chat.get("id") == sender.get("id") else "group"


def client_language(sender: dict) -> str:
    """The language a new user starts in, from Telegram's ``language_code``: English for en*, Chinese
    for anything else (the bot speaks these two; an unknown or missing code is the office's own)."""
    code = sender.get("language_code")
    return "en" if isinstance(code, str) and code.lower().startswith("en") else "zh"


def addressed_to_another_bot(text: str, bot_username: str | None) -> bool:
    """Whether ``text`` is a command addressed to another bot (``/help@other_bot``).

    In a group every bot sees such commands (when privacy mode is off or the bot is an admin); only
    the bot named after the ``@`` is meant. Without our own username nothing can be told apart."""
    if not bot_username or not text.startswith("/"):
        return False
    head = text.split(maxsplit=1)[0]
    _, at, target = head.partition("@")
    return bool(at) and target.lower() != bot_username.lstrip("@").lower()


def _own_mention(bot_username: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![/\w])@{re.escape(bot_username.lstrip('@'))}(?!\w)", re.IGNORECASE)


def addressed_to_us(message: dict, text: str, bot_username: str | None) -> tuple[str, bool]:
    """In a shared chat: the text without the bot's own @mention, and whether the message names the
    bot or replies to one of its messages. Without our username nothing can be told (not addressed)."""
    if not bot_username:
        return text, False
    stripped, mentions = _own_mention(bot_username).subn(" ", text)
    replied = (message.get("reply_to_message") or {}).get("from") or {}
    to_us = bool(replied.get("is_bot")) and str(replied.get("username") or "").lower() == bot_username.lstrip("@").lower()
    return (stripped.strip() if mentions else text), bool(mentions) or to_us


def parse_update(update: dict, bot_username: str | None = None) -> Incoming | None:
    """A Bot API update dict → ``Incoming``; None for update kinds the bot does not answer, and for
    a command another bot (not ``bot_username``) is asked in a group."""
    update_id = update.get("update_id")
    uid = None if update_id is None else str(update_id)
    if "callback_query" in update:
        return _parse_callback(update["callback_query"], uid)
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    return _parse_message(message, uid, bot_username)


def _parse_message(message: dict, update_id: str | None, bot_username: str | None = None) -> Incoming | None:
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    if "id" not in chat or sender.get("is_bot"):
        return None
    chat_id = int(chat["id"])
    base = {
        "channel": CHANNEL,
        "user_id": str(sender.get("id", chat_id)),
        "chat_id": str(chat_id),
        "update_id": update_id,
        "chat_type": _chat_type(chat, sender),
        "language": client_language(sender),
    }
    if isinstance(message.get("text"), str):
        text = message["text"]
        if base["chat_type"] != "private":
            if addressed_to_another_bot(text, bot_username):
                return None  # /help@other_bot in a group is for that bot; in a private chat only we read it
            text, base["addressed"] = addressed_to_us(message, text, bot_username)
        return Incoming(Inbound(kind="text", text=text, **base), chat_id)
    for field in MEDIA_FIELDS:
        if field in message:
            return Incoming(Inbound(kind="media", media_type=field, **base), chat_id)
    document = message.get("document")
    if isinstance(document, dict):
        attachment = Attachment(
            file_name=str(document.get("file_name") or "")[:255],
            mime_type=str(document.get("mime_type") or "")[:127],
            size=int(document.get("file_size") or 0),
        )
        return Incoming(Inbound(kind="document", attachment=attachment, **base), chat_id,
                        file_id=document.get("file_id"))
    if any(k in message for k in ("new_chat_members", "left_chat_member", "pinned_message", "new_chat_title")):
        return None  # service messages are not something a user said
    return Incoming(Inbound(kind="media", media_type="other", **base), chat_id)


def _parse_callback(query: dict, update_id: str | None) -> Incoming | None:
    sender = query.get("from") or {}
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    if "id" not in sender:
        return None
    chat_id = int(chat.get("id", sender["id"]))
    inbound = Inbound(
        channel=CHANNEL,
        user_id=str(sender["id"]),
        chat_id=str(chat_id),
        kind="callback",
        callback_data=str(query.get("data") or ""),
        update_id=update_id,
        chat_type=_chat_type(chat, sender) if chat else "private",
        language=client_language(sender),
    )
    message_id = message.get("message_id")
    return Incoming(inbound, chat_id, callback_id=str(query.get("id")),
                    message_id=int(message_id) if message_id is not None else None)


# ---- replies → actions --------------------------------------------------------------------------
@dataclass(frozen=True)
class SendText:
    chat_id: int
    text: str  # HTML, already escaped
    reply_markup: dict | None = None


@dataclass(frozen=True)
class EditText:
    chat_id: int
    message_id: int
    text: str  # HTML, already escaped
    reply_markup: dict | None = None

    def as_send(self) -> SendText:
        """Fallback when the message cannot be edited (too old, deleted)."""
        return SendText(self.chat_id, self.text, self.reply_markup)


@dataclass(frozen=True)
class AnswerCallback:
    callback_id: str
    text: str | None = None


@dataclass(frozen=True)
class SendDocument:
    chat_id: int
    file_name: str
    content: bytes
    caption: str | None = None  # HTML, already escaped


Action = SendText | EditText | AnswerCallback | SendDocument


def plan_replies(incoming: Incoming, replies: list[Outbound]) -> list[Action]:
    """What to call on Telegram for the core's replies to ``incoming``.

    A pressed button is always answered first (with the first toast, or silently) so the client's
    spinner stops; ``edit=True`` edits the pressed message once, anything longer than 4096
    characters is split on paragraphs with the buttons on the last part.
    """
    actions: list[Action] = []
    if incoming.callback_id is not None:
        toast = next((r.toast for r in replies if r.toast), None)
        actions.append(AnswerCallback(incoming.callback_id, toast[:MAX_TOAST] if toast else None))
    chat_id = incoming.chat_id
    edit_target = incoming.message_id if incoming.callback_id is not None else None
    for reply in replies:
        if reply.document is not None:
            actions.extend(_document_actions(chat_id, reply))
            continue
        if not reply.text.strip():
            continue
        markup = keyboard_json(reply.buttons)
        chunks = split_text(reply.text, MAX_MESSAGE)
        for i, chunk in enumerate(chunks):
            chunk_markup = markup if i == len(chunks) - 1 else None
            if reply.edit and edit_target is not None and i == 0:
                actions.append(EditText(chat_id, edit_target, escape_html(chunk), chunk_markup))
                edit_target = None  # one message can only become one reply
            else:
                actions.append(SendText(chat_id, escape_html(chunk), chunk_markup))
    return actions


def _document_actions(chat_id: int, reply: Outbound) -> list[Action]:
    document = reply.document
    assert document is not None
    text = reply.text.strip()
    caption = escape_html(text) if text and len(text) <= MAX_CAPTION else None
    out: list[Action] = [SendDocument(chat_id, document.file_name or "file", document.content or b"", caption)]
    if text and caption is None:
        out.extend(SendText(chat_id, escape_html(chunk)) for chunk in split_text(text, MAX_MESSAGE))
    return out


# ---- executing actions ----------------------------------------------------------------------------
FailureKind = Literal["retry", "blocked", "not_modified", "bad_request", "network", "other"]
#: longest flood wait an interactive reply honours; beyond that the reply is dropped (and logged)
MAX_REPLY_WAIT = 30.0
#: pauses before re-sending a reply that failed in transit (connection refused or reset, timeout,
#: Telegram 5xx); after the last one the reply is dropped (and logged)
NETWORK_RETRY_DELAYS = (1.0, 3.0)


@dataclass(frozen=True)
class Failure:
    """A framework exception reduced to what the delivery policy needs."""

    kind: FailureKind
    retry_after: float = 0.0


def classify_description(status: int | None, description: str, retry_after: float | None = None) -> Failure:
    """Map a Bot API error (status code and description) onto a ``Failure``."""
    text = description.lower()
    if retry_after is not None or status == 429:
        return Failure("retry", float(retry_after or 1))
    if status == 403 or "bot was blocked" in text or "user is deactivated" in text:
        return Failure("blocked")
    if "message is not modified" in text:
        return Failure("not_modified")
    if status == 400 or "bad request" in text:
        return Failure("bad_request")
    if status is not None and status >= 500:
        return Failure("network")  # Telegram's side failed; the same call may well work in a moment
    return Failure("other")


async def execute_plan(
    actions: list[Action],
    perform: Callable[[Action], Awaitable[object]],
    classify: Callable[[Exception], Failure],
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    max_retries: int = 3,
) -> bool:
    """Run actions in order with one policy for both frameworks; never raises. False when nothing more
    should be sent to that chat now (the user blocked the bot, or Telegram asks for a wait longer
    than ``MAX_REPLY_WAIT``), else True.

    429 → wait ``retry_after`` and retry (bounded); a failure in transit → retry after
    ``NETWORK_RETRY_DELAYS`` (a blip must not cost the user the answer; after a timeout the first
    attempt may in fact have arrived, and a rare duplicate is better than silence); 403 → the user
    blocked the bot, stop; an edit that fails (too old, deleted) becomes a new message; a failed
    callback answer is not worth more.
    """
    for action in actions:
        current: Action = action
        attempts = 0
        network_attempts = 0
        while True:
            try:
                await perform(current)
                break
            except Exception as exc:  # noqa: BLE001 - the policy below decides, nothing escapes
                failure = classify(exc)
            if failure.kind == "retry" and attempts < max_retries and failure.retry_after <= MAX_REPLY_WAIT:
                attempts += 1
                await sleep(failure.retry_after)
                continue
            if failure.kind == "retry" and failure.retry_after > MAX_REPLY_WAIT:
                log.warning("telegram: flood wait of %.0f s; dropping %d reply action(s)", failure.retry_after,
                            len(actions))
                return False
            if failure.kind == "network" and network_attempts < len(NETWORK_RETRY_DELAYS):
                await sleep(NETWORK_RETRY_DELAYS[network_attempts])
                network_attempts += 1
                continue
            if failure.kind == "blocked":
                log.info("telegram: the user blocked the bot; dropping %d reply action(s)", len(actions))
                return False
            if isinstance(current, EditText) and failure.kind == "bad_request":
                current = current.as_send()
                continue
            if failure.kind != "not_modified" and not isinstance(current, AnswerCallback):
                log.warning("telegram: %s failed (%s)", type(current).__name__, failure.kind)
            break
    return True


#: reply actions one chat may have waiting; beyond that a burst's further replies are dropped (logged
#: once per burst), so one user flooding the bot holds neither memory nor anybody else's turn
MAX_QUEUED_ACTIONS = 60


class ChatDelivery:
    """Replies leave one chat in the order they were made, one at a time, on a task of that chat.

    Telegram allows about one message per second in a chat. Sent straight from each update's task, a
    burst of messages from one user raced for that chat: every reply got a 429, all retried after the
    same ``retry_after`` and raced again, so most of them were dropped after the bounded retries
    (one warning each), and those that arrived came out of order. Queued per chat, each reply waits
    for the one before it and then at most its own ``retry_after``. The update's task only queues,
    so its concurrency slot is free for other users at once. A pressed button is answered at once
    (the client gives up on an answer after a few seconds), outside the queue.
    """

    def __init__(self, perform: Callable[[Action], Awaitable[object]], classify: Callable[[Exception], Failure],
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                 limit: int = MAX_QUEUED_ACTIONS) -> None:
        self._perform = perform
        self._classify = classify
        self._sleep = sleep
        self._limit = limit
        self._queues: dict[int, deque[list[Action]]] = {}
        self._queued: dict[int, int] = {}
        self._dropped: dict[int, int] = {}
        self._tasks: dict[int, asyncio.Task] = {}

    async def deliver(self, chat_id: int, actions: list[Action]) -> None:
        """Answer a pressed button now; queue the rest for ``chat_id``."""
        answers = [a for a in actions if isinstance(a, AnswerCallback)]
        rest = [a for a in actions if not isinstance(a, AnswerCallback)]
        if answers:
            await execute_plan(answers, self._perform, self._classify, self._sleep)
        if not rest:
            return
        queued = self._queued.get(chat_id, 0)
        if queued and queued + len(rest) > self._limit:  # (a chat's task is running: it logs the drop)
            self._dropped[chat_id] = self._dropped.get(chat_id, 0) + len(rest)
            return
        self._queued[chat_id] = queued + len(rest)
        self._queues.setdefault(chat_id, deque()).append(rest)
        if chat_id not in self._tasks:
            self._tasks[chat_id] = asyncio.create_task(self._run(chat_id))

    @property
    def pending(self) -> int:
        """Reply actions queued and not yet sent, over all chats."""
        return sum(self._queued.values())

    async def _run(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                actions = queue.popleft()
                self._queued[chat_id] -= len(actions)
                if not await execute_plan(actions, self._perform, self._classify, self._sleep):
                    # blocked, or a long flood wait: the rest would be refused the same way
                    self._dropped[chat_id] = self._dropped.get(chat_id, 0) + self._queued[chat_id]
                    self._queued[chat_id] = 0
                    queue.clear()
        except Exception as exc:  # noqa: BLE001 - execute_plan never raises; this is a last resort
            log.warning("telegram: reply delivery stopped (%s)", type(exc).__name__)
        finally:
            self._queues.pop(chat_id, None)
            left = self._queued.pop(chat_id, 0)  # still queued when shutting down (cancelled)
            self._tasks.pop(chat_id, None)
            dropped = self._dropped.pop(chat_id, 0) + left
            if dropped:
                log.warning("telegram: %d reply action(s) to one chat dropped (too many at once, blocked, "
                            "a long flood wait or shutting down)", dropped)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (at most ``timeout``) for the queued replies to go out, then drop the rest."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _done, late = await asyncio.wait(tasks, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)


Markup = TypeVar("Markup")
#: a keyboard's memory key (one encoder for all calls: ``json.dumps`` with options builds one per call)
_KEYBOARD_KEY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class KeyboardMemory(Generic[Markup]):
    """Framework keyboard objects, built once per layout (the least recently used dropped first).

    The same few keyboards recur (feedback buttons, the menu) and building one means the
    framework's validation each time; the framework only reads a keyboard when it sends it. Used by
    the aiogram adapter (the PTB adapter passes the Bot API dict through ``api_kwargs``).
    """

    def __init__(self, build: Callable[[dict], Markup], size: int = 512) -> None:
        self._build = build
        self._size = size
        self._built: OrderedDict[str, Markup] = OrderedDict()

    def get(self, data: dict | None) -> Markup | None:
        if not data:
            return None
        key = _KEYBOARD_KEY(data)
        markup = self._built.get(key)
        if markup is None:
            markup = self._built[key] = self._build(data)
            if len(self._built) > self._size:
                self._built.popitem(last=False)
        return markup


def text_update_as_dict(update: Any, full: Callable[[], dict]) -> dict:
    """A framework's parsed update as the Bot API dict ``parse_update`` reads, cheaply for text.

    A plain text message (nearly all traffic) is rebuilt from the few fields the translation reads;
    the frameworks' generic dumps (PTB's ``to_dict``, aiogram's ``model_dump``) walk every nested
    object and cost about as much as the core's whole handling of a question. Both frameworks name
    these attributes alike (``message.from_user``, ``chat.id``, ...). Anything else (buttons, media,
    documents) goes through ``full()``.
    """
    message = update.message
    if update.callback_query is not None or message is None or message.text is None or message.document is not None:
        return full()
    chat_type = getattr(message.chat.type, "value", message.chat.type)
    out: dict = {"message_id": message.message_id, "chat": {"id": message.chat.id, "type": str(chat_type)}, "text": message.text}
    sender = message.from_user
    if sender is not None:
        out["from"] = {"id": sender.id, "is_bot": sender.is_bot}
        if sender.language_code:
            out["from"]["language_code"] = sender.language_code
    replied = getattr(message, "reply_to_message", None)
    if replied is not None and replied.from_user is not None:  # in a group: a reply to the bot addresses it
        out["reply_to_message"] = {"from": {"id": replied.from_user.id, "is_bot": replied.from_user.is_bot,
                                            "username": replied.from_user.username}}
    return {"update_id": update.update_id, "message": out}


# ---- malformed updates ------------------------------------------------------------------------------
Parsed = TypeVar("Parsed")


def log_malformed(framework: str, raw: object) -> None:
    """One line for an update the framework cannot read: its id, never its content."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    log.warning("telegram (%s): malformed update %s skipped", framework, update_id if isinstance(update_id, int) else "?")


def parse_each(raw_updates: list, parse: Callable[[dict], Parsed], placeholder: Callable[[int], Parsed],
               framework: str) -> list[Parsed]:
    """A batch of raw updates parsed one by one: an update the framework cannot read (a missing
    ``date``, a wrong type) becomes a bare placeholder with its id, so polling confirms it and moves
    on instead of fetching the same batch forever, and the other updates of the batch are answered."""
    out: list[Parsed] = []
    for raw in raw_updates:
        try:
            out.append(parse(raw))
        except Exception:  # noqa: BLE001 - whatever the framework raises, one update must not stop the rest
            log_malformed(framework, raw)
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if isinstance(update_id, int):
                out.append(placeholder(update_id))
    return out


# ---- one update, start to finish ------------------------------------------------------------------
Fetch = Callable[[str], Awaitable[bytes]]


async def process_update(
    conversation: Conversation,
    update: dict,
    perform: Callable[[Action], Awaitable[object]],
    classify: Callable[[Exception], Failure],
    fetch: Fetch | None = None,
    bot_username: str | None = None,
    delivery: ChatDelivery | None = None,
) -> None:
    """Translate, fetch a small document (sent by staff), let the core answer, deliver; never raises.
    ``bot_username`` (from getMe) tells the bot's own group commands from other bots' ones; with
    ``delivery`` the replies are queued per chat (the adapters) instead of sent before returning."""
    try:
        incoming = parse_update(update, bot_username)
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("telegram: malformed update ignored")
        return
    if incoming is None:
        return
    if (incoming.wants_download and fetch is not None and incoming.file_id and incoming.inbound.is_private
            and await conversation.wants_document(incoming.inbound)):  # staff, privately: no download otherwise
        try:
            content = await fetch(incoming.file_id)
            if len(content) <= DOCUMENT_FETCH_LIMIT:
                incoming = incoming.with_content(content)
        except Exception as exc:  # noqa: BLE001 - the core still answers, without the content
            log.warning("telegram: document download failed (%s)", type(exc).__name__)
    replies = await conversation.handle(incoming.inbound)
    actions = plan_replies(incoming, replies)
    if delivery is not None:
        await delivery.deliver(incoming.chat_id, actions)
    else:
        await execute_plan(actions, perform, classify)


@dataclass(frozen=True)
class RunOptions:
    """How ``python -m bot run`` asked the adapter to talk to Telegram."""

    token: str
    api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str = ""
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    concurrency: int = 32
    polling_timeout: int = 10
