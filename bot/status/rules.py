"""Everything the status feature reads from ``rules/``, bundled once per process.

Fees and the paper-form period come from ``rules/cycles/<year>.yaml`` when the reminders/eligibility
work has created it (the cycle is the authority for a review year), else from ``rules/status.yaml``.
The cycle file's exact shape belongs to another feature, so it is read defensively: a key it lacks
simply falls back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.clock import LOCAL_TZ
from bot.rules.workdays import WorkdayCalendar
from bot.status.workflow import Workflow, load_workflow

log = logging.getLogger(__name__)

_FEE_KEYS = ("fees", "fee", "review_fees")
_PAPER_KEYS = ("paper_form_due_days", "paper_due_days", "days_after_acceptance", "due_days", "days", "within_days")


@dataclass
class StatusRules:
    workflow: Workflow
    calendar: WorkdayCalendar
    root: Path
    _cycles: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> StatusRules:
        return cls(workflow=load_workflow(root), calendar=WorkdayCalendar.load(root), root=root)

    # ---- review-cycle overrides ------------------------------------------------------------
    def _cycle(self, year: int) -> dict[str, Any]:
        if year not in self._cycles:
            path = self.root / "rules" / "cycles" / f"{year}.yaml"
            data: Any = {}
            if path.exists():
                try:
                    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                except (OSError, yaml.YAMLError):
                    log.warning("cannot read %s; using rules/status.yaml", path)
            self._cycles[year] = data if isinstance(data, dict) else {}
        return self._cycles[year]

    def fee(self, level: str, year: int) -> int | None:
        """The review fee (元) for a level id in a cycle year."""
        for key in _FEE_KEYS:
            table = self._cycle(year).get(key)
            if isinstance(table, dict) and isinstance(table.get("yuan"), dict):
                table = table["yuan"]  # fees: {yuan: {level: amount}, basis: …, source: …}
            if isinstance(table, dict):
                for name, value in table.items():
                    if self.workflow.level_id(str(name)) == level:
                        amount = value.get("yuan", value.get("amount")) if isinstance(value, dict) else value
                        if isinstance(amount, int | float):
                            return int(amount)
            elif isinstance(table, list):
                for item in table:
                    if isinstance(item, dict) and self.workflow.level_id(str(item.get("level", ""))) == level:
                        amount = item.get("yuan", item.get("amount", item.get("fee")))
                        if isinstance(amount, int | float):
                            return int(amount)
        definition = self.workflow.levels.get(level)
        return definition.fee_yuan if definition else None

    def paper_due_days(self, year: int) -> int | None:
        """Calendar days after 审核受理 within which the paper form must arrive."""
        cycle = self._cycle(year)
        candidates = [cycle.get(k) for k in _PAPER_KEYS if k.startswith("paper")]
        for section in (cycle.get("paper_form"), cycle.get("paper")):
            if isinstance(section, dict):
                candidates += [section.get(k) for k in _PAPER_KEYS]
        for value in candidates:
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 60:
                return value
        state = self.workflow.with_role("paper_form")
        return state.due_calendar_days if state else None

    # ---- dates ---------------------------------------------------------------------------
    def due_date(self, state: str, state_at: datetime, stored_due: date | None) -> date | None:
        """When the next step is due: stored (退回补正) or computed from the state's rule."""
        definition = self.workflow.states.get(state)
        if definition is None:
            return None
        if stored_due is not None:
            return stored_due
        local = state_at.astimezone(LOCAL_TZ).date()
        if definition.due_calendar_days:
            days = self.paper_due_days(local.year) if definition.role == "paper_form" else definition.due_calendar_days
            return local + timedelta(days=days or definition.due_calendar_days)
        return None

    def publicity_end(self, state: str, state_at: datetime) -> date | None:
        definition = self.workflow.states.get(state)
        if definition is None or not definition.publicity_working_days:
            return None
        return self.calendar.period_end(state_at.astimezone(LOCAL_TZ).date(), definition.publicity_working_days)


def format_time(moment: datetime) -> str:
    local = moment.astimezone(LOCAL_TZ)
    return f"{local.year}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
