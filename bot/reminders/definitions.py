"""``rules/reminders.yaml``: topics, reminder rules and scheduler settings, validated with pydantic.

A rule says what to send (a text template), to whom (audiences), when (a schedule of day offsets
from an anchor date, each at a local time) and while what is true (the application's states). The
code only knows four kinds of anchor; the dates, offsets, states and texts are data that office
staff can change for a new review year.

Anchors:
- ``cycle.online_deadline``: the current cycle's online deadline (``rules/cycles/<year>.yaml``)
- ``state_entered``: the day the application entered its current state (``states`` lists which)
- ``due_date``: the application's resubmission due date (set while 退回补正)
- ``publicity_end``: the last working day of a 公示 period that began when the state was entered,
  counted in Chinese working days (``publicity_working_days`` of the state in ``rules/status.yaml``)
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.clock import parse_clock_time
from bot.content.loader import ContentProblem, load_model, read_yaml
from bot.content.localized import english_problems, pick

REMINDERS_FILE = Path("rules") / "reminders.yaml"
Anchor = Literal["cycle.online_deadline", "state_entered", "due_date", "publicity_end"]
Audience = Literal["subscribers", "hr_all", "bound", "unit_hr"]
Role = Literal["applicant", "bound", "hr", "staff"]


class Topic(BaseModel):
    """A subscription topic; ``default_for`` lists the roles subscribed until they opt out."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z_]{1,31}$")
    label: str = Field(min_length=1, max_length=12)
    label_en: str | None = Field(default=None, max_length=30)
    description: str = Field(min_length=1)
    description_en: str | None = None
    default_for: list[Role] = Field(default_factory=list)


class ScheduleEntry(BaseModel):
    """One moment: ``days`` after the anchor (negative = before) at local time ``at``."""

    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=-120, le=120)
    at: time | None = None
    text: str | None = None
    text_en: str | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _time(cls, value: object) -> object:
        return parse_clock_time(value)


class ReminderRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    description: str = ""
    topic: str
    anchor: Anchor
    states: list[str] = Field(default_factory=list)
    schedule: list[ScheduleEntry] = Field(min_length=1)
    audience: list[Audience] = Field(min_length=1)
    #: the last moment a reminder of this rule still makes sense:
    #: ``anchor_end`` — the end of the anchor day; ``paper_form_due`` — the end of the paper-form
    #: deadline (acceptance + the cycle's days); ``null`` — ``stale_after_hours`` after each moment
    expires: Literal["anchor_end", "paper_form_due"] | None = None
    urgent: bool = False
    text: str = Field(min_length=1)
    text_en: str | None = None

    def template(self, entry: ScheduleEntry, lang: str | None) -> str:
        """The text of one moment in the reader's language: the entry's own, else the rule's."""
        return pick(entry, "text", lang) if entry.text else pick(self, "text", lang)

    @model_validator(mode="after")
    def _check(self) -> ReminderRule:
        if self.anchor == "cycle.online_deadline":
            if self.states:
                raise ValueError("states apply to application anchors only")
            if any(a in ("bound", "unit_hr") for a in self.audience):
                raise ValueError("a cycle reminder has no application: use audiences subscribers / hr_all")
        else:
            if not self.states:
                raise ValueError(f"anchor {self.anchor} needs the states in which the reminder applies")
            if any(a in ("subscribers", "hr_all") for a in self.audience):
                raise ValueError("an application reminder goes to its audiences bound / unit_hr")
        days = [e.days for e in self.schedule]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("schedule days must be distinct and in order")
        return self


class SchedulerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_at: time = time(9, 0)
    tick_seconds: float = Field(default=60, gt=0, le=3600)
    stale_after_hours: float = Field(default=24, gt=0, le=24 * 30)
    cycle_days_after_deadline: int = Field(default=150, ge=0, le=366)

    @field_validator("default_at", mode="before")
    @classmethod
    def _time(cls, value: object) -> object:
        return parse_clock_time(value)


class RemindersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    topics: list[Topic] = Field(min_length=1)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    rules: list[ReminderRule] = Field(default_factory=list)
    #: channels a staff broadcast reaches (each needs a running process with its sender)
    push_channels: list[Literal["telegram", "web"]] = Field(default_factory=lambda: ["telegram", "web"], min_length=1)

    @model_validator(mode="after")
    def _cross(self) -> RemindersFile:
        topic_ids = [t.id for t in self.topics]
        if len(set(topic_ids)) != len(topic_ids):
            raise ValueError("topic ids must be unique")
        rule_ids = [r.id for r in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("rule ids must be unique")
        for rule in self.rules:
            if rule.topic not in topic_ids:
                raise ValueError(f"rule {rule.id}: unknown topic {rule.topic!r}")
        return self

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


def load_reminder_rules(root: Path) -> RemindersFile:
    return load_model(root / REMINDERS_FILE, RemindersFile, root)


def check_reminder_rules(root: Path) -> list[ContentProblem]:
    """``python -m bot check``: the file validates, states exist in the workflow, texts format."""
    from bot.reminders.templates import PLACEHOLDERS, unknown_placeholders

    data = load_reminder_rules(root)
    name = str(REMINDERS_FILE)
    problems = english_problems(data, name, read_yaml(root / REMINDERS_FILE, root)[1])
    known_states: set[str] | None = None
    try:
        from bot.status.workflow import load_workflow

        workflow = load_workflow(root)
        known_states = set(workflow.states)
    except ImportError:  # pragma: no cover - the status feature is part of the bot
        pass
    for rule in data.rules:
        for state in rule.states:
            if known_states is not None and state not in known_states:
                problems.append(ContentProblem(name, None, f"rule {rule.id}: state {state!r} is not in rules/status.yaml"))
        texts = [rule.text, rule.text_en, *[e.text for e in rule.schedule], *[e.text_en for e in rule.schedule]]
        for text in filter(None, texts):
            for bad in unknown_placeholders(text):
                problems.append(
                    ContentProblem(name, None, f"rule {rule.id}: unknown placeholder {{{bad}}} (known: {', '.join(PLACEHOLDERS)})")
                )
        if rule.anchor == "publicity_end" and known_states is not None:
            for state in rule.states:
                if state in workflow.states and not workflow.states[state].publicity_working_days:
                    problems.append(ContentProblem(name, None, f"rule {rule.id}: state {state!r} has no publicity_working_days"))
        if rule.expires == "paper_form_due" and known_states is not None:
            for state in rule.states:
                if state in workflow.states and workflow.states[state].due != "paper_form":
                    problems.append(ContentProblem(name, None, f"rule {rule.id}: state {state!r} has no paper-form due date (due: paper_form)"))
    return problems
