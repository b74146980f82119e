"""The outbox worker: claims rows, sends them through the channel's ``Sender``, records the result.

Guarantees:
- A row is claimed atomically (one ``UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) …
  RETURNING``), so two workers — two processes on PostgreSQL, or two tasks on SQLite — never send the
  same row. The claim carries a lease; a worker that dies leaves its rows to be reclaimed once the
  lease expires, and a live worker keeps extending its leases.
- Results are written only while the row is still ours (``claimed_by`` matches and the state is
  ``sending``), so a slow worker whose lease was taken over cannot overwrite the newer outcome.
- The send is keyed: every send carries the row's ``idempotency_key``, so a retry after an
  uncertain send (crash between the platform's answer and our commit) is dropped by channels that
  honour the key (the web inbox; a deduplicating proxy). Telegram itself has no such key: there a
  crash duplicates the sends in flight — requests already made whose outcome is not committed yet.
  Outcomes are committed within a few milliseconds in small batches to keep that window short
  (1–4 messages per SIGKILL at 300 messages per second in ``benchmarks/broadcast.py``).
- Pacing: an even global rate and per-chat spacing (``bot.outbox.pacing``); a 429 moves only that
  chat's slot, or pauses everything when Telegram's answer is global (or many chats are refused at
  once). Rows waiting for a flood wait go back to the table with ``not_before``; nothing waits in a
  way that blocks other chats.
- 403 marks the user blocked and inactive and never retries; other 4xx fail the row with the
  reason; 5xx, timeouts and unexpected errors retry with bounded backoff.
- Quiet hours: while they last only urgent rows are claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, or_, select, update

from bot.clock import Clock
from bot.core.context import Services
from bot.core.messages import Outbound
from bot.core.sending import (
    EditableSender,
    PermanentFailure,
    RecipientBlocked,
    RetryLater,
    Sender,
    TransientFailure,
)
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.pacing import ChatPacer, GlobalLimiter
from bot.storage.base import UTCDateTime
from bot.storage.db import Database
from bot.storage.models import User

log = logging.getLogger(__name__)

#: how many distinct chats refused with 429 within ``_ESCALATE_WINDOW`` seconds mean "global flood":
#: at least this many, and at least a quarter of a second's worth of sends. A few refusals in a row
#: are the normal jitter of running right under a cap (each of those chats waits its retry_after
#: anyway); only a wave of them means the bot as a whole is over the limit.
_ESCALATE_CHATS = 10
_ESCALATE_SHARE = 0.25
_ESCALATE_WINDOW = 1.0
_MAX_ERROR = 500


@dataclass
class Claimed:
    """A row this worker owns until it records the outcome."""

    id: int
    key: str
    user_id: int | None
    channel: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int
    broadcast_id: int | None


@dataclass
class Outcome:
    """What happened to one claimed row; applied to the table in batches."""

    row_id: int
    state: str
    error: str | None = None
    platform_id: str | None = None
    not_before: datetime | None = None
    refund: int = 0  # give the attempt back (flood waits and pacing are not failures)
    user_id: int | None = None  # set with state "blocked": the user to mark inactive


@dataclass
class WorkerStats:
    claimed: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0
    flood_waits: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class OutboxWorker:
    """Delivers outbox rows; ``run()`` until cancelled, or ``drain()`` in tests and the CLI."""

    def __init__(
        self,
        db: Database,
        senders: dict[str, Sender],
        clock: Clock,
        config: DeliveryConfig | None = None,
        worker_id: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.clock = clock
        self.config = config or DeliveryConfig()
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:12]}"
        self.limiter = GlobalLimiter(self.config.global_rate, now=monotonic)
        self.chats = ChatPacer(self.config.per_chat_interval, now=monotonic)
        self.stats = WorkerStats()
        self._monotonic = monotonic
        self._inflight: set[asyncio.Task] = set()
        self._outcomes: list[Outcome] = []
        self._outcome_event = asyncio.Event()
        self._recent_floods: deque[tuple[float, str]] = deque()

    # ---- claiming ------------------------------------------------------------------------------
    async def claim(self, limit: int) -> list[Claimed]:
        """Atomically take up to ``limit`` due rows (and rows whose lease expired)."""
        if limit <= 0 or not self.senders:
            return []
        now = self.clock.now()
        o = OutboxMessage
        due = or_(
            and_(o.state == "pending", o.not_before <= now),
            and_(o.state == "sending", o.lease_until < now),
        )
        where = [due, o.channel.in_(sorted(self.senders))]
        quiet = self.config.quiet_hours
        if quiet is not None and quiet.contains(now):
            where.append(o.urgent.is_(True))
        pick = select(o.id).where(*where).order_by(o.urgent.desc(), o.not_before, o.id).limit(limit)
        if self.db.is_postgres:
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(o)
            .where(o.id.in_(pick.scalar_subquery()))
            .values(
                state="sending",
                claimed_by=self.worker_id,
                lease_until=now + timedelta(seconds=self.config.lease_seconds),
                attempts=o.attempts + 1,
            )
            .returning(o.id, o.idempotency_key, o.user_id, o.channel, o.chat_id, o.payload, o.attempts,
                       o.broadcast_id, o.urgent, o.not_before)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as session:
            rows = (await session.execute(stmt)).all()
        # RETURNING has no order: urgent first, then oldest first (per chat this keeps the order)
        rows = sorted(rows, key=lambda r: (not r[8], r[9], r[0]))
        claimed = [Claimed(*row[:8]) for row in rows]
        self.stats.claimed += len(claimed)
        return claimed

    async def renew_leases(self) -> None:
        """Extend the lease of every row this worker still holds."""
        now = self.clock.now()
        o = OutboxMessage
        async with self.db.session() as session:
            await session.execute(
                update(o)
                .where(o.claimed_by == self.worker_id, o.state == "sending")
                .values(lease_until=now + timedelta(seconds=self.config.lease_seconds))
                .execution_options(synchronize_session=False)
            )

    # ---- delivering ----------------------------------------------------------------------------
    async def _blocked_users(self, rows: list[Claimed]) -> set[int]:
        ids = {r.user_id for r in rows if r.user_id is not None}
        if not ids:
            return set()
        async with self.db.session() as session:
            result = await session.execute(select(User.id).where(User.id.in_(ids), User.blocked.is_(True)))
            return set(result.scalars())

    async def deliver(self, row: Claimed, user_blocked: bool = False) -> None:
        """Send one claimed row (waiting for its pacing slots) and queue the outcome."""
        try:
            outcome = await self._deliver(row, user_blocked)
        except Exception as exc:  # noqa: BLE001 - a bug here must not lose the row
            log.exception("outbox row %s: unexpected error", row.id)
            outcome = self._retry_or_fail(row, f"internal: {type(exc).__name__}")
        self._record(outcome)

    async def _deliver(self, row: Claimed, user_blocked: bool) -> Outcome:
        if user_blocked:
            return Outcome(row.id, "blocked", error="user blocked the bot earlier")
        sender = self.senders[row.channel]
        wait = self.chats.reserve(row.chat_id)
        if wait > self.config.hold_seconds:
            self.chats.release(row.chat_id)
            self.stats.deferred += 1
            return Outcome(row.id, "pending", not_before=self._later(wait), refund=1)
        if wait > 0:
            await asyncio.sleep(wait)
        await self.limiter.acquire()
        try:
            message = Outbound.model_validate(row.payload)
            edit_of = row.payload.get("edit_message_id")
            if edit_of and isinstance(sender, EditableSender):
                platform_id = await sender.edit(row.chat_id, str(edit_of), message)
            else:
                platform_id = await sender.send(row.chat_id, message, idempotency_key=row.key)
        except RecipientBlocked as exc:
            return Outcome(row.id, "blocked", error=_reason(exc, "403 blocked"), user_id=row.user_id)
        except RetryLater as exc:
            self._flood(row.chat_id, exc)
            return Outcome(row.id, "pending", error=_reason(exc, "429"), not_before=self._later(exc.retry_after), refund=1)
        except PermanentFailure as exc:
            return Outcome(row.id, "failed", error=_reason(exc, "rejected"))
        except (TransientFailure, TimeoutError, OSError) as exc:
            return self._retry_or_fail(row, _reason(exc, type(exc).__name__))
        return Outcome(row.id, "sent", platform_id=None if platform_id is None else str(platform_id))

    def _retry_or_fail(self, row: Claimed, reason: str) -> Outcome:
        if row.attempts >= self.config.max_attempts:
            return Outcome(row.id, "failed", error=f"gave up after {row.attempts} attempts: {reason}")
        delay = self.config.backoff(row.attempts)
        return Outcome(row.id, "pending", error=reason, not_before=self._later(delay))

    def _later(self, seconds: float) -> datetime:
        return self.clock.now() + timedelta(seconds=seconds)

    def _flood(self, chat: str, exc: RetryLater) -> None:
        """Honour a 429: wait exactly ``retry_after`` for the chat, or for everyone when global."""
        self.stats.flood_waits += 1
        if exc.scope == "global":
            self.limiter.pause(exc.retry_after)
            return
        self.chats.block(chat, exc.retry_after)
        now = self._monotonic()
        self._recent_floods.append((now, chat))
        while self._recent_floods and now - self._recent_floods[0][0] > _ESCALATE_WINDOW:
            self._recent_floods.popleft()
        threshold = max(_ESCALATE_CHATS, int(self.config.global_rate * _ESCALATE_SHARE))
        if len({c for _, c in self._recent_floods}) >= threshold:
            # Many chats refused at once: that is the bot-wide limit, so slow everyone down.
            self.limiter.pause(exc.retry_after)
            self._recent_floods.clear()

    # ---- recording -----------------------------------------------------------------------------
    def _record(self, outcome: Outcome) -> None:
        stats = self.stats
        if outcome.state == "sent":
            stats.sent += 1
        elif outcome.state == "blocked":
            stats.blocked += 1
        elif outcome.state == "failed":
            stats.failed += 1
            reason = (outcome.error or "?").split(":", 1)[0][:60]
            stats.reasons[reason] = stats.reasons.get(reason, 0) + 1
        elif outcome.state == "pending" and not outcome.refund:
            stats.retried += 1
        self._outcomes.append(outcome)
        self._outcome_event.set()

    async def flush(self) -> int:
        """Write queued outcomes in one transaction; returns how many were written."""
        if not self._outcomes:
            return 0
        batch, self._outcomes = self._outcomes, []
        self._outcome_event.clear()
        now = self.clock.now()
        table = OutboxMessage.__table__
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.claimed_by == self.worker_id, table.c.state == "sending")
            .values(
                state=bindparam("b_state"),
                last_error=bindparam("b_error"),
                platform_message_id=bindparam("b_pid"),
                sent_at=bindparam("b_sent_at", type_=UTCDateTime()),
                not_before=bindparam("b_not_before", type_=UTCDateTime()),
                attempts=table.c.attempts - bindparam("b_refund"),
                lease_until=None,
            )
        )
        params = []
        for o in batch:
            params.append(
                {
                    "b_id": o.row_id,
                    "b_state": o.state,
                    "b_error": None if o.error is None else o.error[:_MAX_ERROR],
                    "b_pid": o.platform_id,
                    "b_sent_at": now if o.state == "sent" else None,
                    "b_not_before": o.not_before or now,
                    "b_refund": o.refund,
                }
            )
        blocked_users = sorted({o.user_id for o in batch if o.state == "blocked" and o.user_id is not None})
        try:
            async with self.db.session() as session:
                await session.execute(stmt, params)
                if blocked_users:
                    await session.execute(
                        update(User).where(User.id.in_(blocked_users)).values(blocked=True, active=False)
                    )
        except BaseException:
            # Put them back (also when cancelled mid-write, as at shutdown): the next flush retries,
            # and a row already written is skipped by the ``state == "sending"`` condition; if the
            # process dies, the lease brings the rows back.
            self._outcomes = batch + self._outcomes
            self._outcome_event.set()
            raise
        return len(batch)

    # ---- loops ---------------------------------------------------------------------------------
    async def _dispatch(self, rows: list[Claimed]) -> None:
        blocked = await self._blocked_users(rows)
        for row in rows:
            task = asyncio.create_task(self.deliver(row, row.user_id in blocked))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def step(self) -> int:
        """Claim what fits into the in-flight window and start sending it; returns rows claimed."""
        room = self.config.in_flight_limit - len(self._inflight)
        if room < max(1, self.config.in_flight_limit // 4):
            return 0
        rows = await self.claim(room)
        if rows:
            await self._dispatch(rows)
        return len(rows)

    async def drain(self, max_rounds: int = 10_000) -> WorkerStats:
        """Deliver everything due now, then return (tests, CLI). Deferred rows stay pending."""
        for _ in range(max_rounds):
            claimed = await self.step()
            if self._inflight:
                await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
            await self.flush()
            if not claimed and not self._inflight:
                break
        await self.flush()
        return self.stats

    async def run(self) -> None:
        """Deliver until cancelled: claim, send, flush outcomes, renew leases."""
        flusher = asyncio.create_task(self._flush_loop())
        renewer = asyncio.create_task(self._renew_loop())
        log.info("outbox worker %s started (%.0f msg/s)", self.worker_id, self.config.global_rate)
        try:
            while True:
                try:
                    claimed = await self.step()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the database may be briefly unavailable
                    log.warning("outbox claim failed: %s", type(exc).__name__)
                    claimed = 0
                    await asyncio.sleep(self.config.poll_seconds)
                if not claimed:
                    await asyncio.sleep(self.config.poll_seconds if not self._inflight else 0.02)
                else:
                    await asyncio.sleep(0)
        finally:
            for task in (flusher, renewer):
                task.cancel()
            # a flush cut short puts its batch back only once the flusher has seen its cancellation
            await asyncio.gather(flusher, renewer, return_exceptions=True)
            if self._inflight:
                await asyncio.wait(set(self._inflight), timeout=5)
            with contextlib.suppress(Exception):
                await self.flush()

    async def _flush_loop(self) -> None:
        while True:
            await self._outcome_event.wait()
            # let a few outcomes gather into one transaction; short, because every uncommitted sent
            # row is sent again (a duplicate on Telegram) if the process dies now
            await asyncio.sleep(0.005)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.warning("outbox flush failed (will retry): %s", type(exc).__name__)
                await asyncio.sleep(0.5)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(max(0.2, self.config.lease_seconds / 3))
            try:
                await self.renew_leases()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.warning("outbox lease renewal failed: %s", type(exc).__name__)


def _reason(exc: Exception, default: str) -> str:
    text = str(exc).strip()
    return text[:_MAX_ERROR] if text else default


class _HasServices(Protocol):
    """What the job needs of ``bot.app.App`` (the outbox sits below the app and cannot import it)."""

    services: Services


async def outbox_job(app: _HasServices, senders: dict[str, Sender]) -> None:
    """The background job that delivers every push: one worker per process, paced by
    ``rules/outbox.yaml``. Register it once in ``App.background``; it runs until cancelled."""
    from bot.outbox.config import load_delivery_config

    services = app.services
    worker = OutboxWorker(services.db, senders, services.clock, load_delivery_config(services.content_root))
    await worker.run()
