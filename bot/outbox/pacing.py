"""In-process pacing for the outbox worker: a global rate limiter and per-chat slots.

Telegram allows about 30 messages per second overall and 1 per second per chat, and answers 429 with
``retry_after`` when a bot exceeds either. Sending at an even pace below those limits costs less than
hitting them, so the worker reserves a slot from both limiters before every send. A 429 for one chat
only moves that chat's next slot; a global 429 pauses the global limiter, never a single chat.

Time is monotonic (``time.monotonic``) because pacing is about intervals, not wall-clock moments.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable

Now = Callable[[], float]


class GlobalLimiter:
    """Grants at most ``rate`` slots per second, evenly spaced, and can be paused.

    Spacing rather than a token bucket: a burst of 30 within a few milliseconds is exactly what a
    sliding-window flood control punishes, and an even pace reaches the same average rate. When the
    event loop stalls (a busy machine), up to ``slack`` seconds of missed slots are caught up, but a
    sliding one-second window of the grants themselves guarantees that no second ever holds more
    than ``rate`` grants — the same rule the platform applies — so catching up cannot trip it.
    Waiters are served one at a time, first come first served.
    """

    def __init__(self, rate: float, now: Now = time.monotonic, slack: float = 0.1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.per_window = max(1, int(rate))
        self.slack = slack
        self._now = now
        self._next = 0.0
        self._paused_until = 0.0
        self._granted: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _window_wait(self, now: float) -> float:
        while self._granted and now - self._granted[0] >= 1.0:
            self._granted.popleft()
        return self._granted[0] + 1.0 - now if len(self._granted) >= self.per_window else 0.0

    def _floor(self, now: float) -> float:
        """How far back missed slots may be caught up: only a stall while busy, never idle time."""
        last = self._granted[-1] if self._granted else None
        if last is None or now - last > self.slack:
            return now
        return now - self.slack

    def reserve(self) -> float:
        """Take the next slot (spacing only); returns how many seconds to wait before using it."""
        now = self._now()
        slot = max(self._next, self._floor(now))
        self._next = slot + self.interval
        self._granted.append(max(slot, now))
        return max(0.0, slot - now)

    async def acquire(self) -> None:
        async with self._lock:
            hold = self._window_wait(self._now())
            if hold > 0:
                # A deliberate hold: resume on a fresh schedule afterwards, without catching up the
                # slots it covered (catching up would make the next second's window full again).
                await asyncio.sleep(hold)
                self._next = max(self._next, self._now())
            delay = self.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
                self._granted[-1] = self._now()  # the window counts when the slot was really used
            while (paused := self._paused_until - self._now()) > 0:
                # a pause that began while this waiter slept applies to it too
                await asyncio.sleep(paused)
                self._granted[-1] = self._now()

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after" for the whole bot: no slot before ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._now() + seconds)
        self._next = max(self._next, self._paused_until)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._next - self._now())


class ChatPacer:
    """Per-chat spacing (default 1 message per second) and per-chat flood waits.

    Only chats seen recently are remembered (bounded LRU), so memory stays flat during a broadcast
    to many thousands of chats.
    """

    def __init__(self, per_chat_interval: float = 1.0, now: Now = time.monotonic, capacity: int = 50_000) -> None:
        self.interval = per_chat_interval
        self._now = now
        self._next: OrderedDict[str, float] = OrderedDict()
        self._capacity = capacity

    def ready_in(self, chat: str) -> float:
        """Seconds until ``chat`` may receive the next message (0 when it may now)."""
        return max(0.0, self._next.get(chat, 0.0) - self._now())

    def reserve(self, chat: str) -> float:
        """Reserve the chat's next slot; returns the wait before it."""
        now = self._now()
        slot = max(now, self._next.get(chat, 0.0))
        self._set(chat, slot + self.interval)
        return slot - now

    def release(self, chat: str) -> None:
        """Give back a slot reserved but not used (the row went back to the queue instead)."""
        if chat in self._next:
            self._next[chat] -= self.interval
            if self._next[chat] <= self._now():
                del self._next[chat]

    def block(self, chat: str, seconds: float) -> None:
        """A 429 for this chat: nothing to it before ``seconds`` from now."""
        self._set(chat, max(self._next.get(chat, 0.0), self._now() + seconds))

    def _set(self, chat: str, value: float) -> None:
        self._next[chat] = value
        self._next.move_to_end(chat)
        while len(self._next) > self._capacity:
            self._next.popitem(last=False)
