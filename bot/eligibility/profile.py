"""The applicant profile the evaluator reads (CLI JSON, or built from dialog answers).

Unknown fields and bad values are errors naming the field; missing fields take safe defaults (the
defaults never open a path the applicant did not claim).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.eligibility.rulebook import Education, SkillLevel, Title

PersonType = Literal["employee", "freelancer", "civil_servant", "civil_servant_managed", "retired"]
Origin = Literal["mainland", "hk_macao_taiwan", "foreign_permanent_resident", "foreign_high_level_talent", "foreign_other"]
QualificationLevel = Literal["none", "assistant", "intermediate", "deputy_senior", "senior"]

Years = float


class CeYear(BaseModel):
    """Continuing-education hours recorded for one calendar year."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=1990, le=2100)
    total: float = Field(ge=0, le=2000)
    professional: float = Field(ge=0, le=2000)

    @model_validator(mode="after")
    def _professional_within_total(self) -> CeYear:
        if self.professional > self.total:
            raise ValueError("professional hours cannot exceed total hours")
        return self


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)
    person_type: PersonType = "employee"
    origin: Origin = "mainland"
    works_in_shandong: bool = True
    #: whether the work is in Qingdao, whose document alone states the 专精特新 quotas; None when not
    #: asked (a profile file, or a check begun before the question told Qingdao apart)
    works_in_qingdao: bool | None = None
    industrial_internet_work: bool = True
    education: Education = "other"
    current_title: Title = "none"
    years_in_title: Years = Field(default=0, ge=0, le=70)
    years_of_work: Years = Field(default=0, ge=0, le=70)
    skill_level: SkillLevel = "none"
    years_in_skill: Years = Field(default=0, ge=0, le=70)
    appraisals_passed_3y: bool = False
    frontline_post: bool = False
    qualification_level: QualificationLevel = "none"
    years_in_qualification: Years = Field(default=0, ge=0, le=70)
    zjtx_enterprise: Literal["none", "national", "provincial", "champion"] = "none"
    zjtx_recommended: bool = False
    ce_hours: list[CeYear] = Field(default_factory=list)

    @field_validator("works_in_shandong", "industrial_internet_work", "appraisals_passed_3y", "frontline_post", "zjtx_recommended",
                     mode="before")
    @classmethod
    def _strict_bool(cls, value: object) -> object:
        """Only true/false: "yes" or 1 in a profile file is more likely a mistake than a choice."""
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    @field_validator("works_in_qingdao", mode="before")
    @classmethod
    def _strict_optional_bool(cls, value: object) -> object:
        if value is not None and not isinstance(value, bool):
            raise ValueError("must be true, false or left out")
        return value

    @field_validator("years_in_title", "years_of_work", "years_in_skill", "years_in_qualification", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number of years (e.g. 3 or 2.5)")
        return value

    @model_validator(mode="after")
    def _work_covers_title(self) -> Profile:
        """Years of work include the years in the current title: derived when not given, an error
        when given smaller (a rule reading years of work would otherwise see too few)."""
        if self.years_of_work < self.years_in_title:
            if "years_of_work" in self.model_fields_set:
                raise ValueError("years_of_work must be at least years_in_title")
            self.years_of_work = self.years_in_title
        return self

    @field_validator("ce_hours")
    @classmethod
    def _unique_years(cls, rows: list[CeYear]) -> list[CeYear]:
        years = [r.year for r in rows]
        if len(years) != len(set(years)):
            raise ValueError("each year may appear only once")
        return rows


class ProfileError(ValueError):
    """A profile that does not validate; ``messages`` name each offending field."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_profile(data: object, where: str = "") -> Profile:
    """Validate one profile object; errors name the field (``[2].education: …``)."""
    if not isinstance(data, dict):
        raise ProfileError([f"{where or 'profile'}: must be a JSON object"])
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        messages = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "profile"
            msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            messages.append(f"{where}{field}: {msg}")
        raise ProfileError(messages) from None
