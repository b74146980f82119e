"""Review cycles (``rules/cycles/<year>.yaml``) and which one is current by the clock.

Each file holds one year's facts with their sources. The top-level model keeps sections it does not
know (``extra="allow"``) so other features can add their own sections additively and read them with
``Cycle.section(name, Model)``; the known sections stay strict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.clock import Clock, local_now
from bot.content.loader import ContentError, ContentProblem, load_model
from bot.reference.levels import Level
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


class ByLevel(_Strict):
    by_level: dict[Level, str]
    source: Source


class Announced(_Strict):
    value: str
    source: Source


class Cycle(BaseModel):
    """One review year. Unknown top-level sections are kept for other features (see module doc)."""

    model_config = ConfigDict(extra="allow")
    year: int = Field(ge=2000, le=2100)
    notice: Notice
    online_deadline: Deadline
    paper_form: PaperForm
    fees: Fees
    assessment: ByLevel
    committees: ByLevel
    professional_assessment_date: Announced

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


def current_cycle(root: Path, clock: Clock) -> CycleView | None:
    """The current cycle by the clock (Asia/Shanghai date)."""
    return cycle_for(load_cycles(root), local_now(clock).date())


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
        for name, source in cycle.sources():
            if source.document not in documents:
                problems.append(ContentProblem(f"rules/cycles/{cycle.year}.yaml", None, f"{name}: unknown document {source.document!r}"))
    return problems
