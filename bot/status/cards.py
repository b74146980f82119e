"""What an application's state means to a person: the status card, the next step and its due date,
filled from ``rules/status.yaml`` and the office's contacts, in the reader's language (``lang``:
the state's ``_en`` texts and dates written the English way for "en").

Whom the card speaks to (``Audience``) decides how the next step is put: the workflow's
``next_step`` speaks to the applicant ("请您……"); a unit's HR contact reading the card of one of the
unit's applicants gets the state's ``hr_next_step`` (beside it in rules/status.yaml), which says
what the applicant has to do, or what the unit must do, about a third person."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bot.content.localized import pick
from bot.content.texts import fill, local_date
from bot.core.context import Services
from bot.status.calendar import StatusCalendar, format_status_time
from bot.status.models import Application, StatusHistory, Unit
from bot.status.personal import mask_name

#: who reads a card or a next step: the applicant themself, or an HR contact of their unit
Audience = Literal["applicant", "hr"]


class StatusCards:
    """Renders texts only (no database); built once with the rest of ``StatusService``."""

    def __init__(self, services: Services, rules: StatusCalendar) -> None:
        self.services = services
        self.rules = rules
        self.workflow = rules.workflow

    def next_step(self, app: Application, lang: str | None = None,
                  audience: Audience = "applicant") -> tuple[str, date | None]:
        """The next step sentence for the application's state, as ``audience`` reads it, and its
        due date if any."""
        state = self.workflow.states.get(app.state)
        if state is None:
            return "", None
        due = self.rules.due_date(app.state, app.state_at, app.due_date)
        field = "next_step" if (due or not state.next_step_without_due) else "next_step_without_due"
        year = app.state_at.year
        values = self.services.contact_values(lang) | {
            "fee": str(self.rules.fee(app.level, year) or ""),
            "due": local_date(due, lang or "zh"),
            "publicity_end": local_date(self.rules.publicity_end(app.state, app.state_at), lang or "zh"),
            "publicity_days": str(state.publicity_working_days or ""),
        }
        if audience == "hr":
            field = f"hr_{field}"
        return fill(pick(state, field, lang), values), due

    def explanation(self, app: Application, lang: str | None = None) -> str:
        state = self.workflow.states.get(app.state)
        if state is None:
            return ""
        return fill(pick(state, "explanation", lang), {"publicity_days": str(state.publicity_working_days or "")})

    def render(
        self, app: Application, history: list[StatusHistory], unit: Unit | None, lang: str | None = None,
        today: date | None = None, audience: Audience = "applicant",
    ) -> str:
        """The full status card: state, explanation, history, next step and due date (said to have
        passed when ``today`` is after it: the step may be overdue, or the office's record old).
        ``audience`` "hr": the next step as the unit's HR contact reads it (see the module)."""
        language = lang or "zh"

        def t(key: str, **values: object) -> str:
            return self.services.t(key, language, **values)

        step, due = self.next_step(app, lang, audience)
        lines = [
            t(
                "status.card.header",
                number=app.number,
                name=mask_name(app.applicant_name),
                level=self.workflow.level_label(app.level, lang),
                unit=unit.name if unit else "",
            ),
            t("status.card.state", state=self.workflow.label(app.state, lang), since=format_status_time(app.state_at, lang)),
            self.explanation(app, lang),
            t("status.card.history_header"),
        ]
        for row in history[-10:]:
            note = t("status.card.history_note", note=row.note) if row.note else ""
            lines.append(t("status.card.history_line", at=format_status_time(row.at, lang), state=self.workflow.label(row.state, lang),
                           note=note))
        lines.append(t("status.card.next_step", step=step))
        if due:
            key = "status.card.due_passed" if today is not None and due < today else "status.card.due"
            lines.append(t(key, due=local_date(due, language), **self.services.contact_values(lang)))
        return "\n".join(line for line in lines if line)
