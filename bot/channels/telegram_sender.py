"""``TelegramHttpSender``: pushes over the raw Bot API with aiohttp, no bot framework.

The outbox worker and the broadcast benchmark only need ``sendMessage`` and ``editMessageText``;
importing aiogram for that would cost seconds on start-up and tie delivery to one framework. This
module maps Bot API answers onto ``bot.core.sending`` errors:

- 403 → ``RecipientBlocked`` (the user blocked the bot: mark inactive, never retry)
- 429 → ``RetryLater(retry_after, scope)``; Telegram does not say whether the limit was per chat or
  global, so the scope is "chat" unless the answer says otherwise (``parameters.scope`` or a
  description mentioning a global limit, which self-hosted servers and our emulator may send); the
  worker escalates to a global pause when many chats are refused at once
- other 4xx → ``PermanentFailure`` with Telegram's description as the reason
- 5xx, timeouts, connection errors, unreadable answers → ``TransientFailure``

Text is HTML-escaped (the core's texts are plain), so user-supplied text can never inject markup.

Idempotency: Telegram has no idempotency key for ``sendMessage``. The sender adds the outbox key as
the ``X-Idempotency-Key`` header; api.telegram.org ignores it, so after a crash between delivery and
our commit the resend reaches the user twice (at most the sends in flight at the crash). Only a
deduplicating proxy in front of the Bot API (or the emulator with ``honor_idempotency_key``) can use
the header to drop that resend.
"""

from __future__ import annotations

import html
import json
from collections import OrderedDict
from typing import Any

from bot.channels.telegram_common import keyboard_json
from bot.core.messages import Outbound
from bot.core.sending import PermanentFailure, RecipientBlocked, RetryLater, TransientFailure
from bot.core.textsplit import TELEGRAM_TEXT_LIMIT, split_text

DEFAULT_API_URL = "https://api.telegram.org"
IDEMPOTENCY_HEADER = "X-Idempotency-Key"


#: pushes remembered as partly sent (a few bytes each; the oldest are forgotten first)
MAX_PARTIAL_PUSHES = 10_000


class TelegramHttpSender:
    """Implements ``bot.core.sending.EditableSender`` for Telegram over HTTP."""

    channel = "telegram"

    def __init__(
        self,
        token: str,
        api_url: str | None = None,
        timeout: float = 15.0,
        max_connections: int = 100,
        session: Any | None = None,
    ) -> None:
        self._base = f"{(api_url or DEFAULT_API_URL).rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._max_connections = max_connections
        self._session = session
        self._own_session = session is None
        #: per push (its idempotency key): how many of its parts went out, so a retry after a later
        #: part failed (429, 5xx) sends the rest only, not the first part again
        self._parts_sent: OrderedDict[str, int] = OrderedDict()

    async def _client(self):  # noqa: ANN202
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> TelegramHttpSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- Sender --------------------------------------------------------------------------------
    async def send(self, chat_id: str, message: Outbound, idempotency_key: str | None = None) -> str | None:
        """Send the text (split at 4096 characters); returns the last message id."""
        if not message.text:
            raise PermanentFailure("empty message")
        parts = split_text(message.text, TELEGRAM_TEXT_LIMIT)
        done = self._parts_sent.pop(idempotency_key, 0) if idempotency_key is not None else 0
        last: str | None = None
        for index, part in enumerate(parts):
            if index < done:
                continue  # went out on an earlier attempt of this push
            body: dict[str, Any] = {"chat_id": chat_id, "text": html.escape(part, quote=False), "parse_mode": "HTML"}
            markup = keyboard_json(message.buttons) if index == len(parts) - 1 else None
            if markup:
                body["reply_markup"] = markup
            key = None if idempotency_key is None else (idempotency_key if index == 0 else f"{idempotency_key}#{index}")
            try:
                result = await self.call("sendMessage", body, key)
            except (RetryLater, TransientFailure):
                if idempotency_key is not None and index:
                    self._parts_sent[idempotency_key] = index
                    while len(self._parts_sent) > MAX_PARTIAL_PUSHES:
                        self._parts_sent.popitem(last=False)
                raise
            last = str(result.get("message_id")) if isinstance(result, dict) else None
        return last

    async def edit(self, chat_id: str, message_id: str, message: Outbound) -> str | None:
        """Replace the text of an earlier message (broadcast progress)."""
        body: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": int(message_id) if message_id.isdigit() else message_id,
            "text": html.escape(split_text(message.text, TELEGRAM_TEXT_LIMIT)[0], quote=False),
            "parse_mode": "HTML",
        }
        markup = keyboard_json(message.buttons)
        if markup:
            body["reply_markup"] = markup
        try:
            await self.call("editMessageText", body)
        except PermanentFailure as exc:
            if "not modified" not in str(exc):
                raise
        return message_id

    # ---- HTTP ----------------------------------------------------------------------------------
    async def call(self, method: str, body: dict[str, Any], idempotency_key: str | None = None) -> Any:
        """POST one Bot API method; returns ``result`` or raises a ``SendError``."""
        import aiohttp

        session = await self._client()
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        try:
            async with session.post(self._base + method, json=body, headers=headers) as resp:
                status = resp.status
                raw = await resp.read()
        except TimeoutError as exc:
            raise TransientFailure(f"timeout calling {method}") from exc
        except aiohttp.ClientError as exc:
            raise TransientFailure(f"{type(exc).__name__} calling {method}") from exc
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if 200 <= status < 300 and data.get("ok"):
            return data.get("result")
        description = str(data.get("description") or f"HTTP {status}")[:300]
        code = int(data.get("error_code") or status)
        raise error_for(code, description, data.get("parameters") or {})


def error_for(code: int, description: str, parameters: dict[str, Any]) -> Exception:
    """Map a Bot API error answer onto the ``Sender`` error classes."""
    if code == 403:
        return RecipientBlocked(f"403 {description}")
    if code == 429:
        try:
            retry_after = float(parameters.get("retry_after", 1))
        except (TypeError, ValueError):
            retry_after = 1.0
        scope = parameters.get("scope")
        if scope not in ("chat", "global"):
            scope = "global" if "global" in description.lower() else "chat"
        return RetryLater(max(0.0, retry_after), scope)
    if 400 <= code < 500:
        return PermanentFailure(f"{code} {description}")
    return TransientFailure(f"{code} {description}")
