"""Pydantic models of the English knowledge files under ``knowledge/en/``.

English content is kept apart from the Chinese entries: an English entry names a Chinese entry by
its id and supplies only what a reader sees (question, phrasings, answer). Topic, sources, cycle,
related entries and levels stay with the Chinese entry, so a fact is cited in one place. The English document labels are modelled with the
registry they translate (``bot.reference.documents``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.knowledge.schema import (
    ENTRY_ID_MAX,
    ENTRY_ID_PATTERN,
    HeldLevelWords,
    SynonymGroup,
    distinct_phrasings,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnglishEntry(_Strict):
    """The English version of the Chinese entry with the same id."""

    id: str = Field(pattern=ENTRY_ID_PATTERN, max_length=ENTRY_ID_MAX)
    question: str = Field(min_length=2)
    #: how foreign applicants type it: short, informal
    alternatives: list[str] = Field(min_length=3)
    answer: str = Field(min_length=2)

    @field_validator("alternatives")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return distinct_phrasings(value, lambda v: v.strip().lower())

    @property
    def questions(self) -> list[str]:
        return [self.question, *self.alternatives]


class EnglishEntriesFile(_Strict):
    entries: list[EnglishEntry] = Field(default_factory=list)


class EnglishSynonymGroup(SynonymGroup):
    """Words and phrases (English, pinyin or Chinese) read as ``canonical``. A canonical form of
    several words becomes one token, so "senior engineer" never matches a question about an
    "engineer"."""


class EnglishSynonymsFile(_Strict):
    synonyms: list[EnglishSynonymGroup] = Field(default_factory=list)
    #: words that carry little meaning; they weigh little in confidence and do not pick candidates
    stopwords: list[str] = Field(default_factory=list)
    #: words naming another title series, exam or matter (accountant, visa…): a question with one is
    #: never answered directly by an entry that does not mention it
    foreign_words: list[str] = Field(default_factory=list)
    #: a person's circumstances (maternity leave, dismissed…), as ``situation_words`` in the
    #: Chinese synonyms: foreign, but asked beside whether one may apply a case of this review
    situation_words: list[str] = Field(default_factory=list)
    #: words that make a question one about this review, so that a circumstance beside them is no
    #: other review's matter (as ``review_words`` in the Chinese synonyms)
    review_words: list[str] = Field(default_factory=list)
    #: words (in their normalised form) that ask whether one may apply: the English reading of the
    #: Chinese eligibility ask, which makes a circumstance beside them a question on this review
    apply_words: list[str] = Field(default_factory=list)
    #: title level id (knowledge/levels.yaml) → the canonical synonym naming it: a question naming a
    #: level is explained by the entries written for that level, not by others that mention it
    levels: dict[str, str] = Field(default_factory=dict)
    #: words that mark a level mention as the one the asker holds, not the one asked about ("after
    #: getting intermediate, how long until senior"): ``before`` within a few words before it,
    #: ``after`` right after it, ``steps`` between it and the next level named
    held: HeldLevelWords = Field(default_factory=HeldLevelWords)

