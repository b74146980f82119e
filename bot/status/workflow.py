"""The review workflow (``rules/status.yaml``): schema, loader, transition checks and the checker.

The workflow is data so that staff can reword it and add the words their spreadsheets use (aliases)
without a release; the code only knows state ids. ``Workflow.check_transition`` is the single place
that decides whether a change is legal, so chat, CLI and imports refuse the same things.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.loader import ContentError, ContentProblem, line_of, load_model, read_yaml
from bot.content.localized import english_problems, pick
from bot.content.office import SourceRef
from bot.content.texts import DEFAULT_LANGUAGE, Texts, normalize_language
from bot.reference.levels import Level
from bot.status.tablefile import MB, REQUIRED, Limits

STATUS_FILE = Path("rules") / "status.yaml"
#: placeholders the code fills in explanations and next steps
PLACEHOLDERS = frozenset({"fee", "due", "publicity_end", "publicity_days", "address", "phone", "email", "qq_group"})
#: what the code does specially for a state, named by its ``role`` in the file (at most one state each):
#: ``resubmission`` — the applicant must resubmit by a due date, which is stored with the state (退回补正).
#: The paper-form days are not a role: a state's ``due: paper_form`` starts them.
StateRole = Literal["resubmission"]
_DUE_RE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class StateDef(BaseModel):
    """One state of the workflow with its user-facing texts and the states it may move to."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z_]{1,31}$")
    label: str = Field(min_length=1, max_length=20)
    label_en: str | None = Field(default=None, max_length=40)
    aliases: list[str] = Field(default_factory=list)
    platform_label: str | None = None
    explanation: str = Field(min_length=1)
    explanation_en: str | None = None
    next_step: str = Field(min_length=1)
    next_step_en: str | None = None
    next_step_without_due: str | None = None
    next_step_without_due_en: str | None = None
    #: the next step as a unit's HR contact reads it (about the applicant, not to them)
    hr_next_step: str = Field(min_length=1)
    hr_next_step_en: str | None = None
    hr_next_step_without_due: str | None = None
    hr_next_step_without_due_en: str | None = None
    transitions: list[str] = Field(default_factory=list)
    publicity_working_days: int | None = Field(default=None, ge=1, le=30)
    #: ``paper_form``: the next step is due the cycle's paper-form days (``rules/cycles/<year>.yaml``)
    #: after the state was entered; the number itself is a fact of the review year, not of the workflow
    due: Literal["paper_form"] | None = None
    requires_reason: bool = False
    role: StateRole | None = None
    levels: list[str] | None = None
    sources: list[SourceRef] = Field(min_length=1)

    @property
    def terminal(self) -> bool:
        return not self.transitions


class RejectionReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: int = Field(ge=1, le=99)
    label: str = Field(min_length=2)
    label_en: str | None = None


class Resubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str
    rule_en: str | None = None
    missed_due_state: str
    sources: list[SourceRef] = Field(min_length=1)


class LevelDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: one of the review's level ids, the keys of the fees in ``rules/cycles/<year>.yaml``
    id: Level
    label: str
    label_en: str | None = None
    aliases: list[str] = Field(default_factory=list)
    assessment: bool


class ImportLimitsDef(BaseModel):
    """``import_limits``: what one spreadsheet import may hold (checked while the file is read)."""

    model_config = ConfigDict(extra="forbid")
    max_file_mb: int = Field(ge=1, le=100)
    max_rows: int = Field(ge=1, le=1_000_000)
    max_columns: int = Field(ge=len(REQUIRED), le=1000)
    max_cell_chars: int = Field(ge=100, le=100_000)
    max_uncompressed_mb: int = Field(ge=1, le=2000)
    max_compression_ratio: int = Field(ge=10, le=10_000)
    max_shared_strings: int = Field(ge=1, le=10_000_000)
    max_blank_rows: int = Field(ge=0, le=1_000_000)

    def limits(self) -> Limits:
        return Limits(
            max_file_bytes=self.max_file_mb * MB, max_rows=self.max_rows, max_columns=self.max_columns,
            max_cell_chars=self.max_cell_chars, max_uncompressed_bytes=self.max_uncompressed_mb * MB,
            max_compression_ratio=self.max_compression_ratio, max_shared_strings=self.max_shared_strings,
            max_blank_rows=self.max_blank_rows,
        )


