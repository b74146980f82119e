"""Review cycles (``rules/cycles/<year>.yaml``): the one reader of these files and the calendar.

Each file holds one year's facts with their sources. Every section a feature relies on is declared
here and strict: a file that lacks a value (a fee for a level, the paper-form days) fails
``python -m bot check`` rather than being filled in with a default somewhere else. The top-level
model keeps sections it does not know (``extra="allow"``) so a feature can add a section of its own
and read it with ``Cycle.section(name, Model)``.

``CycleCalendar`` is built once per process (``Services.cycles``) and answers every question about
cycles: the current one, a year's fee and paper-form days, the span reminders cover, whether a
cycle has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.clock import Clock, local_now
from bot.content.loader import ContentError, ContentProblem, load_model, read_yaml
from bot.content.localized import english_problems
from bot.reference.levels import LEVELS, Level
from bot.reference.sources import Source

M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Notice(_Strict):
    date: date
    source: Source


class Deadline(_Strict):
    date: date
    source: Source


class PaperForm(_Strict):
    days_after_acceptance: int = Field(ge=1, le=60)
    copies: int = Field(ge=1, le=10)
    source: Source


class Fees(_Strict):
    yuan: dict[Level, int]
    basis: str
    source: Source

    @model_validator(mode="after")
    def _every_level(self) -> Fees:
        missing = [level for level in LEVELS if level not in self.yuan]
        if missing:
            raise ValueError(f"no fee for {', '.join(missing)}")
        return self


class ByLevel(_Strict):
    by_level: dict[Level, str]
    source: Source


class Wording(_Strict):
    """Per-level wording a reader sees (the assessment form, the committee to choose), in Chinese
    and English."""

    by_level: dict[Level, str]
    by_level_en: dict[Level, str] | None = None
    source: Source


class Announced(_Strict):
    value: str
    value_en: str | None = None
    source: Source


class CycleReminders(_Strict):
    """Until when reminders of the cycle run (without it: a set number of days after the deadline)."""

    until: date


class Cycle(BaseModel):
    """One review year. Unknown top-level sections are kept for other features (see module doc)."""

    model_config = ConfigDict(extra="allow")
    year: int = Field(ge=2000, le=2100)
    notice: Notice
    online_deadline: Deadline
    paper_form: PaperForm
    fees: Fees
    assessment: Wording
    committees: Wording
    professional_assessment_date: Announced
    reminders: CycleReminders | None = None

    def section(self, name: str, model: type[M]) -> M | None:
        """An extra section parsed with ``model`` (None when the file has no such section)."""
        raw = (self.model_extra or {}).get(name)
        return None if raw is None else model.model_validate(raw)

    def sources(self) -> list[tuple[str, Source]]:
        return [
            (name, getattr(self, name).source)
            for name in ("notice", "online_deadline", "paper_form", "fees", "assessment", "committees", "professional_assessment_date")
        ]


@dataclass(frozen=True)
class CycleView:
    """The cycle that matters today and where today falls in it."""

    cycle: Cycle
    phase: Literal["open", "closed"]
    today: date

    @property
    def is_open(self) -> bool:
        return self.phase == "open"


def load_cycles(root: Path) -> list[Cycle]:
    """All cycle files, oldest first; the file name must be the year."""
    cycles: list[Cycle] = []
    problems: list[ContentProblem] = []
    for path in sorted((root / "rules" / "cycles").glob("*.yaml")):
        try:
            cycle = load_model(path, Cycle, root)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        if str(cycle.year) != path.stem:
            problems.append(ContentProblem(f"rules/cycles/{path.name}", 1, f"year {cycle.year} does not match the file name"))
        cycles.append(cycle)
    if problems:
        raise ContentError(problems)
    return sorted(cycles, key=lambda c: c.year)


def cycle_for(cycles: list[Cycle], today: date) -> CycleView | None:
    """The latest cycle announced on or before today (or this year's), with its phase.

    No later file means no later cycle is known: the view says "closed" rather than pretending the
    old dates are still ahead.
    """
    known = [c for c in cycles if c.year <= today.year or c.notice.date <= today]
    if not known:
        return None
    cycle = known[-1]
    phase: Literal["open", "closed"] = "open" if today <= cycle.online_deadline.date else "closed"
    return CycleView(cycle=cycle, phase=phase, today=today)


@dataclass(frozen=True)
class CycleStatus:
    """Whether the cycle a piece of content belongs to is over (its deadline when on file)."""

    year: str
    deadline: date | None
    ended: bool
    #: the year of a later cycle already announced, if any: then this one is no longer the latest
    #: notice known, and the note under such content points to the newer one
    newer: int | None = None


class CycleCalendar:
    """Every review cycle on file, read once; the only place features learn cycle facts from."""

    def __init__(self, cycles: Iterable[Cycle]) -> None:
        self.cycles: tuple[Cycle, ...] = tuple(sorted(cycles, key=lambda c: c.year))
        self._by_year = {c.year: c for c in self.cycles}

    @classmethod
    def load(cls, root: Path) -> CycleCalendar:
        """Raises ContentError (file and line) on a bad cycle file; ``check`` reports the same."""
        return cls(load_cycles(root))

    def year(self, year: int) -> Cycle | None:
        """The cycle of exactly this year, if its file exists."""
        return self._by_year.get(year)

    def in_force(self, year: int) -> Cycle | None:
        """The latest cycle of this year or before: its facts hold until a later file says otherwise."""
        known = [c for c in self.cycles if c.year <= year]
        return known[-1] if known else None

    def view(self, today: date) -> CycleView | None:
        return cycle_for(list(self.cycles), today)

    def current(self, clock: Clock) -> CycleView | None:
        """The current cycle by the clock (Asia/Shanghai date)."""
        return self.view(local_now(clock).date())

    def fee(self, level: str, year: int) -> int | None:
        """The review fee (元) of a level id for an application of that year."""
        cycle = self.in_force(year)
        return cycle.fees.yuan.get(level) if cycle else None

    def paper_form_days(self, year: int) -> int | None:
        """Calendar days after 审核受理 within which the paper form must arrive."""
        cycle = self.in_force(year)
        return cycle.paper_form.days_after_acceptance if cycle else None

    @staticmethod
    def reminders_until(cycle: Cycle, days_after_deadline: int) -> date:
        """The last day reminders of a cycle run: its own ``reminders.until`` or the default span."""
        if cycle.reminders is not None:
            return cycle.reminders.until
        return cycle.online_deadline.date + timedelta(days=days_after_deadline)

    def reminder_cycle(self, today: date, days_after_deadline: int) -> Cycle | None:
        """The cycle whose reminder span (notice to the end above) holds today; None between cycles."""
        live = [c for c in self.cycles if c.notice.date <= today <= self.reminders_until(c, days_after_deadline)]
        return live[-1] if live else None

    def status(self, cycle: str, today: date) -> CycleStatus | None:
        """Whether content tagged with a cycle year is out of date; None for ``cycle: all``.

        With the year's file the online deadline decides; without it, a later calendar year does.
        """
        if not cycle.isdigit():
            return None
        known = self.year(int(cycle))
        deadline = known.online_deadline.date if known else None
        ended = today > deadline if deadline is not None else today.year > int(cycle)
        later = [c.year for c in self.cycles if c.year > int(cycle) and c.notice.date <= today]
        return CycleStatus(cycle, deadline, ended, max(later) if later else None)


def check_cycles(root: Path) -> list[ContentProblem]:
    """Cycle files load; their document ids exist in knowledge/documents.yaml."""
    from bot.reference.documents import load_documents

    try:
        cycles = load_cycles(root)
        documents = set(load_documents(root))
    except ContentError as exc:
        return exc.problems
    problems = []
    for cycle in cycles:
        name = f"rules/cycles/{cycle.year}.yaml"
        problems += english_problems(cycle, name, read_yaml(root / name, root)[1])
        for name, source in cycle.sources():
            if source.document not in documents:
                problems.append(ContentProblem(f"rules/cycles/{cycle.year}.yaml", None, f"{name}: unknown document {source.document!r}"))
    return problems
