"""The overview's figures, each one grouped query over an indexed column (or a tiny table).

Read-only: applications per state, questions per day and outcome (``kb_question_days``), pushes
per outbox state, the most frequent unanswered questions (stored scrubbed) and the next reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.daily import per_day
from bot.knowledge.feedback import top_gaps
from bot.knowledge.models import UnansweredQuestion
from bot.outbox.models import OutboxMessage
from bot.status.models import Application

#: outbox states as the overview groups them (pending and sending both mean "still waiting")
PUSH_GROUPS = {"sent": ("sent",), "blocked": ("blocked",), "failed": ("failed",), "waiting": ("pending", "sending")}
DAYS = 30


@dataclass
class Overview:
    states: dict[str, int]
    days: list[date]
    questions: dict[str, list[int]]
    pushes: dict[str, int]
    unanswered: list[UnansweredQuestion]
    unanswered_total: int


async def state_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Application.state, func.count()).group_by(Application.state))
    return {state: int(count) for state, count in rows}


async def push_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
    by_state = {state: int(count) for state, count in rows}
    return {group: sum(by_state.get(s, 0) for s in states) for group, states in PUSH_GROUPS.items()}


async def overview(session: AsyncSession, today: date, top: int = 10) -> Overview:
    """Everything the overview shows except the reminders (computed from the rules, not the database)."""
    first = today - timedelta(days=DAYS - 1)
    gaps, total = await top_gaps(session, top)
    return Overview(
        states=await state_counts(session),
        days=[first + timedelta(days=i) for i in range(DAYS)],
        questions=await per_day(session, today, DAYS),
        pushes=await push_counts(session),
        unanswered=gaps,
        unanswered_total=total,
    )


def local_time(moment: datetime, zone) -> str:  # noqa: ANN001 - a ZoneInfo
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
