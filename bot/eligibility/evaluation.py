"""The eligibility evaluator: a pure function from a profile to a verdict.

Everything it knows comes from the rulebook (``rules/eligibility.yaml``), the review cycle
(``rules/cycles/*.yaml``) and the texts; time enters only as the ``today`` argument. The verdict lists
open paths with reasons and sources, blocked ones with the nearest gap, warnings and reminders, fees,
assessment forms, committees, materials and the cycle's deadlines (or the honest "cycle is over").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.content.localized import is_english, pick
from bot.content.texts import local_date
from bot.eligibility.profile import Profile
from bot.eligibility.rulebook import TITLE_RANK, Material, Rulebook, StandardRow, ZjtxEnterprise
from bot.reference.cycles import CycleView
from bot.reference.documents import Citer
from bot.reference.levels import LEVELS
from bot.reference.sources import Source

TextFn = Callable[..., str]
Path_ = Literal["standard", "exceptional", "qualification", "skilled", "zjtx", "high_level"]
CeSelfReport = Literal["met", "short"] | None


class OpenPath(BaseModel):
    level: str
    path: str
    reasons: list[str]
    sources: list[str]
    #: a possibility with conditions (破格), not a verdict
    conditional: bool = False
    #: open only by an estimate no source confirms (the office has the last word)
    estimate: bool = False


class BlockedPath(BaseModel):
    level: str
    path: str
    missing: list[str]


class Exclusion(BaseModel):
    id: str
    #: excluded by a rule, or not covered by the notices at all
    kind: Literal["excluded", "not_covered"] = "excluded"
    reason: str
    advice: str
    sources: list[str]


class CycleInfo(BaseModel):
    year: int | None = None
    phase: Literal["open", "closed", "unknown"] = "unknown"
    lines: list[str] = Field(default_factory=list)


class Verdict(BaseModel):
    eligible: bool
    excluded: Exclusion | None = None
    levels: list[OpenPath] = Field(default_factory=list)
    blocked: list[BlockedPath] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    pointers: list[str] = Field(default_factory=list)
    fee: dict[str, int] = Field(default_factory=dict)
    assessment: dict[str, str] = Field(default_factory=dict)
    committees: dict[str, str] = Field(default_factory=dict)
    materials: list[str] = Field(default_factory=list)
    cycle: CycleInfo = Field(default_factory=CycleInfo)

    def best_level(self) -> str | None:
        """The highest definitely open level (for the headline)."""
        firm = [p.level for p in self.levels if not p.conditional]
        return max(firm, key=LEVELS.index) if firm else None


def _years(value: float) -> str:
    return f"{value:g}"


def _gap(need: float, have: float) -> float:
    """Years still missing: whole years once a year or more is missing, else the fraction."""
    return round(math.ceil(need - have) if need - have >= 1 else need - have, 2)


class _Evaluation:
    """One evaluation; split into small methods per path, all reading the same inputs."""

    def __init__(self, profile: Profile, book: Rulebook, cycle: CycleView | None, today: date, t: TextFn,
                 ce_self_report: CeSelfReport, lang: str | None) -> None:
        self.p = profile
        self.lang = lang
        self.book = book
        self.cycle = cycle
        self.today = today
        self.t = t
        self.ce_self_report = ce_self_report
        self.verdict = Verdict(eligible=False)
        self.rank = TITLE_RANK[profile.current_title]
        self.waived = profile.origin in book.title_waiver.origins
        self.used_attachment1 = False
        self.used_ladder = False
        self.ce_notes: list[str] = []
        documents, sections = book.documents_in(is_english(lang))
        self.citer = Citer(documents, t, sections, arabic=is_english(lang))
        self.ce_short = False

    # ---- names -------------------------------------------------------------------------------
    def say(self, item: object, field: str) -> Any:
        """A user-facing field of the rules in the reader's language (``field_en`` for English)."""
        return pick(item, field, self.lang)

    def day(self, value: date) -> str:
        """A date of the cycle: ISO for Chinese (as the verdict has always shown it), 30 August 2024 in English."""
        return local_date(value, "en") if is_english(self.lang) else value.isoformat()

    def joined(self, items: list[str], kind: str = "clauses") -> str:
        return self.t(f"eligibility.separator.{kind}").join(items)

    def level_name(self, level: str) -> str:
        return self.t(f"eligibility.names.title.{level}")

    def cite(self, *sources: Source | tuple[Source, str] | None) -> list[str]:
        """Source lines from the document data; a (source, confidence) pair lowers the confidence
        shown to the row's own."""
        refs = []
        for item in sources:
            if item is not None:
                source, confidence = item if isinstance(item, tuple) else (item, None)
                refs.append((source.document, source.section, confidence))
        return self.citer.items(refs)

    # ---- the whole evaluation ----------------------------------------------------------------
    def run(self) -> Verdict:
        for exclusion in self.book.exclusions:
            if all(self._matches(getattr(self.p, f), want) for f, want in exclusion.when.items()):
                self.verdict.excluded = Exclusion(
                    id=exclusion.id, reason=self.say(exclusion, "reason"), advice=self.say(exclusion, "advice"),
                    sources=self.cite((exclusion.source, exclusion.confidence))
                )
                return self.verdict
        uncovered = self.book.not_covered
        if self.p.origin in uncovered.origins:
            self.verdict.excluded = Exclusion(id="not_covered", kind="not_covered", reason=self.say(uncovered, "reason"),
                                              advice=self.t("eligibility.not_covered_advice"),
                                              sources=self.cite((uncovered.source, uncovered.confidence)))
            return self.verdict
        if self.rank >= TITLE_RANK[self.book.top_title]:
            self.verdict.warnings.append(self.t("eligibility.warn.top"))
            self._cycle()
            return self.verdict
        self._continuing_education()
        self._standard()
        self._qualification()
        self._skilled()
        self._zjtx()
        self._exceptional()  # last: offered only where no firm path opens the level
        self._pointers()
        self._dedupe_blocked()
        self._notes()
        self.verdict.eligible = any(not p.conditional for p in self.verdict.levels)
        self._per_level_facts()
        self._materials()
        self._cycle()
        return self.verdict

    @staticmethod
    def _matches(value: Any, want: Any) -> bool:
        return value in want if isinstance(want, list) else value == want

    # ---- continuing education ----------------------------------------------------------------
    def _continuing_education(self) -> None:
        """Notes on the hours: a shortfall is a warning, never a block (no source says what a
        shortfall does to an application), unknown years a reminder to check."""
        ce = self.book.continuing_education
        share = ce.professional_share
        if self.ce_self_report == "short":
            self.ce_short = True
            self.ce_notes.append(self.t("eligibility.warn.ce_self", min=ce.min_hours_per_year))
            return
        if self.ce_self_report == "met":
            return
        window = ce.window_years
        if self.p.current_title != "none" and self.p.years_in_title < window:
            window = max(1, math.ceil(self.p.years_in_title))
        # the years before the review the verdict speaks of (the cycle on file), not before today:
        # read in 2026, the 2024 review still counts 2019–2023
        year = self.cycle.cycle.year if self.cycle is not None else self.today.year
        years = list(range(year - window, year))
        recorded = {row.year: row for row in self.p.ce_hours}
        for year in years:
            row = recorded.get(year)
            if row is None:
                continue
            if row.total < ce.min_hours_per_year or row.professional * share.denominator < row.total * share.numerator:
                self.ce_short = True
                self.ce_notes.append(self.t("eligibility.warn.ce_year", year=year, total=_years(row.total),
                                            professional=_years(row.professional), min=ce.min_hours_per_year))
        unknown = [y for y in years if y not in recorded]
        if unknown:
            self.ce_notes.append(self.t("eligibility.warn.ce_unknown", years=self.joined([str(y) for y in unknown], "list"),
                                        min=ce.min_hours_per_year))

    # ---- standard path and the rows it shares with the qualification path --------------------
    def _row_gap(self, row: StandardRow, held: str, years_held: float) -> list[str]:
        """What this row still needs; [] when met."""
        level = self.level_name(row.level)
        if row.requires_title != "none" and held != row.requires_title:
            if TITLE_RANK[held] < TITLE_RANK[row.requires_title]:
                return [self.t("eligibility.gap.need_title", title=self.level_name(row.requires_title),
                               years=_years(row.min_years), level=level)]
        if row.years_of == "none":
            return []
        have = self.p.years_of_work if row.years_of == "work" else years_held
        if have >= row.min_years:
            return []
        return [self.t("eligibility.gap.years", years=_years(_gap(row.min_years, have)), level=level)]

    def _rows(self, level: str) -> list[StandardRow]:
        return [r for r in self.book.standard if r.level == level and self.p.education in r.education]

    def _evaluate_rows(self, level: str, held: str, years_held: float) -> tuple[StandardRow | None, list[str]]:
        """(row that is met, []) or (None, nearest gap) for one level."""
        rows = self._rows(level)
        if not rows:
            return None, [self.t("eligibility.gap.education", education=self.t(f"eligibility.names.education.{self.p.education}"),
                                 level=self.level_name(level))]
        gaps: list[list[str]] = []
        for row in rows:
            gap = self._row_gap(row, held, years_held)
            if not gap:
                return row, []
            gaps.append(gap)
        return None, min(gaps, key=len)

    def ladder(self, level: str) -> tuple[float, StandardRow] | None:
        """Years of work the baseline's whole ladder up to ``level`` takes for this education (each
        lower step's years added up), with the top row; None when the education has no row."""
        best: tuple[float, StandardRow] | None = None
        for row in self._rows(level):
            years = row.min_years
            if row.requires_title in LEVELS:
                below = self.ladder(row.requires_title)
                if below is None:
                    continue
                years += below[0]
            if best is None or years < best[0]:
                best = (years, row)
        return best

    def _waived_level(self, level: str, gap: list[str]) -> tuple[OpenPath | None, list[str]]:
        """The previous-title requirement waived: open by the ladder estimate, or its years gap."""
        estimate = self.ladder(level)
        if estimate is None:
            return None, gap
        need, row = estimate
        name = self.level_name(level)
        if self.p.years_of_work < need:
            return None, [self.t("eligibility.gap.ladder_years", years=_years(_gap(need, self.p.years_of_work)),
                                 level=name, need=_years(need))]
        reasons = [self.t("eligibility.reason.ladder", level=name, need=_years(need), have=_years(self.p.years_of_work)),
                   self.say(self.book.title_waiver, "reason")]
        return OpenPath(level=level, path="standard", reasons=reasons, estimate=True,
                        sources=self.cite(self.book.title_waiver.source, (row.source, row.confidence))), []

    def _standard(self) -> None:
        """Levels the title and education open. A qualification that counts as a higher title than
        the one held (职业资格视同) sets the floor: nobody counted as 工程师 is offered 助理工程师, and
        the qualification path, not this one, says what the next level still needs."""
        floor = self._held_rank()
        by_qualification = floor > self.rank
        above = [lv for lv in LEVELS if TITLE_RANK[lv] > floor]
        for index, level in enumerate(above):
            row, gap = self._evaluate_rows(level, self.p.current_title, self.p.years_in_title)
            if row is not None:
                self.used_attachment1 |= row.per_attachment1
                self.verdict.levels.append(OpenPath(level=level, path="standard", reasons=[self.say(row, "reason")],
                                                    sources=self.cite((row.source, row.confidence))))
                continue
            if self.waived:
                opened, gap = self._waived_level(level, gap)
                if opened is not None:
                    self.used_attachment1 = self.used_ladder = True
                    self.verdict.levels.append(opened)
                    continue
            if index == 0 and not by_qualification:
                self.used_ladder |= self.waived and self.ladder(level) is not None
                self.used_attachment1 = True
                self.verdict.blocked.append(BlockedPath(level=level, path="standard", missing=gap))

    def _qualification(self) -> None:
        q = self.p.qualification_level
        if q == "none":
            return
        if TITLE_RANK[q] <= self.rank:
            self.verdict.warnings.append(self.t("eligibility.warn.qualification_not_higher", title=self.level_name(q)))
            return
        held_note = self.t("eligibility.reason.qualification_held", title=self.level_name(q))
        nxt = [lv for lv in LEVELS if TITLE_RANK[lv] == TITLE_RANK[q] + 1]
        if not nxt:
            self.verdict.warnings.append(held_note)
            return
        level = nxt[0]
        row, gap = self._evaluate_rows(level, q, self.p.years_in_qualification)
        if row is None:
            self.verdict.blocked.append(BlockedPath(level=level, path="qualification", missing=[held_note, *gap]))
            return
        self.used_attachment1 |= row.per_attachment1
        reasons = [self.say(self.book.qualification, "reason"), held_note, self.say(row, "reason")]
        self.verdict.levels.append(OpenPath(level=level, path="qualification", reasons=reasons,
                                            sources=self.cite(self.book.qualification.source, (row.source, row.confidence))))

    def _held_rank(self) -> int:
        q = self.p.qualification_level
        return max(self.rank, TITLE_RANK[q] if q != "none" else 0)

    def _exceptional(self) -> None:
        for row in self.book.exceptional:
            if self._held_rank() != TITLE_RANK[row.requires_title]:
                continue
            if any(p.level == row.level and not p.conditional for p in self.verdict.levels):
                continue
            self.used_attachment1 |= row.per_attachment1
            reasons = [self.t("eligibility.reason.exceptional", level=self.level_name(row.level),
                              conditions=self.joined([self.say(c, "text") for c in row.conditions]))]
            sources = self.cite(*((c.source, c.confidence) for c in row.conditions))
            self.verdict.levels.append(OpenPath(level=row.level, path="exceptional", reasons=reasons,
                                                sources=sources, conditional=True))

    # ---- high-skill ladder -------------------------------------------------------------------
    def _skilled(self) -> None:
        if self.p.skill_level == "none":
            return
        skilled = self.book.skilled
        row = next((r for r in skilled.rows if r.skill_level == self.p.skill_level), None)
        if row is None:
            return
        level_name = self.level_name(row.level)
        if TITLE_RANK[row.level] <= self.rank:
            self.verdict.warnings.append(self.t("eligibility.warn.skill_not_higher", level=level_name))
            return
        missing: list[str] = []
        if self.p.years_in_skill < row.min_years:
            gap = math.ceil(row.min_years - self.p.years_in_skill)
            missing.append(self.t("eligibility.gap.skill_years", skill=self.t(f"eligibility.names.skill.{row.skill_level}"),
                                  years=_years(gap), level=level_name))
        missing.extend(self.t(key) for field, key in skilled.conditions.items() if not getattr(self.p, field))
        if missing:
            self.verdict.blocked.append(BlockedPath(level=row.level, path="skilled", missing=missing))
            return
        requirements = self.joined(self.say(skilled, "requirements"))
        reasons = [self.say(row, "reason"), self.t("eligibility.reason.skilled_requirements", requirements=requirements)]
        self.verdict.levels.append(OpenPath(level=row.level, path="skilled", reasons=reasons,
                                            sources=self.cite((row.source, row.confidence), row.also, skilled.requirements_source)))

    # ---- 专精特新 -----------------------------------------------------------------------------
    def _zjtx(self) -> None:
        kind = self.p.zjtx_enterprise
        if kind == "none":
            return
        zjtx = self.book.zjtx
        enterprise = zjtx.enterprises[kind]
        levels = [lv for lv in enterprise.levels if TITLE_RANK[lv] > self.rank]
        if not levels:
            self.verdict.warnings.append(self.t("eligibility.warn.zjtx_not_higher"))
            return
        quota = self._zjtx_quota(kind, enterprise)
        # outside Qingdao the quota and levels read are Qingdao's, not the enterprise's own
        estimate = not enterprise.quota_known or self.p.works_in_qingdao is False
        for level in levels:
            if not self.p.zjtx_recommended:
                self.verdict.blocked.append(BlockedPath(level=level, path="zjtx",
                                                        missing=[self.t("eligibility.gap.zjtx_recommendation", form=self.say(zjtx, "form"))]))
                continue
            self.verdict.levels.append(OpenPath(level=level, path="zjtx", reasons=[self.say(zjtx, "reason"), quota],
                                                sources=self.cite((enterprise.source, enterprise.confidence), zjtx.also),
                                                estimate=estimate))

    def _zjtx_quota(self, kind: str, enterprise: ZjtxEnterprise) -> str:
        """The quota line: Qingdao's figures, said to be Qingdao's, and for work elsewhere in Shandong
        that the provincial document they come from is not published."""
        if not enterprise.quota_known:
            return self.t(f"eligibility.reason.zjtx_quota_{kind}")
        figures = self.t(f"eligibility.reason.zjtx_quota_{kind}", max=enterprise.max_per_year,
                         max_senior=enterprise.max_senior_per_year)
        place = {True: "in_qingdao", False: "outside_qingdao"}.get(self.p.works_in_qingdao, "place_unknown")
        return self.t(f"eligibility.reason.zjtx_quota_{place}", quota=figures)

    def _pointers(self) -> None:
        pointers = [self.book.high_level, self.book.special_groups]
        if self.p.skill_level != "none" and self.book.skilled.green_channel is not None:
            pointers.insert(0, self.book.skilled.green_channel)
        for pointer in pointers:
            self.verdict.pointers.append(
                self.t("eligibility.reason.pointer", reason=self.say(pointer, "reason"),
                       sources=self.citer.join(self.cite((pointer.source, pointer.confidence), pointer.also)))
            )
        if self.p.skill_level != "none" and self.p.qualification_level == "none":
            # the check keeps a skilled worker's questions few and does not ask about qualifications,
            # so the path they might open is named rather than silently left out
            self.verdict.pointers.append(
                self.t("eligibility.reason.pointer", reason=self.t("eligibility.reason.qualification_not_asked"),
                       sources=self.citer.join(self.cite(self.book.qualification.source)))
            )

    # ---- what follows from the open levels --------------------------------------------------
    def recommended_only(self) -> bool:
        """Every open path is a 举荐 one: no years, title or hours apply to them."""
        exempt = set(self.book.continuing_education.exempt_paths)
        return bool(self.verdict.levels) and all(p.path in exempt for p in self.verdict.levels)

    def _notes(self) -> None:
        """Warnings that depend on what opened: the 附件1 note, the waiver estimate, the hours."""
        v = self.verdict
        if self.recommended_only():
            v.blocked = []  # years and hours do not bind a 举荐 applicant; the nearest gaps are noise here
            return
        if self.waived:
            v.warnings.append(self.say(self.book.title_waiver, "reason"))
            if self.used_ladder:
                v.warnings.append(self.say(self.book.title_waiver, "years_note") + self.t("eligibility.warn.ladder_estimate"))
        if self.used_attachment1:
            v.warnings.insert(0, self.t("eligibility.warn.attachment1"))
        if v.levels or v.blocked:
            v.warnings.extend(self.ce_notes)
            if self.ce_short:
                v.warnings.append(self.t("eligibility.warn.ce_effect", window=self.book.continuing_education.window_years))

    def _dedupe_blocked(self) -> None:
        """No "blocked" line for a level at or below one that some firm path opens: a 技师 who may
        apply for 工程师 gains nothing from hearing what 助理工程师, or the standard route to 工程师,
        would still need."""
        open_pairs = {(p.level, p.path) for p in self.verdict.levels}
        highest = max((TITLE_RANK[p.level] for p in self.verdict.levels if not p.conditional), default=0)
        self.verdict.blocked = [b for b in self.verdict.blocked
                                if (b.level, b.path) not in open_pairs and TITLE_RANK[b.level] > highest]

    def _per_level_facts(self) -> None:
        if self.cycle is None:
            return
        cycle = self.cycle.cycle
        for level in sorted({p.level for p in self.verdict.levels}, key=LEVELS.index):
            if level in cycle.fees.yuan:
                self.verdict.fee[level] = cycle.fees.yuan[level]
            assessment = self.say(cycle.assessment, "by_level")
            if level in assessment:
                self.verdict.assessment[level] = assessment[level]
            committees = self.say(cycle.committees, "by_level")
            if level in committees:
                self.verdict.committees[level] = committees[level]

    def _materials(self) -> None:
        if not self.verdict.levels:
            return
        materials = self.book.materials
        paths = {p.path for p in self.verdict.levels}
        chosen = [m for m in materials.common if not (m.not_when_only and paths <= set(m.not_when_only))]
        for path in dict.fromkeys(p.path for p in self.verdict.levels):
            chosen.extend(materials.by_path.get(path, []))
        self.verdict.materials = [self._material(m) for m in chosen]

    def _material(self, material: Material) -> str:
        """A material's text, with its source when that is not a notice's own text."""
        text = self.say(material, "text")
        if self.citer.plain(material.source.document):
            return text
        return self.t("eligibility.material_sourced", text=text,
                      source=self.citer.item(material.source.document, material.source.section))

    def _cycle(self) -> None:
        info = self.verdict.cycle
        if self.cycle is None:
            info.lines.append(self.t("eligibility.cycle.unknown"))
            return
        cycle = self.cycle.cycle
        info.year = cycle.year
        info.phase = self.cycle.phase
        if self.cycle.is_open:
            info.lines.append(self.t("eligibility.cycle.online_deadline", year=cycle.year,
                                     date=self.day(cycle.online_deadline.date),
                                     days=(cycle.online_deadline.date - self.today).days))
            info.lines.append(self.t("eligibility.cycle.paper_form", days=cycle.paper_form.days_after_acceptance,
                                     copies=cycle.paper_form.copies))
            info.lines.append(self.t("eligibility.cycle.assessment_date", value=self.say(cycle.professional_assessment_date, "value")))
        else:
            info.lines.append(self.t("eligibility.cycle.closed", year=cycle.year,
                                     date=self.day(cycle.online_deadline.date)))


def evaluate(profile: Profile, book: Rulebook, cycle: CycleView | None, today: date, t: TextFn,
             ce_self_report: CeSelfReport = None, lang: str | None = None) -> Verdict:
    """The verdict for one profile. Pure: same inputs, same verdict; no clock, no I/O.

    ``ce_self_report`` lets the dialog pass "all years met" / "some year short" when the applicant
    did not enter per-year hours. ``lang`` is the reader's language: ``t`` must speak it too, and
    the rules' own sentences are taken from their ``_en`` fields for English.
    """
    return _Evaluation(profile, book, cycle, today, t, ce_self_report, lang).run()