class WorkflowFile(BaseModel):
    """The whole ``rules/status.yaml``; cross-references are validated here."""

    model_config = ConfigDict(extra="forbid")
    version: str
    application_number_pattern: str = r"^[A-Za-z0-9-]{6,30}$"
    #: how the pattern reads to staff and applicants, e.g. in an import report (keep it in step)
    application_number_hint: str
    application_number_hint_en: str | None = None
    states: list[StateDef] = Field(min_length=2)
    rejection_reasons: list[RejectionReason] = Field(min_length=1)
    rejection_sources: list[SourceRef] = Field(min_length=1)
    resubmission: Resubmission
    levels: list[LevelDef] = Field(min_length=1)
    level_sources: list[SourceRef] = Field(min_length=1)
    import_limits: ImportLimitsDef

    @field_validator("application_number_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> WorkflowFile:
        ids = [s.id for s in self.states]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"state ids defined twice: {sorted(dupes)}")
        level_ids = {lv.id for lv in self.levels}
        names: dict[str, str] = {}
        for state in self.states:
            if bool(state.next_step_without_due) != bool(state.hr_next_step_without_due):
                raise ValueError(f"state {state.id}: next_step_without_due and hr_next_step_without_due go together")
            for attr in ("explanation", "next_step", "next_step_without_due", "hr_next_step", "hr_next_step_without_due",
                         "explanation_en", "next_step_en", "next_step_without_due_en", "hr_next_step_en",
                         "hr_next_step_without_due_en"):
                try:
                    fields = {f for _, f, _, _ in string.Formatter().parse(getattr(state, attr) or "") if f is not None}
                except ValueError as exc:
                    raise ValueError(f"state {state.id}: {attr}: {exc}") from None
                unknown = fields - PLACEHOLDERS
                if unknown:
                    raise ValueError(f"state {state.id}: {attr} uses unknown placeholder(s) {sorted(unknown)}")
            for target in state.transitions:
                if target not in ids:
                    raise ValueError(f"state {state.id}: transition to unknown state {target!r}")
                if target == state.id:
                    raise ValueError(f"state {state.id}: a transition to itself is not a change")
            for level in state.levels or []:
                if level not in level_ids:
                    raise ValueError(f"state {state.id}: unknown level {level!r}")
            for word in _names(state):
                key = _norm(word)
                if names.get(key, state.id) != state.id:
                    raise ValueError(f"state name {word!r} is used by both {names[key]} and {state.id}")
                names[key] = state.id
        roles = [s.role for s in self.states if s.role]
        if len(set(roles)) != len(roles):
            raise ValueError(f"a state role is given to more than one state: {sorted({r for r in roles if roles.count(r) > 1})}")
        if self.resubmission.missed_due_state not in ids:
            raise ValueError(f"resubmission.missed_due_state: unknown state {self.resubmission.missed_due_state!r}")
        codes = [r.code for r in self.rejection_reasons]
        if len(set(codes)) != len(codes):
            raise ValueError("rejection_reasons: codes must be unique")
        level_names: dict[str, str] = {}
        for level in self.levels:
            for word in _names(level):
                key = _norm(word)
                if level_names.get(key, level.id) != level.id:
                    raise ValueError(f"level name {word!r} is used by both {level_names[key]} and {level.id}")
                level_names[key] = level.id
        return self


