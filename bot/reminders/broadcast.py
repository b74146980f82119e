"""Staff broadcasts: create (one outbox row per recipient), cancel, figures, progress and report.

A broadcast is a ``Broadcast`` row plus one outbox row per recipient (``broadcast_id``, key
``bc:{id}:{user_id}``), written in one transaction: a crash either creates all of it or nothing,
and the outbox worker's guarantees (no loss, no duplicate, pacing) apply to every recipient.
Figures are counted from the outbox, so they are right however many workers deliver.

The staff member's progress message is itself an urgent outbox row; the monitor edits it in place
(``edit_message_id`` in the payload) each time another 10 % of the recipients is settled, and sends
the final report (sent, blocked, failed with reasons, cancelled) when nothing is left.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.texts import LANGUAGES, Texts, normalize_language
from bot.core.messages import Outbound
from bot.core.unit_of_work import UserRecord
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import enqueue
from bot.outbox.recipients import PUSH_CHANNELS
from bot.reminders.audience import (
    Segment,
    Subscriptions,
    segment_recipient_counts,
    segment_recipients,
)
from bot.reminders.models import Broadcast
from bot.storage.db import Database
from bot.storage.inline_sqlite import is_locked_error
from bot.storage.models import User

log = logging.getLogger(__name__)

TEXT_LIMIT = 3500
FINAL_STATES = ("sent", "blocked", "failed", "cancelled")


@dataclass
class Figures:
    total: int = 0
    pending: int = 0
    sending: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    cancelled: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def settled(self) -> int:
        return self.sent + self.blocked + self.failed + self.cancelled

    @property
    def finished(self) -> bool:
        return self.pending == 0 and self.sending == 0

    @property
    def pct(self) -> int:
        return 100 if not self.total else self.settled * 100 // self.total


async def figures(session: AsyncSession, broadcast_id: int) -> Figures:
    """Counts by outbox state, and failure reasons, for one broadcast."""
    o = OutboxMessage
    rows = await session.execute(
        select(o.state, func.count()).where(o.broadcast_id == broadcast_id, o.kind == "broadcast").group_by(o.state)
    )
    fig = Figures()
    for state, count in rows.all():
        if hasattr(fig, state):
            setattr(fig, state, count)
        fig.total += count
    reasons = await session.execute(
        select(o.last_error, func.count())
        .where(o.broadcast_id == broadcast_id, o.kind == "broadcast", o.state == "failed")
        .group_by(o.last_error)
    )
    fig.reasons = {str(reason or "?")[:80]: count for reason, count in reasons.all()}
    return fig


async def count_recipients(session: AsyncSession, segment: Segment, subscriptions: Subscriptions,
                           channels=PUSH_CHANNELS) -> int:  # noqa: ANN001
    """How many users a broadcast to the segment would reach, counted by the database."""
    return sum((await segment_recipient_counts(session, segment, subscriptions, channels)).values())


async def count_by_language(session: AsyncSession, segment: Segment, subscriptions: Subscriptions,
                            channels=PUSH_CHANNELS) -> dict[str, int]:  # noqa: ANN001
    """Recipients of a segment by the language they read ({"zh": …, "en": …}), for the preview;
    counted by the database, so a preview of thousands builds no user objects."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for (_, language), count in (await segment_recipient_counts(session, segment, subscriptions, channels)).items():
        counts[normalize_language(language)] += count
    return counts


def text_for(lang: str, text: str, text_en: str | None, english_note: str | None) -> str:
    """What one reader of a broadcast gets: the English version for English readers when there is
    one, else the Chinese text with the one-line English note on top (when the note is known)."""
    if lang != "en":
        return text
    if text_en:
        return text_en
    return f"{english_note}\n{text}" if english_note else text


async def create_broadcast(
    session: AsyncSession,
    *,
    text: str,
    segment: Segment,
    segment_label: str,
    subscriptions: Subscriptions,
    now: datetime,
    created_by: User | UserRecord | None = None,
    source: str = "chat",
    texts: Texts | None = None,
    urgent: bool = False,
    channels=PUSH_CHANNELS,  # noqa: ANN001
    text_en: str | None = None,
    confirm_key: str | None = None,
) -> Broadcast:
    """Create the broadcast and its outbox rows (and the staff's progress message) in ``session``.

    ``urgent`` rows ignore quiet hours (for notices that cannot wait until the morning). Each
    recipient gets the text in their language (``text_for``): ``text_en`` for English readers, or
    without it the Chinese text under the English note of ``texts``.

    ``confirm_key`` (the console's confirm form) is unique: the broadcast row is flushed before any
    outbox row, so a second insert with the same key fails at once (on PostgreSQL it waits for the
    first transaction and then fails) and nothing of it is written."""
    recipients = await segment_recipients(session, segment, subscriptions, channels)
    broadcast = Broadcast(
        text=text, text_en=text_en or None, segment=segment.as_dict(), segment_label=segment_label[:100], state="sending",
        created_by=created_by.id if created_by else None, source=source, created_at=now,
        total=len(recipients), sent=0, blocked=0, failed=0, cancelled=0, reasons={}, last_progress_pct=0,
        confirm_key=confirm_key,
    )
    session.add(broadcast)
    await session.flush()
    if created_by is not None and texts is not None and created_by.channel in channels:
        key = f"bc:{broadcast.id}:progress"
        progress = render_progress(texts, broadcast, Figures(), 0, normalize_language(created_by.language))
        await enqueue(session, user=created_by, message=Outbound(text=progress), key=key,
                      kind="broadcast_report", now=now, urgent=True)
        broadcast.progress_key = key
    note = texts.get("reminders.broadcast.english_note", "en") if texts is not None else None
    messages = {lang: Outbound(text=text_for(lang, text, text_en, note)) for lang in LANGUAGES}
    for user in recipients:
        message = messages[normalize_language(user.language)]
        await enqueue(session, user=user, message=message, key=f"bc:{broadcast.id}:{user.id}", kind="broadcast",
                      now=now, broadcast_id=broadcast.id, urgent=urgent)
    await session.flush()
    return broadcast


