"""Questions per day and outcome (answer / suggest / fallback), counted as they are answered.

Each process tallies in memory and adds its tally to ``kb_question_days`` with one upsert per day
and outcome at most once a minute (or every few dozen questions), inside the turn that finds it due:
an upsert per question would be a write on every answer, and every process would queue on the same
row. The upsert adds, so several processes never lose each other's counts; what a process counted
since its last write is lost if it stops (a minute at most: a chart, not a ledger). The day is the
office's local day, so the console's chart matches the calendar the staff work by. No text and no
user is stored: only the day, the outcome, a count.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date

from bot.clock import LOCAL_TZ
from bot.knowledge.feedback import RunText
from bot.knowledge.models import QuestionDay

OUTCOMES = ("answer", "suggest", "fallback")

_COUNT_DAY = text(
    "INSERT INTO kb_question_days (day, outcome, count) VALUES (:day, :outcome, :n) "
    "ON CONFLICT (day, outcome) DO UPDATE SET count = kb_question_days.count + :n"
).bindparams(bindparam("day", type_=Date()))


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


async def count_question(run: RunText, outcome: str, now: datetime, n: int = 1) -> None:
    """Add ``n`` questions with ``outcome`` to the count of ``now``'s local day."""
    await add_to_day(run, local_day(now), outcome, n)


async def add_to_day(run: RunText, day: date, outcome: str, n: int) -> None:
    """Add ``n`` questions with ``outcome`` to ``day``'s count (unknown outcomes are not counted)."""
    if outcome in OUTCOMES and n > 0:
        await run(_COUNT_DAY, {"day": day, "outcome": outcome, "n": n})


class DailyTally:
    """This process's questions per (day, outcome) not yet added to the table."""

    def __init__(self, every: timedelta = timedelta(minutes=1), batch: int = 50) -> None:
        self._every = every
        self._batch = batch
        self._pending: Counter[tuple[date, str]] = Counter()
        self._written_at: datetime | None = None

    def add(self, outcome: str, now: datetime) -> None:
        if outcome in OUTCOMES:
            self._pending[(local_day(now), outcome)] += 1

    def due(self, now: datetime) -> bool:
        """Time to write: the first question of the process, a minute since the last write, a full batch."""
        if not self._pending:
            return False
        return (
            self._written_at is None
            or now - self._written_at >= self._every
            or sum(self._pending.values()) >= self._batch
        )

    async def flush(self, run: RunText, now: datetime) -> None:
        pending, self._pending = self._pending, Counter()
        self._written_at = now
        for (day, outcome), n in sorted(pending.items()):
            await add_to_day(run, day, outcome, n)


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
