"""How pushes leave the bot: the ``Sender`` each channel provides, and the errors it may raise.

Outbox workers (reminders, broadcasts, status notices) talk only to this interface, so delivery
logic is written once and tested with fakes. Telegram senders map Bot API errors onto these classes:
403 → ``RecipientBlocked``; 429 → ``RetryLater(retry_after)``; other 4xx → ``PermanentFailure``;
5xx, timeouts and connection errors → ``TransientFailure``.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from bot.core.messages import Outbound


class SendError(Exception):
    """Base class of delivery failures."""


class RecipientBlocked(SendError):
    """The user blocked the bot (Telegram 403): mark them inactive, never retry."""


class RetryLater(SendError):
    """Flood control (Telegram 429): wait exactly ``retry_after`` seconds, then retry."""

    def __init__(self, retry_after: float, scope: Literal["chat", "global"] = "chat") -> None:
        super().__init__(f"retry after {retry_after}s ({scope})")
        self.retry_after = retry_after
        self.scope = scope


class PermanentFailure(SendError):
    """Any other client error (bad chat id, message too long…): record the reason, do not retry."""


class TransientFailure(SendError):
    """Server error, timeout or network trouble: retry with bounded backoff."""


@runtime_checkable
class Sender(Protocol):
    """Delivers one ``Outbound`` to one chat of one channel; returns the platform message id.

    ``idempotency_key`` identifies the push, not the attempt: a channel that honours it (the web
    inbox; a deduplicating Bot API proxy) drops a retry of a send whose outcome was never recorded.
    A channel without such a key ignores it.
    """

    channel: str

    async def send(self, chat_id: str, message: Outbound, idempotency_key: str | None = None) -> str | None: ...


@runtime_checkable
class EditableSender(Sender, Protocol):
    """A sender that can also replace the text of a message it sent before (broadcast progress)."""

    async def edit(self, chat_id: str, message_id: str, message: Outbound) -> str | None: ...
