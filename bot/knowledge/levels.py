"""Which title levels a question names, and how well an entry fits them.

Several entries share almost all their wording and differ only in the level they are about
(申报助理工程师/工程师/高级工程师/正高级工程师需要什么条件). Text similarity alone cannot separate
them: the entry for 副高 mentions 中级 as its prerequisite, so 中级要什么学历 looks explained by it.
Entries therefore declare their levels (``levels:`` in ``knowledge/entries/*.yaml``) and the words
for each level live in ``knowledge/levels.yaml``.

A level term is found in the *normalised* question (after synonyms, so 助工, 初级 and 助理工程师
are one form) by one leftmost-longest pass; ``not_levels`` words (高级工, 高级技师…) are consumed
without naming a level. An entry then fits the question in one of three ways:

* ``neutral`` — the question names no level, or the entry declares none (it holds for every level);
* ``match`` — the entry declares at least one of the named levels;
* ``conflict`` — the entry declares levels, none of them named.

A question often names two levels, the one the asker starts from and the one asked about
(取得中级后多久能报高级, 中级升副高要几年). The first is no ask: when the words around a mention mark
it as held (``held`` in ``knowledge/levels.yaml``: 取得 before it, 后 or 满 after it, 升 or 到
between it and the next level) and another level is named without such a mark, only the unmarked
levels count as named. Otherwise the entry for the starting level, whose text says the most about
years and conditions, answers with the wrong level's rules.

The matcher turns this into coverage (``LevelQuery.explain``), so the confidence keeps its meaning,
the share of the question the entry explains: the query tokens that only a level mention produces
(中, 级, 中级 in 中级要什么学历) are explained by a matching entry, and neither they nor the bigrams
that straddle the mention (级需) are explained by a conflicting one, whatever its text says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bot.knowledge.normalize import Normalizer
from bot.knowledge.schema import LevelsFile

Fit = Literal["neutral", "match", "conflict"]

#: a number of years right after a level (中级5年了) marks it as held
_YEARS = re.compile(r"\d+(?:\.\d+)?年")
#: characters that may stand between a step word and the next level (升到副高, 到评高级)
_STEP_SLACK = 2


@dataclass(frozen=True)
class LevelMention:
    """A level term found in a normalised question: ``text[start:end]`` names ``level``."""

    level: str
    start: int
    end: int


def level_terms(levels: LevelsFile, normalizer: Normalizer) -> tuple[dict[str, str], set[str]]:
    """Normalised term → level id, and the normalised ``not_levels`` words. A term that normalises
    to the same form in two levels keeps the first (``python -m bot check`` reports it)."""
    owner: dict[str, str] = {}
    for level in levels.levels:
        for term in level.terms:
            key = normalizer.compact(normalizer.normalize(term))
            if key:
                owner.setdefault(key, level.id)
    # A term also counts as typed, when synonyms left it whole because a neighbouring canonical form
    # took part of it (评中级工程师: 评中级 is protected, so 中级工程师 is not mapped to 中级 and
    # would otherwise read as the skill grade 中级工 followed by 程师)
    for level in levels.levels:
        for term in level.terms:
            typed = normalizer.compact(normalizer.prepare(term))
            if typed:
                owner.setdefault(typed, level.id)
    blocked = {normalizer.compact(normalizer.normalize(w)) for w in levels.not_levels} - {""}
    return owner, blocked - set(owner)


class LevelDetector:
    """Built once per matcher from ``knowledge/levels.yaml``."""

    def __init__(self, levels: LevelsFile | None, normalizer: Normalizer) -> None:
        levels = levels or LevelsFile()
        self.normalizer = normalizer
        self.ids = tuple(level.id for level in levels.levels)
        self._owner, blocked = level_terms(levels, normalizer)
        held = levels.held
        self._held_before = self._forms(held.before, normalizer)
        self._held_after = self._forms(held.after, normalizer)
        self._held_steps = self._forms(held.steps, normalizer)
        keys = sorted(set(self._owner) | blocked, key=len, reverse=True)
        # longest alternatives first: at each position the regex takes the longest key (leftmost-
        # longest), so 正高级 is not read as 高级 and 高级工 (a skill grade) not as 高级
        self._pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None

    @staticmethod
    def _forms(words: list[str], normalizer: Normalizer) -> tuple[str, ...]:
        """The words as normalised questions hold them (报 becomes 申报, 能 becomes 可以), and as typed."""
        forms = {normalizer.compact(normalizer.normalize(w)) for w in words} | {normalizer.compact(w) for w in words}
        return tuple(sorted(forms - {""}, key=len, reverse=True))

    def analyse(self, normalized: str, tokens: list[str]) -> LevelQuery:
        """The levels ``normalized`` asks about and which of its (distinct) ``tokens`` belong to them."""
        found = self.find(normalized)
        if not found:
            return LevelQuery()
        mentions = self.asked(normalized, found)
        blanked = list(normalized)
        for m in found:
            blanked[m.start : m.end] = " " * (m.end - m.start)
        elsewhere = set(self.normalizer.tokens("".join(blanked)))
        index = {t: i for i, t in enumerate(tokens)}
        inside: dict[str, np.ndarray] = {}
        held = np.zeros(len(tokens), dtype=bool)
        in_mentions: set[str] = set()
        for m in found:
            mask = inside.setdefault(m.level, np.zeros(len(tokens), dtype=bool)) if m in mentions else held
            for token in self.normalizer.tokens(normalized[m.start : m.end]):
                in_mentions.add(token)
                if token not in elsewhere and token in index:
                    mask[index[token]] = True
        touching = np.array([t not in elsewhere and t not in in_mentions for t in tokens], dtype=bool)
        held &= ~np.any(list(inside.values()), axis=0)
        return LevelQuery(frozenset(inside), inside, touching, held if held.any() else None)

    def asked(self, normalized: str, mentions: list[LevelMention]) -> list[LevelMention]:
        """``mentions`` without those of a level the asker starts from (see the module docstring),
        when another level is named as the one asked about; all of them otherwise."""
        if len({m.level for m in mentions}) < 2:
            return mentions
        following = [*mentions[1:], None]
        held = [self._held(normalized, m, after) for m, after in zip(mentions, following, strict=True)]
        asked = {m.level for m, is_held in zip(mentions, held, strict=True) if not is_held}
        if not asked or asked == {m.level for m in mentions}:
            return mentions
        return [m for m in mentions if m.level in asked]

    def _held(self, normalized: str, mention: LevelMention, following: LevelMention | None) -> bool:
        """Whether the words around ``mention`` mark its level as held: a held word right before it
        or right after it, a number of years right after it, or a step word between it and the next
        mention of another level (中级升副高)."""
        before = normalized[: mention.start]
        after = normalized[mention.end :]
        if before.endswith(self._held_before) or after.startswith(self._held_after) or _YEARS.match(after):
            return True
        if following is None or following.level == mention.level:
            return False
        gap = normalized[mention.end : following.start]
        return any(gap.startswith(step) and len(gap) <= len(step) + _STEP_SLACK for step in self._held_steps)

    def find(self, normalized: str) -> list[LevelMention]:
        """Level mentions of a normalised question, left to right."""
        if self._pattern is None or not normalized:
            return []
        out = []
        for m in self._pattern.finditer(normalized):
            level = self._owner.get(m.group(0))
            if level is not None:
                out.append(LevelMention(level, m.start(), m.end()))
        return out


@dataclass(frozen=True)
class LevelQuery:
    """The levels a question names, as masks over its distinct tokens."""

    named: frozenset[str] = frozenset()
    #: per named level: tokens that only its mentions produce
    inside: dict[str, np.ndarray] = field(default_factory=dict)
    #: bigrams that straddle a mention and its neighbour (级需 in 中级需要)
    touching: np.ndarray | None = None
    #: tokens that only the mentions of a level the asker starts from produce (中级 in
    #: 取得中级后多久能报高级): text, except for an entry written for another level than the one asked
    held: np.ndarray | None = None

    def explain(self, share: np.ndarray, declared: list[str], how: Fit, for_all: float = 0.0) -> np.ndarray:
        """``share`` (how much of each query token the entry's text explains, 0..1) corrected for
        the entry's declared levels: a matching entry explains the mentions of its levels, a
        conflicting entry explains no part of any mention, and an entry that declares none — it
        holds for every level (the procedure, the platform) — explains at least ``for_all`` of
        them: 助工证申请流程 asks for the procedure, which is the same for the 助工."""
        if how == "neutral" and not declared and for_all > 0 and self.inside:
            share = share.copy()
            for mask in self.inside.values():
                share[mask] = np.maximum(share[mask], for_all)
        elif how == "match":
            share = share.copy()
            for level in declared:
                if level in self.inside:
                    share[self.inside[level]] = 1.0
        elif how == "conflict":
            share = share.copy()
            for mask in self.inside.values():
                share[mask] = 0.0
            if self.touching is not None:
                share[self.touching] = 0.0
            if self.held is not None:
                share[self.held] = 0.0
        return share


def fit(declared: list[str] | tuple[str, ...], named: set[str] | frozenset[str]) -> Fit:
    """How an entry that declares ``declared`` levels fits a question that names ``named``."""
    if not declared or not named:
        return "neutral"
    return "match" if named.intersection(declared) else "conflict"
