"""Schema and loader of ``rules/eligibility.yaml`` and ``rules/qualifications.yaml``.

The evaluator reads only these models, so a new review year (or the real 附件1 standard) is a data
change. ``check_rulebook`` cross-checks what pydantic cannot: every cited document id exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from bot.content.loader import load_model
from bot.reference.documents import (
    ENGLISH_DOCUMENTS_FILE,
    Document,
    in_english,
    load_documents,
    load_english_documents,
)
from bot.reference.levels import Level
from bot.reference.sources import Confidence, Source

Title = Literal["none", "technician", "assistant", "intermediate", "deputy_senior", "senior"]
Education = Literal["doctor", "master", "second_bachelor", "bachelor", "college", "secondary", "other"]
SkillLevel = Literal["none", "senior_worker", "technician", "senior_technician"]

#: rank of a title held; a level's rank is the rank of the title it confers
TITLE_RANK: dict[str, int] = {
    "none": 0, "technician": 1, "assistant": 2, "intermediate": 3, "deputy_senior": 4, "senior": 5,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Exclusion(_Strict):
    id: str
    when: dict[str, Any] = Field(min_length=1)
    reason: str
    reason_en: str | None = None
    advice: str
    advice_en: str | None = None
    source: Source
    confidence: Confidence


class TitleWaiver(_Strict):
    origins: list[str] = Field(min_length=1)
    reason: str
    reason_en: str | None = None
    years_note: str
    years_note_en: str | None = None
    source: Source
    confidence: Confidence


class NotCovered(_Strict):
    """Applicants the notices do not speak of at all: no verdict, a referral to the office."""

    origins: list[str] = Field(min_length=1)
    reason: str
    reason_en: str | None = None
    source: Source
    confidence: Confidence


class Input(_Strict):
    """A profile field the rules read, and when: ``when`` (all hold) and ``unless`` (none holds)
    narrow it down. ``python -m bot check`` fails when a dialog path that reaches an evaluation
    neither asks nor derives a field whose condition holds on that path."""

    field: str
    when: dict[str, Any] = Field(default_factory=dict)
    unless: dict[str, Any] = Field(default_factory=dict)

    def needed(self, values: dict[str, Any]) -> bool:
        def hit(field: str, want: Any) -> bool:
            value = values.get(field)
            return value in want if isinstance(want, list) else value == want

        return all(hit(f, w) for f, w in self.when.items()) and not any(hit(f, w) for f, w in self.unless.items())


class StandardRow(_Strict):
    id: str
    level: Level
    education: list[Education] = Field(min_length=1)
    requires_title: Title
    years_of: Literal["none", "work", "title"]
    min_years: float = Field(ge=0, le=30)
    reason: str
    reason_en: str | None = None
    source: Source
    confidence: Confidence
    per_attachment1: bool

    @model_validator(mode="after")
    def _consistent(self) -> StandardRow:
        if self.years_of == "none" and self.min_years:
            raise ValueError("years_of none needs min_years 0")
        if self.years_of == "title" and self.requires_title == "none":
            raise ValueError("years_of title needs requires_title")
        return self


class CitedCondition(_Strict):
    """One condition of a path, with the source that states it."""

    text: str
    text_en: str | None = None
    source: Source
    confidence: Confidence


class ExceptionalRow(_Strict):
    id: str
    level: Level
    requires_title: Title
    conditions: list[CitedCondition] = Field(min_length=1)
    source: Source
    also: Source | None = None
    confidence: Confidence
    per_attachment1: bool


class Pointer(_Strict):
    reason: str
    reason_en: str | None = None
    source: Source
    also: Source | None = None
    confidence: Confidence


class SkilledRow(_Strict):
    id: str
    skill_level: Literal["senior_worker", "technician", "senior_technician"]
    min_years: float = Field(ge=0, le=30)
    level: Level
    reason: str
    reason_en: str | None = None
    source: Source
    also: Source | None = None
    confidence: Confidence


class Skilled(_Strict):
    requirements: list[str]
    requirements_en: list[str] | None = None
    #: profile fields that must be true (each with the text key of its gap)
    conditions: dict[str, str] = Field(default_factory=dict)
    #: a pointer shown to applicants with a skill level (direct routes for award winners)
    green_channel: Pointer | None = None
    requirements_source: Source
    rows: list[SkilledRow] = Field(min_length=1)


class ZjtxEnterprise(_Strict):
    levels: list[Level] = Field(min_length=1)
    #: None: no source gives this kind of enterprise a quota of its own (the office decides)
    max_per_year: int | None = Field(default=None, ge=0)
    max_senior_per_year: int | None = Field(default=None, ge=0)
    source: Source
    confidence: Confidence

    @property
    def quota_known(self) -> bool:
        return self.max_per_year is not None


class Zjtx(_Strict):
    enterprises: dict[Literal["national", "provincial", "champion"], ZjtxEnterprise]
    reason: str
    reason_en: str | None = None
    form: str
    form_en: str | None = None
    source: Source
    also: Source | None = None
    confidence: Confidence


class Fraction(_Strict):
    numerator: int = Field(ge=0)
    denominator: int = Field(ge=1)


class ContinuingEducation(_Strict):
    min_hours_per_year: int = Field(ge=1)
    professional_share: Fraction
    window_years: int = Field(ge=1, le=10)
    exempt_paths: list[str]
    reason: str
    reason_en: str | None = None
    source: Source
    confidence: Confidence


class Material(_Strict):
    text: str
    text_en: str | None = None
    source: Source
    #: left out when every open path is one of these (e.g. the CE record for 举荐-only verdicts)
    not_when_only: list[str] = Field(default_factory=list)


class Materials(_Strict):
    common: list[Material]
    by_path: dict[str, list[Material]]


class Rulebook(_Strict):
    exclusions: list[Exclusion]
    title_waiver: TitleWaiver
    not_covered: NotCovered
    #: the title above which nothing can be applied for; the evaluation stops there
    top_title: Title
    inputs: list[Input] = Field(min_length=1)
    standard: list[StandardRow] = Field(min_length=1)
    exceptional: list[ExceptionalRow]
    qualification: Pointer
    skilled: Skilled
    zjtx: Zjtx
    high_level: Pointer
    special_groups: Pointer
    continuing_education: ContinuingEducation
    materials: Materials

    #: the document registry (knowledge/documents.yaml), attached by ``load_rulebook``
    _documents: dict[str, Document] = PrivateAttr(default_factory=dict)
    #: the same registry with English labels and caveats (knowledge/en/documents.yaml), and the
    #: English of worded section labels, so an English verdict cites in English
    _documents_en: dict[str, Document] = PrivateAttr(default_factory=dict)
    _sections_en: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def documents(self) -> dict[str, Document]:
        return self._documents

    def documents_in(self, english: bool) -> tuple[dict[str, Document], dict[str, str]]:
        """The registry and section words a source line uses in the reader's language (Chinese
        when the English file is absent from the content)."""
        if english and self._documents_en:
            return self._documents_en, self._sections_en
        return self._documents, {}

    def all_sources(self) -> list[tuple[str, Source]]:
        """Every source cited anywhere in the rulebook, with a label saying where."""
        found: list[tuple[str, Source]] = []

        def walk(label: str, value: Any) -> None:
            if isinstance(value, Source):
                found.append((label, value))
            elif isinstance(value, BaseModel):
                for name in type(value).model_fields:
                    walk(f"{label}.{name}", getattr(value, name))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    walk(f"{label}[{i}]", item)
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(f"{label}.{key}", item)

        walk("rules", self)
        return found


class QualificationMapping(_Strict):
    qualification: str
    level: Level
    source: Source
    confidence: Confidence


class Qualifications(_Strict):
    document: str
    source: Source
    note: str
    note_en: str | None = None
    mappings: list[QualificationMapping] = Field(default_factory=list)


def load_rulebook(root: Path) -> Rulebook:
    """The rules, with the document registry their sources cite."""
    book = load_model(root / "rules" / "eligibility.yaml", Rulebook, root)
    book._documents = load_documents(root)
    if (root / ENGLISH_DOCUMENTS_FILE).is_file():
        english = load_english_documents(root)
        book._documents_en = in_english(book._documents, english)
        book._sections_en = dict(english.sections)
    return book


def load_qualifications(root: Path) -> Qualifications:
    return load_model(root / "rules" / "qualifications.yaml", Qualifications, root)
