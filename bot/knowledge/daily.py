"""Questions per day and outcome (answer / suggest / fallback), counted as they are answered.

One upsert per question into ``kb_question_days`` (atomic on SQLite and PostgreSQL, so two bot
processes never lose a count). The day is the office's local day, so the console's chart matches
the calendar the staff work by. No text and no user is stored: only the day, the outcome, a count.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date

from bot.clock import LOCAL_TZ
from bot.knowledge.feedback import RunText
from bot.knowledge.models import QuestionDay

OUTCOMES = ("answer", "suggest", "fallback")

_COUNT_DAY = text(
    "INSERT INTO kb_question_days (day, outcome, count) VALUES (:day, :outcome, 1) "
    "ON CONFLICT (day, outcome) DO UPDATE SET count = kb_question_days.count + 1"
).bindparams(bindparam("day", type_=Date()))


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


async def count_question(run: RunText, outcome: str, now: datetime) -> None:
    """Add one question with ``outcome`` to today's count (unknown outcomes are not counted)."""
    if outcome in OUTCOMES:
        await run(_COUNT_DAY, {"day": local_day(now), "outcome": outcome})


async def per_day(session: AsyncSession, last_day: date, days: int) -> dict[str, list[int]]:
    """outcome → counts of the ``days`` days ending with ``last_day`` (oldest first, 0 when none)."""
    first = last_day - timedelta(days=days - 1)
    rows = await session.execute(
        select(QuestionDay.day, QuestionDay.outcome, QuestionDay.count).where(
            QuestionDay.day >= first, QuestionDay.day <= last_day
        )
    )
    series = {outcome: [0] * days for outcome in OUTCOMES}
    for day, outcome, count in rows:
        if outcome in series:
            series[outcome][(day - first).days] = int(count)
    return series
