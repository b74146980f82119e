"""Fault injection and delivery statistics for the Bot API emulator.

Tests switch faults on by chat or globally: a blocked chat answers 403, a pending flood answers 429
with ``retry_after``, and an optional rate cap answers 429 whenever the overall or per-chat rate is
exceeded, like Telegram's flood control. Statistics count what a broadcaster must get right:
deliveries per chat, 429s, 403s and duplicates (same text to the same chat twice, or a custom key).
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"

DuplicateKey = Callable[[int, dict], Hashable | None]


@dataclass
class Fault:
    """A Bot API error to answer instead of performing the method."""

    error_code: int
    description: str
    retry_after: int | None = None
    scope: str | None = None  # "chat" or "global" when the emulator is asked to say (Telegram does not)

    def body(self) -> dict:
        out: dict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
            if self.scope:
                out["parameters"]["scope"] = self.scope
        return out


@dataclass
class Stats:
    """What the bot did to each chat; read by tests and benchmarks."""

    deliveries: Counter = field(default_factory=Counter)  # successful sends per chat id
    too_many_requests: int = 0
    too_many_requests_by_chat: Counter = field(default_factory=Counter)
    forbidden: int = 0
    duplicates: int = 0
    idempotent_replays: int = 0  # resends recognised by their X-Idempotency-Key (not delivered again)
    duplicate_chats: Counter = field(default_factory=Counter)

    @property
    def total_deliveries(self) -> int:
        return sum(self.deliveries.values())

    def as_dict(self) -> dict:
        return {
            "deliveries": self.total_deliveries,
            "chats": len(self.deliveries),
            "too_many_requests": self.too_many_requests,
            "forbidden": self.forbidden,
            "duplicates": self.duplicates,
            "idempotent_replays": self.idempotent_replays,
        }


class _Window:
    """Timestamps of the last second's sends, for a sliding one-second rate cap."""

    def __init__(self) -> None:
        self.times: deque[float] = deque()

    def wait_needed(self, now: float, cap: float) -> float:
        while self.times and now - self.times[0] >= 1.0:
            self.times.popleft()
        if len(self.times) < cap:
            return 0.0
        return 1.0 - (now - self.times[0])

    def add(self, now: float) -> None:
        self.times.append(now)


class Faults:
    """Switchable faults; ``check(chat_id)`` is called before every sending method."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.blocked: set[int] = set()
        self._floods: dict[int | None, list[int]] = {}  # chat (None = any) -> [retry_after, times left]
        self._server_errors: dict[int, int] = {}  # chat -> sends left that answer 502
        self.global_rate: float | None = None
        self.chat_rate: float | None = None
        self._global_window = _Window()
        self._chat_windows: dict[int, _Window] = {}
        self.stats = Stats()
        #: add ``parameters.scope`` ("chat"/"global") to 429 answers; real Telegram never does
        self.report_scope = False
        self.duplicate_key: DuplicateKey | None = None
        self._seen_keys: set[Hashable] = set()

    # ---- switches ---------------------------------------------------------------------------
    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to this chat answers 403."""
        self.blocked.add(int(chat_id))

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(int(chat_id))

    def flood(self, retry_after: int = 1, chat_id: int | None = None, times: int = 1) -> None:
        """The next ``times`` sends (to ``chat_id``, or to any chat) answer 429 with ``retry_after``."""
        self._floods[None if chat_id is None else int(chat_id)] = [int(retry_after), int(times)]

    def server_error(self, chat_id: int, times: int = 1) -> None:
        """The next ``times`` sends to ``chat_id`` answer 502 Bad Gateway (Telegram's side failed)."""
        self._server_errors[int(chat_id)] = int(times)

    def rate_limit(self, per_second: float | None = 30, per_chat_per_second: float | None = 1) -> None:
        """Cap sends like Telegram's flood control; exceeding answers 429 (None switches a cap off)."""
        self.global_rate = per_second
        self.chat_rate = per_chat_per_second

    def clear(self) -> None:
        """Switch every fault off (statistics are kept)."""
        self.blocked.clear()
        self._floods.clear()
        self._server_errors.clear()
        self.global_rate = self.chat_rate = None

    def reset_stats(self) -> None:
        self.stats = Stats()
        self._seen_keys.clear()

    # ---- used by the server -----------------------------------------------------------------
    def check(self, chat_id: int) -> Fault | None:
        """The fault to answer for a send to ``chat_id`` now, or None to perform the send."""
        if chat_id in self.blocked:
            self.stats.forbidden += 1
            return Fault(403, BLOCKED_DESCRIPTION)
        if self._server_errors.get(chat_id):
            self._server_errors[chat_id] -= 1
            return Fault(502, "Bad Gateway")
        for key in (chat_id, None):
            flood = self._floods.get(key)
            if flood:
                flood[1] -= 1
                if flood[1] <= 0:
                    del self._floods[key]
                return self._too_many(chat_id, flood[0], "chat" if key is not None else "global")
        now = self.clock()
        waits = []
        if self.global_rate is not None:
            waits.append(self._global_window.wait_needed(now, self.global_rate))
        chat_window = None
        if self.chat_rate is not None:
            chat_window = self._chat_windows.setdefault(chat_id, _Window())
            waits.append(chat_window.wait_needed(now, self.chat_rate))
        wait = max(waits, default=0.0)
        if wait > 0:
            scope = "global" if waits and waits[0] == wait and self.global_rate is not None else "chat"
            return self._too_many(chat_id, max(1, math.ceil(wait)), scope)
        if self.global_rate is not None:
            self._global_window.add(now)
        if chat_window is not None:
            chat_window.add(now)
        return None

    def _too_many(self, chat_id: int, retry_after: int, scope: str) -> Fault:
        self.stats.too_many_requests += 1
        self.stats.too_many_requests_by_chat[chat_id] += 1
        return Fault(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after,
                     scope=scope if self.report_scope else None)

    def delivered(self, chat_id: int, message: dict) -> None:
        """Count a successful send and whether it repeats an earlier one."""
        self.stats.deliveries[chat_id] += 1
        key_fn = self.duplicate_key or _default_key
        key = key_fn(chat_id, message)
        if key is None:
            return
        if key in self._seen_keys:
            self.stats.duplicates += 1
            self.stats.duplicate_chats[chat_id] += 1
        else:
            self._seen_keys.add(key)


def _default_key(chat_id: int, message: dict) -> Hashable | None:
    text = message.get("text") or message.get("caption")
    if text is None and "document" in message:
        text = "document:" + message["document"].get("file_name", "")
    return (chat_id, text)
