"""Store votes and unanswered questions, without personal data.

``scrub`` removes what could identify the asker before anything is stored: digit runs that look like
phone, ID or account numbers (7 digits or more, spaces and dashes allowed inside; an ID number's
final X included) and e-mail addresses. Years and small numbers (2024, 5个工作日) stay.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.models import AnswerFeedback, UnansweredQuestion

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_DIGITS = re.compile(r"(?<![0-9０-９])[0-9０-９](?:[ \-－—]?[0-9０-９]){6,}(?:[xX])?")
MASK = "＊"
TEXT_LIMIT = 300
KEY_LIMIT = 200


def scrub(text: str) -> str:
    """The question with e-mail addresses and long digit runs replaced by ＊."""
    text = _EMAIL.sub(MASK, text)
    text = _LONG_DIGITS.sub(MASK, text)
    return " ".join(text.split())[:TEXT_LIMIT]


async def record_vote(session: AsyncSession, entry_id: str, vote: int, now: datetime) -> None:
    session.add(AnswerFeedback(entry_id=entry_id, vote=1 if vote > 0 else -1, at=now))
    await session.flush()


async def record_unanswered(
    session: AsyncSession, question: str, normalized: str, outcome: str, top_entry_id: str | None, now: datetime
) -> None:
    """Count the question under its normalised, scrubbed form (upsert that survives a race)."""
    text = scrub(question)
    key = scrub(normalized or question)[:KEY_LIMIT] or text[:KEY_LIMIT]
    if not key:
        return
    bump = (
        update(UnansweredQuestion)
        .where(UnansweredQuestion.key == key)
        .values(count=UnansweredQuestion.count + 1, last_at=now, outcome=outcome, top_entry_id=top_entry_id)
    )
    if (await session.execute(bump)).rowcount:
        return
    try:
        async with session.begin_nested():
            session.add(
                UnansweredQuestion(
                    key=key, text=text, outcome=outcome, top_entry_id=top_entry_id, count=1, first_at=now, last_at=now
                )
            )
    except IntegrityError:  # another process inserted the same key a moment ago
        await session.execute(bump)


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
