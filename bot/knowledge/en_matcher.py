"""The English matcher: the same outcomes as the Chinese one (sure answer, guided answer,
suggestions, fallback), decided by the same policy (``Matcher.decide``) on English scores with
thresholds calibrated on English questions (``knowledge/en/matcher.yaml``).

Ranking: BM25 (``bm25s``) over Snowball stems, one document per entry with its phrasings repeated
so they weigh more than the answer; synonyms (English, pinyin, Chinese terms) and typo correction
come from ``bot.knowledge.en_text``. Each candidate is then scored as the Chinese matcher does:

* coverage — the IDF-weighted share of the question's stems found in the entry (phrasings fully,
  answer partly; a stem the knowledge base never uses weighs as the rarest, less so in a long
  question, which wraps its ask in the asker's situation);
* support — the same share per phrasing, averaged: how central the question's words are;
* fuzzy — rapidfuzz's similarity of the normalised question to the closest phrasing.

Only ``__init__`` and ``score`` differ from ``Matcher``; ``decide`` and ``match`` (memory, never
raising) are inherited unchanged, so both languages follow one decision policy.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from rapidfuzz import fuzz

from bot.knowledge.en_text import EnglishNormalizer
from bot.knowledge.levels import Fit, LevelMention, fit
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.matcher import (
    _LEVEL_RANK,
    MATCH_MEMORY,
    MAX_QUERY_CHARS,
    Candidate,
    Matcher,
    Scored,
    bm25_index,
    lead_with_a_fitting_level,
    weighted_share,
)
from bot.knowledge.schema import MatcherConfig


@dataclass
class _PreparedEn:
    entry_id: str
    #: normalised phrasings (stems joined by spaces), for the exact path and fuzzy similarity
    phrasings: list[str]
    question_ids: frozenset[int]
    answer_ids: frozenset[int]
    #: token id → share of the entry's phrasings using it
    phrasing_share: dict[int, float]
    #: every word (not stem) of the normalised phrasings and answer, and all of them as one text:
    #: foreign words are checked against them
    words: frozenset[str]
    text: str
    #: the title levels the entry is written for (ids of knowledge/levels.yaml)
    levels: tuple[str, ...] = ()


def _mentions(prepared: _PreparedEn, word: str) -> bool:
    """Whether the entry uses a foreign word (one word, or a phrase such as "work permit")."""
    return word in prepared.words if " " not in word else f" {word} " in f" {prepared.text} "


class EnglishMatcher(Matcher):
    """Built once per process from the English view of the knowledge base (see
    ``bot.knowledge.en_runtime``); ``kb`` holds the entries with their English texts."""

    def __init__(
        self,
        kb: KnowledgeBase,
        normalizer: EnglishNormalizer,
        config: MatcherConfig,
        memory: int = MATCH_MEMORY,
    ) -> None:
        self.kb = kb
        self.config = config
        self.normalizer = normalizer
        self._memory: OrderedDict = OrderedDict()
        self._memory_size = memory
        self._index = {entry.id: i for i, entry in enumerate(kb.entries)}
        self._ids: dict[str, int] = {}
        self._exact: dict[str, int] = {}
        self._en: list[_PreparedEn] = []
        w = config.weights
        df: list[int] = []
        corpus: list[list[str]] = []
        for index, entry in enumerate(kb.entries):
            per_phrasing = [normalizer.tokens(normalizer.normalize(q, typos=False)) for q in entry.questions]
            phrasings = [" ".join(tokens) for tokens in per_phrasing]
            for phrasing in phrasings:
                if phrasing:
                    self._exact.setdefault(phrasing, index)
            answer = normalizer.normalize(entry.answer, typos=False)
            a_tokens = normalizer.tokens(answer)
            texts = [normalizer.normalize(q, typos=False) for q in entry.questions] + [answer]
            surface = frozenset(word for text in texts for word in text.split())
            multiword = " ".join(texts)
            q_tokens = [t for tokens in per_phrasing for t in tokens]
            q_ids = {self._id(t, df) for t in q_tokens}
            a_ids = {self._id(t, df) for t in a_tokens} - q_ids
            for token_id in q_ids | a_ids:
                df[token_id] += 1
            used = Counter(self._ids[t] for tokens in per_phrasing for t in set(tokens))
            share = {token_id: n / max(len(per_phrasing), 1) for token_id, n in used.items()}
            self._en.append(
                _PreparedEn(
                    entry.id, phrasings, frozenset(q_ids), frozenset(a_ids), share, surface, multiword, tuple(entry.levels)
                )
            )
            corpus.append(q_tokens * w.question_repeat + a_tokens or [""])
        self._idf, self._unknown_idf, self._bm25, self._vocab = bm25_index(corpus, df, len(kb.entries), w)
        # no asking part in English (see bot.knowledge.focus): the telling clause is who asks
        self.asking = None

    def level_mentions(self, normalized: str) -> list[LevelMention]:
        """The title levels a normalised question names (one token each, intermediate_engineer),
        where it names them, in order."""
        pattern = self._level_pattern
        if pattern is None:
            return []
        tokens = self.normalizer.level_tokens
        return [LevelMention(tokens[m.group(1)], m.start(), m.end()) for m in pattern.finditer(normalized)]

    @cached_property
    def _level_pattern(self) -> re.Pattern[str] | None:
        tokens = sorted(self.normalizer.level_tokens, key=len, reverse=True)
        return re.compile(r"\b(" + "|".join(map(re.escape, tokens)) + r")\b") if tokens else None

    @property
    def size(self) -> int:
        return len(self._en)

    def _asks_to_apply(self, normalized: str) -> bool:
        return not self.normalizer.apply_words.isdisjoint(normalized.split())

    def _names_the_review(self, scored: Scored) -> bool:
        words = scored.normalized.split()
        return bool(scored.levels) or not self.normalizer.review_words.isdisjoint(words)

    def _weights(self, tokens: list[str], content: int) -> tuple[list[int], np.ndarray]:
        """Token ids (-1: unknown) and weights: IDF, the rarest IDF for an unknown stem (less in a
        long question), scaled down for stop words."""
        w = self.config.weights
        unknown = self._unknown_idf
        if w.context_chars and content > w.context_chars:
            unknown *= w.context_chars / content
        ids = [self._ids.get(t, -1) for t in tokens]
        weights = np.array([self._idf[i] if i >= 0 else unknown for i in ids], dtype=np.float64)
        stop = np.array([self.normalizer.is_stopword(t) for t in tokens], dtype=bool)
        return ids, np.where(stop, weights * w.stopword, weights)

    def _explained(self, ids: list[int], prepared: _PreparedEn, level_mask: np.ndarray, level_fit: Fit) -> np.ndarray:
        """How much of each query token the entry explains: fully by its phrasings, partly by its
        answer; a level the question names fully by an entry written for it, not at all by an entry
        written for other levels (see ``bot.knowledge.matcher``)."""
        answer = self.config.weights.answer_coverage
        share = np.array([1.0 if i in prepared.question_ids else answer if i in prepared.answer_ids else 0.0 for i in ids])
        if level_fit != "neutral" and level_mask.any():
            share = np.where(level_mask, 1.0 if level_fit == "match" else 0.0, share)
        return share

    def _score(self, query: str) -> Scored:
        """Every candidate of the question, best first (see the module docstring); ``score`` adds
        the asking part's."""
        w = self.config.weights
        norm = self.normalizer
        normalized = norm.normalize(query[:MAX_QUERY_CHARS])
        tokens = norm.tokens(normalized)
        joined = " ".join(tokens)
        content_tokens = norm.content_tokens(tokens)
        content = len(content_tokens)
        exact_index = self._exact.get(joined) if joined else None
        if not content_tokens and exact_index is None:
            return Scored(normalized, [], False, 0)  # "ok", "thanks", "what is it": nothing to match on
        known = [t for t in content_tokens if t in self._vocab] or [t for t in tokens if t in self._vocab]
        bm25_scores: dict[int, float] = {}
        if known:
            scores = self._bm25.get_scores(known)
            depth = min(w.rerank_depth, len(scores))
            top = np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
            bm25_scores = {int(i): float(scores[i]) for i in top if scores[i] > 0}
        if exact_index is not None and exact_index not in bm25_scores:
            bm25_scores[exact_index] = max(bm25_scores.values(), default=1.0)
        if not bm25_scores:
            return Scored(normalized, [], False, content)
        top_bm25 = max(bm25_scores.values()) or 1.0
        mix = w.coverage + w.fuzzy + w.support or 1.0
        ids, weights = self._weights(tokens, content)
        total = float(weights.sum())
        words = normalized.split()
        foreign = [w for w in norm.foreign_words if w in words or (" " in w and f" {w} " in f" {normalized} ")]
        level_mask = np.array([t in norm.level_tokens for t in tokens], dtype=bool)
        named = norm.asked_levels(tokens)
        candidates: list[Candidate] = []
        explained: dict[str, np.ndarray] = {}
        for i, bm25 in bm25_scores.items():
            prepared = self._en[i]
            level_fit = fit(prepared.levels, named)
            shares = explained[prepared.entry_id] = self._explained(ids, prepared, level_mask, level_fit)
            coverage = weighted_share(shares, weights, total)
            support_shares = np.array([prepared.phrasing_share.get(t, 0.0) for t in ids])
            support = weighted_share(support_shares, weights, total)
            fuzzy = 1.0 if i == exact_index else max((fuzz.ratio(joined, p) for p in prepared.phrasings), default=0.0) / 100
            confidence = (w.coverage * coverage + w.fuzzy * fuzzy + w.support * support) / mix
            candidates.append(
                Candidate(
                    entry_id=prepared.entry_id,
                    confidence=round(confidence, 4),
                    rank_score=confidence + w.bm25 * bm25 / top_bm25 + _LEVEL_RANK[level_fit] * w.level_rank,
                    coverage=round(coverage, 4),
                    fuzzy=round(fuzzy, 4),
                    bm25=round(bm25, 4),
                    explains_foreign=all(_mentions(prepared, word) for word in foreign),
                    level_fit=level_fit,
                )
            )
        candidates.sort(key=lambda c: (-c.rank_score, c.entry_id))
        lead_with_a_fitting_level(candidates)
        if exact_index is not None:
            exact_id = self._en[exact_index].entry_id
            candidates.sort(key=lambda c: c.entry_id != exact_id)
        second = 0.0
        if len(candidates) > 1 and total > 0:
            first, runner = explained[candidates[0].entry_id], explained[candidates[1].entry_id]
            second = weighted_share(np.maximum(runner - first, 0.0), weights, total)
        return Scored(normalized, candidates, exact_index is not None, content, (), round(second, 4), tuple(foreign))