def _names(item: StateDef | LevelDef) -> list[str]:
    """Every name a state or level is known by: id, labels in both languages, aliases."""
    extra = [getattr(item, "platform_label", None), item.label_en]
    return [item.id, item.label, *item.aliases, *(w for w in extra if w)]


def _norm(word: str) -> str:
    """Names compare without spaces and case, so 'Accepted', ' 申报结束 ' and '申报结束' match."""
    return re.sub(r"\s+", "", word).lower()


def parse_due(note: str) -> date | None:
    """A resubmission due date written in a staff note (2024-09-05, 2024/9/5 or 2024年9月5日)."""
    match = _DUE_RE.search(note or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


class StaffRefusal(Exception):
    """A change refused, worded for staff. ``str()`` is the Chinese sentence (the console, import
    reports and logs); ``in_language`` words it for the staff member who asked in chat, whose
    language may be English, with the states and levels named in that language too."""

    def __init__(self, word: Callable[[str], str]) -> None:
        super().__init__(word(DEFAULT_LANGUAGE))
        self._word = word

    def in_language(self, lang: str | None) -> str:
        return self._word(normalize_language(lang))


class TransitionRefused(StaffRefusal):
    """A change the workflow does not allow, naming both states (worded in
    ``dialogs/texts_status.yaml`` and its English twin under ``status.transition``)."""

    def __init__(self, word: Callable[[str], str], source: str, target: str) -> None:
        super().__init__(word)
        self.source = source
        self.target = target


class Workflow:
    """Read-only view of the workflow with lookups by any name and the transition check."""

    def __init__(self, data: WorkflowFile, texts: Callable[[], Texts]) -> None:
        self.data = data
        self._load_texts = texts
        self.states: dict[str, StateDef] = {s.id: s for s in data.states}
        self.levels = {lv.id: lv for lv in data.levels}
        self._state_names = {_norm(w): s.id for s in data.states for w in _names(s)}
        self._level_names = {_norm(w): lv.id for lv in data.levels for w in _names(lv)}

    @cached_property
    def import_limits(self) -> Limits:
        return self.data.import_limits.limits()

    @cached_property
    def texts(self) -> Texts:
        """The wording of refusals; loaded on the first refusal, so loading a workflow stays cheap."""
        return self._load_texts()

    def t(self, key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
        """Staff-facing wording (refusals) in ``lang`` from the texts of this workflow's content root."""
        return self.texts.get(key, lang, **values)

    @cached_property
    def number_re(self) -> re.Pattern[str]:
        return re.compile(self.data.application_number_pattern)

    @staticmethod
    def normalize_number(text: str) -> str:
        """Full-width input (ＳＤ２０２４－０１) becomes ASCII and letters upper case, so what people
        type matches what the spreadsheet holds."""
        return unicodedata.normalize("NFKC", text or "").strip().upper()

    def valid_number(self, number: str) -> bool:
        return bool(self.number_re.fullmatch(number))

    def state_id(self, name: str) -> str | None:
        """The state id for an id, label or alias (None when unknown)."""
        return self._state_names.get(_norm(name or ""))

    def level_id(self, name: str) -> str | None:
        return self._level_names.get(_norm(name or ""))

    def with_role(self, role: StateRole) -> StateDef | None:
        """The state that plays ``role`` (``rules/status.yaml``), if the workflow has one."""
        return next((s for s in self.data.states if s.role == role), None)

    def has_role(self, state_id: str, role: StateRole) -> bool:
        state = self.states.get(state_id)
        return state is not None and state.role == role

    def kept_due(self, state_id: str, given: date | None, note: str) -> date | None:
        """The due date stored with a change to ``state_id``: only a resubmission state keeps one,
        given explicitly or written in the staff note; every other state clears it."""
        return (given or parse_due(note)) if self.has_role(state_id, "resubmission") else None

    def label(self, state_id: str, lang: str | None = None) -> str:
        """A state's name in the reader's language (the id when the state is unknown)."""
        state = self.states.get(state_id)
        return pick(state, "label", lang) if state else state_id

    def level_label(self, level_id: str, lang: str | None = None) -> str:
        level = self.levels.get(level_id)
        return pick(level, "label", lang) if level else level_id

    def number_hint(self, lang: str | None = None) -> str:
        """How an application number is written, in the reader's language."""
        return pick(self.data, "application_number_hint", lang)

    def allowed(self, source: str, target: str, level: str | None = None) -> bool:
        try:
            self.check_transition(source, target, level)
        except TransitionRefused:
            return False
        return True

    def check_transition(self, source: str, target: str, level: str | None = None) -> None:
        """Raise ``TransitionRefused`` unless ``source → target`` is listed (and fits the level)."""
        if target not in self.states:
            raise TransitionRefused(lambda lang: self.t("status.transition.unknown_state", lang, state=target), source, target)

        def names(lang: str) -> dict[str, str]:
            return {"source": self.label(source, lang), "target": self.label(target, lang)}

        src = self.states.get(source)
        if src is None or target not in src.transitions:
            raise TransitionRefused(lambda lang: self.t("status.transition.not_allowed", lang, **names(lang)), source, target)
        allowed_levels = self.states[target].levels
        if level is not None and allowed_levels is not None and level not in allowed_levels:
            raise TransitionRefused(
                lambda lang: self.t("status.transition.level_excluded", lang, level=self.level_label(level, lang), **names(lang)),
                source,
                target,
            )

    def rejection_reason(self, note: str) -> tuple[int, str] | None:
        """The rejection ground a note names, by leading number (1–6) or by its wording."""
        text = (note or "").strip()
        match = re.match(r"^[（(]?(\d{1,2})[)）.、:：\s]?", text)
        by_code = {r.code: r.label for r in self.data.rejection_reasons}
        if match and int(match.group(1)) in by_code:
            code = int(match.group(1))
            return code, by_code[code]
        for reason in self.data.rejection_reasons:
            if reason.label in text:
                return reason.code, reason.label
        return None


def load_workflow(root: Path) -> Workflow:
    """Load and validate ``rules/status.yaml`` (raises ContentError with file and line).

    The texts of the same content root word the refusals; they are read only when first needed.
    """
    return Workflow(load_model(root / STATUS_FILE, WorkflowFile, root), texts=lambda: _load_texts(root))


def _load_texts(root: Path) -> Texts:
    from bot.content.texts import text_files

    return Texts.load(text_files(root), root)


def check_status_rules(root: Path) -> list[ContentProblem]:
    """Checker for ``python -m bot check``: schema, cross-references, and that cited sections exist."""
    workflow = load_workflow(root)
    _, node = read_yaml(root / STATUS_FILE, root)
    problems = english_problems(workflow.data, str(STATUS_FILE), node)
    sections_file = root / "knowledge" / "sections.yaml"
    if not sections_file.exists():
        if problems:
            raise ContentError(problems)
        return []
    data, _ = read_yaml(sections_file, root)
    known = {(doc, str(sec)) for doc, secs in (data or {}).get("documents", {}).items() for sec in secs or []}
    refs: list[tuple[tuple, SourceRef]] = []
    for i, state in enumerate(workflow.data.states):
        refs += [(("states", i, "sources", j), ref) for j, ref in enumerate(state.sources)]
    for key in ("rejection_sources", "level_sources"):
        refs += [((key, j), ref) for j, ref in enumerate(getattr(workflow.data, key))]
    refs += [(("resubmission", "sources", j), ref) for j, ref in enumerate(workflow.data.resubmission.sources)]
    for loc, ref in refs:
        if (ref.document, ref.section) not in known:
            problems.append(
                ContentProblem(str(STATUS_FILE), line_of(node, loc), f"source {ref.document} {ref.section} is not in knowledge/sections.yaml")
            )
    if problems:
        raise ContentError(problems)
    return []
