"""Pydantic models of the knowledge files. ``extra="forbid"`` everywhere: a misspelt key in content
edited by hand must be an error, not silently ignored."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot.content.office import SourceRef
from bot.reference.documents import Document, DocumentsFile  # noqa: F401  (shared with the rules and /sources)

Topic = Literal[
    "scope",
    "policies",
    "eligibility",
    "procedure",
    "unit",
    "departments",
    "committee",
    "paper_and_fee",
    "assessment",
    "results",
    "rules",
    "deadlines",
    "contacts",
    "zjtx",
    "continuing_education",
    "platform",
    "unknown",
]
TOPICS: tuple[str, ...] = get_args(Topic)

#: kebab-case, short enough that 👎's data, ``kb:dn:<id>:<vote token>:<question reference>``
#: (``bot.knowledge.feedback``, ``bot.knowledge.learning``), fits Telegram's 64-byte callback data
ENTRY_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ENTRY_ID_MAX = 40
_ENTRY_ID = re.compile(ENTRY_ID_PATTERN)
#: snake_case, the ids ``rules/`` uses for title levels (assistant, intermediate, deputy_senior…)
LEVEL_ID_PATTERN = r"^[a-z]+(?:_[a-z]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def distinct_phrasings(value: list[str], fold: Callable[[str], str]) -> list[str]:
    """``value`` unchanged when no phrasing is blank and no two are the same once folded by ``fold``
    (Chinese compares stripped, English also ignores case); else a ValueError saying which."""
    folded = [fold(v) for v in value]
    if any(not v for v in folded):
        raise ValueError("an alternative phrasing is empty")
    if len(set(folded)) != len(folded):
        raise ValueError("alternative phrasings repeat")
    return value


class Entry(_Strict):
    """One question with its answer and sources."""

    id: str = Field(pattern=ENTRY_ID_PATTERN, max_length=ENTRY_ID_MAX)
    topic: Topic
    question: str = Field(min_length=2)
    alternatives: list[str] = Field(min_length=4)
    answer: str = Field(min_length=2)
    sources: list[SourceRef] = Field(min_length=1)
    cycle: str = Field(pattern=r"^(all|\d{4})$")
    related: list[str] = Field(default_factory=list)
    #: the title levels (ids of ``knowledge/levels.yaml``) this entry is about, when it is about one
    #: level or a few; empty for entries that hold for every level (fees, levels, procedure…). The
    #: matcher uses it when a question names a level (see ``bot.knowledge.levels``).
    levels: list[str] = Field(default_factory=list)
    #: the entry is about the title levels themselves (their names, their order, which ones this
    #: review grants): it explains every level a question names, as a matching entry would, but its
    #: rank is not moved for it. Otherwise 什么是工程师职称 reads as explained best by the entry
    #: for the 工程师 level, whose declaration explains the mention.
    about_levels: bool = False
    #: the entry is about professional qualifications (职业资格) as titles: it explains the
    #: qualification a question names beside a title (一级消防工程师是中级职称吗), which no other
    #: entry does, whatever wording it shares with the qualification's name.
    about_qualifications: bool = False
    #: the subject the entry is about, when a question must name it to be asking it (a key of
    #: ``subjects`` in synonyms.yaml: ``skills`` for skilled workers' grades, schools and path to
    #: titles, ``zjtx`` for the rules of 专精特新 firms, ``digital`` for the 数字技术工程师
    #: certificates): a question naming none of the subject's words is rarely asking the entry,
    #: however much of its wording (相当于什么级别, 哪个部门负责) the entry shares, and it ranks lower
    #: (``subject_rank`` in matcher.yaml)
    subject: str | None = Field(default=None, min_length=1, max_length=40)
    #: what the entry answers (ids of ``knowledge/asks.yaml``: fee, date, place…); empty: those its
    #: standard question shows. The matcher prefers entries that answer what a question asks.
    asks: list[str] = Field(default_factory=list)
    #: ids of entries this one took over when they were merged into it: stored data that names
    #: them (feedback, phrasing candidates, buttons in old messages, question sets) leads here
    replaces: list[str] = Field(default_factory=list)
    #: the answer gives fees per person; when the question counts applicants per level (我们单位3个人
    #: 报中级), the total they pay is added from the review cycle's fees (see bot/knowledge/headcounts.py)
    adds_fee_total: bool = False
    #: main-menu actions of this assistant that do what the answer describes (status: look an
    #: application up by its number; reminders), offered as buttons under it
    offers: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _skills_flag_is_a_subject(cls, data: object) -> object:
        """``about_skills: true`` is how entries said ``subject: skills`` before subjects were
        general; earlier commits' content still says so (``kb eval --as-of`` reads it)."""
        if isinstance(data, dict) and "about_skills" in data:
            data = dict(data)
            if data.pop("about_skills"):
                data.setdefault("subject", "skills")
        return data

    @field_validator("replaces")
    @classmethod
    def _replaced_ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if len(v) > ENTRY_ID_MAX or not _ENTRY_ID.fullmatch(v)]
        if bad:
            raise ValueError(f"replaces: {bad[0]!r} is not an entry id")
        return value

    @field_validator("levels", "asks", "replaces")
    @classmethod
    def _no_repeats(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{info.field_name} repeat")
        return value

    @model_validator(mode="after")
    def _levels_or_about_levels(self) -> Entry:
        # an entry that declares levels is scored by them, so about_levels would silently do nothing
        if self.about_levels and self.levels:
            raise ValueError("about_levels: an entry about every level declares no levels")
        return self

    @field_validator("alternatives")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return distinct_phrasings(value, lambda v: v.strip())

    @property
    def questions(self) -> list[str]:
        """The standard question first, then the alternatives."""
        return [self.question, *self.alternatives]


class EntriesFile(_Strict):
    entries: list[Entry] = Field(default_factory=list)


class SectionsFile(_Strict):
    """Every section of the seed notices; the coverage test requires each to be cited."""

    documents: dict[str, list[str]]


class SynonymGroup(_Strict):
    canonical: str = Field(min_length=1)
    variants: list[str] = Field(min_length=1)


class SynonymsFile(_Strict):
    """Applied to entries and queries alike, in one longest-match pass."""

    synonyms: list[SynonymGroup] = Field(default_factory=list)
    #: politeness and filler words removed before matching (请问, 谢谢, 麻烦…)
    fillers: list[str] = Field(default_factory=list)
    #: characters and words that carry little meaning; they get a small weight in confidence
    stopwords: list[str] = Field(default_factory=list)
    #: multi-character domain terms, indexed as whole tokens beside the character n-grams
    domain_words: list[str] = Field(default_factory=list)
    #: words that mark a question about another title series, exam or matter (会计, 一建, 社保…): a
    #: question containing one is never answered directly by an entry that does not mention it
    foreign_words: list[str] = Field(default_factory=list)
    #: a person's circumstances (产假, 辞退, 社保…): foreign words too, but asked beside whether one
    #: may apply (休产假期间能申报吗) the question is about this review, on a case the notices do
    #: not rule on, not about another one (see ``Matcher.about_a_situation``)
    situation_words: list[str] = Field(default_factory=list)
    #: besides domain and title words, words that make a question one about this review, so that a
    #: circumstance beside them (员工离职了，系统里报的材料还有效吗) is no other review's matter
    review_words: list[str] = Field(default_factory=list)
    #: other provinces and cities: foreign words, except in a question that also names one of
    #: ``home_words`` (在江苏工作能来青岛报吗 asks whether one may apply here from elsewhere)
    place_words: list[str] = Field(default_factory=list)
    home_words: list[str] = Field(default_factory=list)
    #: what a place word beside a home word stands for (外省): the entries on applying from
    #: elsewhere are written with it, and 河南郑州 would otherwise be words nothing explains
    elsewhere_word: str | None = None
    #: professional qualifications of other fields (二建, 监理, 软考…): foreign words, except in a
    #: question that also names a title level or a title word (二建能不能转成中级职称 asks how a qualification
    #: maps to a title, which the qualification entries answer; 二建报名条件 asks about the exam)
    qualification_words: list[str] = Field(default_factory=list)
    #: words that, like a title level, make a qualification word part of the question (职称)
    title_words: list[str] = Field(default_factory=list)
    #: words that keep a qualification word foreign even beside a title (软考中级什么时候考试 asks
    #: about the exam, not about a title)
    exam_words: list[str] = Field(default_factory=list)
    #: foreign words that are no longer foreign beside a title level of this series: 高级工程师怎么考
    #: asks how one gets the title (this review has no exam), 二建怎么考 another field's exam
    level_excused_words: list[str] = Field(default_factory=list)
    #: subject → the words that name it (skills: 技师, 高级工, 技能…; zjtx: 专精特新, 举荐…): a
    #: question naming none of a subject's words ranks the entries about it lower (``subject`` of
    #: an entry, ``subject_rank`` in matcher.yaml)
    subjects: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _skill_words_are_a_subject(cls, data: object) -> object:
        """``skill_words`` is how the skills subject was written before subjects were general;
        earlier commits' content still says so (``kb eval --as-of`` reads it)."""
        if isinstance(data, dict) and "skill_words" in data:
            data = dict(data)
            words = data.pop("skill_words") or []
            data["subjects"] = {**(data.get("subjects") or {}), "skills": words}
        return data

    @field_validator("subjects")
    @classmethod
    def _subjects_have_words(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [name for name, words in value.items() if not [w for w in words if w.strip()]]
        if empty:
            raise ValueError(f"subject {empty[0]!r} has no words")
        return value

    @model_validator(mode="after")
    def _excused_words_are_foreign(self) -> SynonymsFile:
        """A level can only excuse a word that is foreign in the first place."""
        stray = [word for word in self.level_excused_words if word not in self.foreign_words]
        if stray:
            raise ValueError(f"level_excused_words not among foreign_words: {', '.join(stray)}")
        return self


class TitleLevel(_Strict):
    """One title level and the words applicants use for it (normalised like every question)."""

    id: str = Field(pattern=LEVEL_ID_PATTERN)
    label: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)


class HeldLevelWords(_Strict):
    """Words around a level mention that mark the level as the one the asker starts from, not the
    one asked about: 取得中级后多久能报高级 asks about 高级 (see ``bot.knowledge.levels``)."""

    #: right before the mention: 取得中级, 有中级
    before: list[str] = Field(default_factory=list)
    #: right after it: 中级后, 中级满5年
    after: list[str] = Field(default_factory=list)
    #: between it and the next level mention: 中级升副高, 助工到中级
    steps: list[str] = Field(default_factory=list)

    @field_validator("before", "after", "steps")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        if any(not word.strip() for word in value):
            raise ValueError("a held-level word is blank")
        return value


class LevelsFile(_Strict):
    """The level vocabulary: what a question means when it names 中级, 高工, 正高…"""

    levels: list[TitleLevel] = Field(default_factory=list)
    #: words that contain a level term but name no title level (高级工 and 高级技师 are skill grades)
    not_levels: list[str] = Field(default_factory=list)
    held: HeldLevelWords = Field(default_factory=HeldLevelWords)


class AskType(_Strict):
    """One kind of ask (a fee, a date, a place…) and the interrogative words that show it."""

    id: str = Field(pattern=LEVEL_ID_PATTERN)
    label: str = Field(min_length=1)
    cues: list[str] = Field(min_length=1)
    #: longer words that contain a cue and do not ask this (是什么时候 contains 是什么)
    not_cues: list[str] = Field(default_factory=list)
    #: an entry that answers only asks of this kind answers nothing else: a comparison (破格和直通车
    #:有什么区别) is no answer to a bare 破格, though it explains every word of it
    exclusive: bool = False


class AsksFile(_Strict):
    """The ask types of ``knowledge/asks.yaml`` (see ``bot.knowledge.asks``)."""

    asks: list[AskType] = Field(default_factory=list)
    #: words and marks that make a clause of a long question ask something (see
    #: ``bot.knowledge.focus``); none turns the asking part off
    question_marks: list[str] = Field(default_factory=list)


class Thresholds(_Strict):
    """Calibrated on the dev set (``python -m bot kb calibrate``)."""

    #: answer directly when confidence ≥ answer and the lead over the runner-up ≥ margin
    answer: float = Field(ge=0, le=1)
    margin: float = Field(ge=0, le=1)
    #: offer the top 3 as "您是不是想问" when confidence ≥ suggest
    suggest: float = Field(ge=0, le=1)
    #: a near-verbatim question (rapidfuzz ratio, 0-100) is answered without further checks
    exact_ratio: float = Field(ge=50, le=100)
    #: fewer meaningful characters than this (公示, 截止) is too vague for a direct answer
    min_content_chars: int = Field(default=3, ge=0, le=20)
    #: a clearly best entry is answered under a header naming its question (and its runner-ups as
    #: buttons) when confidence ≥ guided and its lead in the normalised rank score (1 − runner-up's
    #: score / best score) ≥ lead; 1.0 switches this tier off
    guided: float = Field(default=1.0, ge=0, le=1)
    lead: float = Field(default=1.0, ge=0, le=1)
    #: … or when the runner-up explains at least this share of the question that the best entry
    #: does not (a second topic, offered as a button); 1.0 switches this off
    second_topic: float = Field(default=1.0, ge=0, le=1)
    #: a fallback still offers the first entries as related topics (buttons under "not found, ask
    #: the office") when the best one's confidence ≥ related and the question names no other
    #: subject: an unseen question is often one tap from its answer; 1.0 switches this off
    related: float = Field(default=1.0, ge=0, le=1)


class Weights(_Strict):
    """How the confidence score mixes its signals, and how entry documents are built."""

    question_repeat: int = Field(ge=1, le=10)
    coverage: float = Field(ge=0)
    fuzzy: float = Field(ge=0)
    #: weight of the mean per-phrasing coverage (see bot/knowledge/matcher.py); 0 leaves it out
    support: float = Field(default=0.0, ge=0)
    bm25: float = Field(ge=0)
    answer_coverage: float = Field(ge=0, le=1)
    stopword: float = Field(ge=0, le=1)
    unknown_idf: float = Field(ge=0)
    #: added to the rank of an entry written for the level the question names, subtracted from one
    #: written for another level (its confidence, the share of the question it explains, stays)
    level_rank: float = Field(default=0.0, ge=0, le=1)
    #: how much of a level mention an entry that declares no level (it holds for every level)
    #: explains at least (see bot/knowledge/levels.py)
    level_for_all: float = Field(default=0.0, ge=0, le=1)
    #: weight of an unknown bigram that is no word (the seam of two words) relative to an unknown word
    junction: float = Field(default=1.0, ge=0, le=1)
    #: added to the rank of an entry that answers what the question asks (fee, date, place…),
    #: subtracted from one that answers something else (see bot/knowledge/asks.py)
    ask_rank: float = Field(default=0.0, ge=0, le=1)
    #: subtracted from the rank of an entry that only compares (an exclusive ask type) when the
    #: question asks no comparison
    exclusive_rank: float = Field(default=0.0, ge=0, le=1)
    #: subtracted from the rank of an entry not about qualifications when the question names one
    #: beside a title: the question is about that qualification, which such an entry cannot explain
    qualification_rank: float = Field(default=0.0, ge=0, le=1)
    #: per subject (``subjects`` in synonyms.yaml), subtracted from the rank of an entry about it
    #: when the question names none of its words (副高级职称相当于什么级别 asks about titles, not
    #: skill grades; 评职称是哪个部门负责 about titles in general, not the 专精特新 firms' rules)
    subject_rank: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    #: above this many content characters, unknown tokens weigh proportionally less (0: never)
    context_chars: int = Field(default=0, ge=0, le=100)
    rerank_depth: int = Field(ge=3, le=100)
    bm25_k1: float = Field(gt=0)
    bm25_b: float = Field(ge=0, le=1)


class MatcherConfig(_Strict):
    thresholds: Thresholds
    weights: Weights
    #: what the last calibration measured: figures over all its questions, ``files`` per file
    calibration: dict[str, float | int | str | dict[str, dict[str, float | int]]] = Field(default_factory=dict)
