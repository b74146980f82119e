"""Store votes and unanswered questions, without personal data.

``scrub`` removes what could identify the asker before anything is stored (``mask_personal`` of the
core: digit runs that look like phone, ID or account numbers, whatever separates the groups, and
e-mail addresses). Years and small numbers (2024, 5个工作日) stay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.sanitize import mask_personal
from bot.knowledge.models import AnswerFeedback, UnansweredQuestion
from bot.storage.base import UTCDateTime

TEXT_LIMIT = 300
KEY_LIMIT = 200

#: runs one ``text()`` clause with its parameters (``ctx.uow.execute`` or ``AsyncSession.execute``)
RunText = Callable[[Any, dict[str, Any]], Awaitable[Any]]


def scrub(text: str) -> str:
    """The question with e-mail addresses and long digit runs replaced by ＊."""
    text = mask_personal(text)
    return " ".join(text.split())[:TEXT_LIMIT]


def question_key(question: str, normalized: str) -> tuple[str, str]:
    """(key, text): the scrubbed normalised question, under which rephrasings that normalise alike
    add up, and the scrubbed question as typed."""
    text_ = scrub(question)
    return scrub(normalized or question)[:KEY_LIMIT] or text_[:KEY_LIMIT], text_


async def record_vote(session: AsyncSession, entry_id: str, vote: int, now: datetime) -> None:
    session.add(AnswerFeedback(entry_id=entry_id, vote=1 if vote > 0 else -1, at=now))
    await session.flush()


_COUNT_UNANSWERED = text(
    "INSERT INTO kb_unanswered (key, text, outcome, top_entry_id, count, first_at, last_at) "
    "VALUES (:key, :text, :outcome, :top_entry_id, 1, :now, :now) "
    "ON CONFLICT (key) DO UPDATE SET count = kb_unanswered.count + 1, last_at = excluded.last_at, "
    "outcome = excluded.outcome, top_entry_id = excluded.top_entry_id"
).bindparams(bindparam("now", type_=UTCDateTime()))


async def record_unanswered(
    run: RunText, question: str, normalized: str, outcome: str, top_entry_id: str | None, now: datetime
) -> None:
    """Count the question under its normalised, scrubbed form.

    One upsert (atomic on SQLite and PostgreSQL, so two processes counting the same question at once
    both count). ``run`` executes a ``text()`` clause: ``ctx.uow.execute`` in the bot (no ORM
    session needed) or a session's ``execute``.
    """
    key, text_ = question_key(question, normalized)
    if not key:
        return
    await run(_COUNT_UNANSWERED, {"key": key, "text": text_, "outcome": outcome, "top_entry_id": top_entry_id, "now": now})


async def top_gaps(session: AsyncSession, limit: int = 20) -> tuple[list[UnansweredQuestion], int]:
    """The most frequent unanswered questions, fallbacks before suggestions at equal counts."""
    rows = (
        await session.execute(
            select(UnansweredQuestion)
            .order_by(
                UnansweredQuestion.count.desc(),
                (UnansweredQuestion.outcome == "fallback").desc(),
                UnansweredQuestion.last_at.desc(),
            )
            .limit(limit)
        )
    ).scalars().all()
    total = (await session.execute(select(func.count()).select_from(UnansweredQuestion))).scalar_one()
    return list(rows), int(total)


async def vote_totals(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """entry id → (👍, 👎) counts."""
    rows = await session.execute(
        select(AnswerFeedback.entry_id, AnswerFeedback.vote, func.count()).group_by(
            AnswerFeedback.entry_id, AnswerFeedback.vote
        )
    )
    out: dict[str, tuple[int, int]] = {}
    for entry_id, vote, count in rows:
        up, down = out.get(entry_id, (0, 0))
        out[entry_id] = (up + count, down) if vote > 0 else (up, down + count)
    return out