async def cancel_broadcast(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """Cancel every recipient row not yet claimed; rows being sent finish. Returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.kind == "broadcast",
               OutboxMessage.state == "pending")
        .values(state="cancelled", last_error="cancelled by staff")
        .execution_options(synchronize_session=False)
    )
    broadcast.state = "cancelled"
    return int(result.rowcount or 0)


def render_progress(texts: Texts, broadcast: Broadcast, fig: Figures, pct: int, lang: str = "zh") -> str:
    """The staff member's progress line, in their language."""
    return texts.get("reminders.broadcast.progress", lang, id=broadcast.id, segment=broadcast.segment_label, pct=pct,
                     sent=fig.sent, blocked=fig.blocked, failed=fig.failed, total=broadcast.total)


def render_final(texts: Texts, broadcast: Broadcast, fig: Figures, lang: str = "zh") -> str:
    """The final report (sent, blocked, failed with reasons, cancelled), in the staff member's language."""
    result = texts.get("reminders.broadcast.final_cancelled" if broadcast.state == "cancelled"
                       else "reminders.broadcast.final_done", lang)
    lines = [texts.get("reminders.broadcast.final", lang, id=broadcast.id, segment=broadcast.segment_label, result=result,
                       total=broadcast.total, sent=fig.sent, blocked=fig.blocked, failed=fig.failed,
                       cancelled=fig.cancelled)]
    if fig.reasons:
        lines.append(texts.get("reminders.broadcast.reasons_header", lang))
        for reason, count in sorted(fig.reasons.items(), key=lambda kv: -kv[1]):
            lines.append(texts.get("reminders.broadcast.reason_line", lang, reason=reason, count=count))
    return "\n".join(lines)


class BroadcastMonitor:
    """Edits each running broadcast's progress message every 10 % and reports when it is over."""

    def __init__(self, db: Database, clock: Clock, texts: Texts, interval: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.texts = texts
        self.interval = interval

    async def tick(self) -> int:
        """Check running broadcasts once; returns how many finished in this tick."""
        finished = 0
        now = self.clock.now()
        async with self.db.session() as session:
            running = (await session.execute(
                select(Broadcast).where(Broadcast.state.in_(["sending", "cancelled"]), Broadcast.finished_at.is_(None))
            )).scalars().all()
            for broadcast in running:
                fig = await figures(session, broadcast.id)
                creator = await session.get(User, broadcast.created_by) if broadcast.created_by else None
                if fig.finished:
                    await self._finish(session, broadcast, fig, creator, now)
                    finished += 1
                    continue
                step = fig.pct // 10 * 10
                if step > broadcast.last_progress_pct and creator is not None:
                    if await self._edit_progress(session, broadcast, fig, creator, step, now):
                        broadcast.last_progress_pct = step
        return finished

    async def _progress_message_id(self, session: AsyncSession, broadcast: Broadcast) -> str | None:
        if not broadcast.progress_key:
            return None
        return await session.scalar(
            select(OutboxMessage.platform_message_id).where(OutboxMessage.idempotency_key == broadcast.progress_key)
        )

    async def _edit_progress(self, session: AsyncSession, broadcast: Broadcast, fig: Figures, creator: User,
                             step: int, now: datetime) -> bool:
        message_id = await self._progress_message_id(session, broadcast)
        if message_id is None:
            return False  # the progress message itself is not out yet; catch up next tick
        text = render_progress(self.texts, broadcast, fig, step, normalize_language(creator.language))
        row = await enqueue(session, user=creator, message=Outbound(text=text), key=f"bc:{broadcast.id}:p{step}",
                            kind="broadcast_report", now=now, urgent=True)
        if row is not None:
            row.payload = {**row.payload, "edit_message_id": message_id}
        return True

    async def _finish(self, session: AsyncSession, broadcast: Broadcast, fig: Figures, creator: User | None,
                      now: datetime) -> None:
        broadcast.sent, broadcast.blocked, broadcast.failed = fig.sent, fig.blocked, fig.failed
        broadcast.cancelled, broadcast.reasons = fig.cancelled, fig.reasons
        broadcast.finished_at = now
        if broadcast.state == "sending":
            broadcast.state = "done"
        if creator is not None and broadcast.last_progress_pct < 100:
            await self._edit_progress(session, broadcast, fig, creator, 100, now)
        broadcast.last_progress_pct = 100
        if creator is not None:
            await enqueue(session, user=creator, message=Outbound(text=render_final(self.texts, broadcast, fig, normalize_language(creator.language))),
                          key=f"bc:{broadcast.id}:final", kind="broadcast_report", now=now, urgent=True)
        log.info("broadcast %s finished: %s sent, %s blocked, %s failed, %s cancelled",
                 broadcast.id, fig.sent, fig.blocked, fig.failed, fig.cancelled)

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - next tick retries
                if is_locked_error(exc):  # another process is writing: not a fault
                    log.warning("broadcast monitor tick skipped: database busy")
                else:
                    log.exception("broadcast monitor tick failed")
            await asyncio.sleep(self.interval)


async def monitor_job(app, senders) -> None:  # noqa: ANN001 - App, dict[str, Sender]
    monitor = BroadcastMonitor(app.db, app.services.clock, app.services.texts)
    await monitor.run()
