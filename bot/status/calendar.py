"""The status feature's dates and fees: due dates, the end of a 公示 period, a level's fee.

Fees and the paper-form days are facts of a review year and come from the cycle calendar
(``Services.cycles``); working days from ``rules/holidays.yaml``; which state has which deadline from
the workflow (``rules/status.yaml``). Built once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.clock import LOCAL_TZ
from bot.content.texts import local_date
from bot.reference.cycles import CycleCalendar
from bot.reference.workdays import WorkdayCalendar
from bot.status.workflow import Workflow, load_workflow


@dataclass
class StatusCalendar:
    workflow: Workflow
    workdays: WorkdayCalendar
    cycles: CycleCalendar

    @classmethod
    def load(cls, root: Path, cycles: CycleCalendar) -> StatusCalendar:
        return cls(workflow=load_workflow(root), workdays=WorkdayCalendar.load(root), cycles=cycles)

    def fee(self, level: str, year: int) -> int | None:
        """The review fee (元) for a level id in a cycle year."""
        return self.cycles.fee(level, year)

    def paper_due_days(self, year: int) -> int | None:
        """Calendar days after 审核受理 within which the paper form must arrive."""
        return self.cycles.paper_form_days(year)

    # ---- dates ---------------------------------------------------------------------------
    def due_date(self, state: str, state_at: datetime, stored_due: date | None) -> date | None:
        """When the next step is due: stored (退回补正) or computed from the state's rule."""
        definition = self.workflow.states.get(state)
        if definition is None:
            return None
        if stored_due is not None:
            return stored_due
        local = state_at.astimezone(LOCAL_TZ).date()
        if definition.due == "paper_form":
            days = self.paper_due_days(local.year)
            return local + timedelta(days=days) if days else None
        return None

    def publicity_end(self, state: str, state_at: datetime) -> date | None:
        definition = self.workflow.states.get(state)
        if definition is None or not definition.publicity_working_days:
            return None
        return self.workdays.period_end(state_at.astimezone(LOCAL_TZ).date(), definition.publicity_working_days)


def format_time(moment: datetime, lang: str | None = None) -> str:
    """A local moment: 2024-07-01 10:00, or in English 1 July 2024, 10:00."""
    local = moment.astimezone(LOCAL_TZ)
    if lang == "en":
        return f"{local_date(local.date(), 'en')}, {local.hour:02d}:{local.minute:02d}"
    return f"{local.year}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def is_day_only(moment: datetime) -> bool:
    """Whether a status time was given as a day without a time of day.

    Staff import a day alone (2024-07-11) far more often than a time; it is stored as local
    midnight, as imports always stored it, so rows imported before this was shown differently read
    the same way without a migration. A time the bot records itself (``/setstatus``, the console)
    is the clock's, seconds and microseconds included, and is never exactly midnight in practice;
    a time typed as 00:00 exactly reads as the day, which says the same."""
    local = moment.astimezone(LOCAL_TZ)
    return local.time() == time(0)


def format_status_time(moment: datetime, lang: str | None = None) -> str:
    """When a state began or a history row happened: the day alone when no time of day was given
    (2024-07-11, 11 July 2024), else as ``format_time`` (never "2024-07-11 00:00")."""
    if not is_day_only(moment):
        return format_time(moment, lang)
    day = moment.astimezone(LOCAL_TZ).date()
    return local_date(day, "en") if lang == "en" else day.isoformat()
