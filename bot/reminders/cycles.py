"""The review cycles as the reminders see them: which cycle is current and its dates.

Reads ``rules/cycles/<year>.yaml`` (owned by the eligibility feature) tolerantly: only the sections
reminders need are validated here and unknown sections are ignored, so both features can grow the
file independently. The optional ``reminders:`` section (added by this feature, backwards
compatible) says until when a cycle's reminders run; without it they stop
``default_days_after_deadline`` days after the online deadline (``rules/reminders.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.clock import LOCAL_TZ
from bot.content.loader import ContentError, ContentProblem, load_model


class _DateFact(BaseModel):
    model_config = ConfigDict(extra="ignore")
    date: date


class _PaperForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    days_after_acceptance: int = Field(ge=1, le=60)


class _Fees(BaseModel):
    model_config = ConfigDict(extra="ignore")
    yuan: dict[str, int] = Field(default_factory=dict)


class _CycleReminders(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: date


class _CycleFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    year: int = Field(ge=2000, le=2100)
    notice: _DateFact | None = None
    online_deadline: _DateFact
    paper_form: _PaperForm | None = None
    fees: _Fees | None = None
    reminders: _CycleReminders | None = None


@dataclass(frozen=True)
class Cycle:
    """One review year: its online deadline, paper-form days, fees, and the span reminders cover."""

    year: int
    starts: date
    online_deadline: date
    paper_form_days: int | None
    fees: dict[str, int] = field(default_factory=dict)
    reminders_until: date | None = None

    def covers(self, day: date) -> bool:
        return self.starts <= day <= (self.reminders_until or self.online_deadline)


def load_cycles(root: Path, default_days_after_deadline: int = 150) -> list[Cycle]:
    """Every cycle file, oldest first. Raises ContentError with file and line on bad data."""
    folder = root / "rules" / "cycles"
    cycles: list[Cycle] = []
    problems: list[ContentProblem] = []
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        try:
            data = load_model(path, _CycleFile, root)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        starts = data.notice.date if data.notice else date(data.year, 1, 1)
        until = (
            data.reminders.until
            if data.reminders
            else data.online_deadline.date + timedelta(days=default_days_after_deadline)
        )
        cycles.append(
            Cycle(
                year=data.year,
                starts=starts,
                online_deadline=data.online_deadline.date,
                paper_form_days=data.paper_form.days_after_acceptance if data.paper_form else None,
                fees=dict(data.fees.yuan) if data.fees else {},
                reminders_until=until,
            )
        )
    if problems:
        raise ContentError(problems)
    return sorted(cycles, key=lambda c: c.year)


def current_cycle(cycles: list[Cycle], now: datetime) -> Cycle | None:
    """The cycle whose reminder span contains today (Asia/Shanghai), or None between cycles."""
    today = now.astimezone(LOCAL_TZ).date()
    live = [c for c in cycles if c.covers(today)]
    return live[-1] if live else None
