"""Rank entries for a question and decide what the asker gets: an answer (sure, or guided under a
header with the runner-ups as buttons), a list of suggestions, or the fallback.

Before ranking, homophone typos in the question are corrected (``bot.knowledge.typos``). Ranking:
BM25 (``bm25s``, pre-tokenised character unigrams + bigrams, one document per entry with its
questions repeated so they weigh more than the answer) picks candidates; each candidate is then
scored with signals that say how well it *explains* the question:

* coverage — the IDF-weighted share of the question's tokens found in the entry (question wording
  counts fully, answer wording partly; a token the knowledge base has never seen counts as the
  rarest, so "有年龄限制吗" is not explained by an entry that merely shares "限制" — less so in a
  long question, which wraps its ask in context, and least for the seam between two words);
* fuzzy — rapidfuzz's similarity to the closest phrasing of the entry (a pressed suggestion or a
  repeated question is near-verbatim);
* support — the same weighted share, per phrasing, averaged over the entry's phrasings: how central
  the question's words are to the entry. Coverage cannot tell 退回 (the entry about returned
  applications, whose every phrasing says it) from an entry that says it once in one phrasing.

Confidence mixes them; the final rank adds BM25 relative to the best and moves entries written for
the level the question names up, those for another level down. A wrong answer is worse than a
suggestion, so a sure answer needs a high confidence and a margin over the runner-up; a guided one
(see ``Matcher.decide``) a middle confidence and a clear lead in the rank. The thresholds live in
``knowledge/matcher.yaml`` (calibrated on the dev set and the tuning half of the real phrasings).
``match`` never raises: any failure is a fallback.

Title levels (``bot.knowledge.levels``) correct coverage: when the question names a level (中级,
高工, 正高…) and an entry declares its levels, the words of that mention are explained by the
declaration, not by the entry's text. An entry that declares a named level explains the mention
fully; an entry that declares only other levels explains none of it, nor the bigrams that straddle
it (the 副高 entry mentions 中级 as its prerequisite, which does not make it an answer to
中级要什么学历); an entry without levels, or a question without one, is scored by text as before.
The confidence therefore still means the share of the question the entry explains, and a
level-matching entry is answered only when it clears the thresholds. Besides, ``level_rank`` moves
the rank (not the confidence) of level-matching entries up and of conflicting ones down: a personal
case (本科毕业满五年能报中级吗) shares more words with the 副高 entry, whose conditions mention
本科 and 满5年, than with the 中级 one. Should a conflicting entry still rank first, every conflicting
entry goes after the others (``lead_with_a_fitting_level``): it is never the answer.

An entry about the levels themselves (``about_levels``: their names and order) explains every level
mention as a matching entry does. A professional qualification named beside a title (一级消防工程师是
中级职称吗, see ``Matcher._foreign``) is explained only by the entries about qualifications
(``about_qualifications``): the 工程师 in its name is no mention of the 工程师 level; and since such a
question is about the qualification, ``qualification_rank`` moves every other entry down (监理工程师属于
几级 shares 属于几级 with the entry on the title levels, but asks how the qualification stands).
Likewise ``subject_rank`` moves an entry about a subject (``subject``: skilled workers, the rules of
专精特新 firms, 数字技术工程师 certificates) down for a question that names none of the subject's
words: 副高级职称相当于什么级别 is about titles, not skill grades, and 评职称是哪个部门负责 about
titles in general, not about who trains the 专精特新 firms' HR staff.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from rapidfuzz import fuzz

from bot.knowledge.asks import AskDetector, answers_other, ask_fit
from bot.knowledge.focus import AskingPart
from bot.knowledge.levels import Fit, LevelDetector, LevelMention, LevelQuery, fit
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.normalize import Normalizer
from bot.knowledge.schema import Entry, MatcherConfig, Weights
from bot.knowledge.typos import HomophoneFixer, is_cjk, two_char_words, word_bigrams

log = logging.getLogger(__name__)

Outcome = Literal["answer", "suggest", "fallback"]
#: a question longer than this is cut: nobody asks a single question in more words, and the cost of
#: scoring grows with the length
MAX_QUERY_CHARS = 300
#: how many distinct question texts ``Matcher.match`` remembers (least recently asked dropped first)
MATCH_MEMORY = 4096
#: entries offered in a "您是不是想问" list, and runner-ups offered under a guided answer
SUGGESTIONS = 3
RUNNER_UPS = 2


#: how the fit of an entry's declared levels moves its rank (times ``weights.level_rank``): an entry
#: written for the level the question names goes up, one written for another level goes down
_LEVEL_RANK: dict[Fit, float] = {"match": 1.0, "neutral": 0.0, "conflict": -1.0}


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    confidence: float
    rank_score: float
    coverage: float
    fuzzy: float
    bm25: float
    #: False when the question names a foreign word (会计, 一建…) that this entry never mentions
    explains_foreign: bool = True
    #: how the entry's declared levels fit the levels the question names (see the module docstring)
    level_fit: Fit = "neutral"


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    normalized: str
    candidates: tuple[Candidate, ...] = ()
    margin: float = 0.0
    exact: bool = False
    #: title levels the question names (ids of knowledge/levels.yaml)
    levels: tuple[str, ...] = ()
    #: a direct answer at middle confidence: shown under a header naming the entry's question,
    #: with the runner-ups offered as buttons
    guided: bool = False
    #: entry ids offered as buttons (see ``Decision.offered``)
    offered: tuple[str, ...] = ()
    #: the foreign words the question names that the best entry does not explain (see
    #: ``Scored.unexplained_foreign``)
    foreign: tuple[str, ...] = ()
    #: those foreign words are all a person's circumstances, and the question asks whether one may
    #: apply (see ``Matcher.about_a_situation``)
    situation: bool = False

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def entry_id(self) -> str | None:
        return self.best.entry_id if self.outcome == "answer" and self.best else None


def _members(ids: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of ``ids`` occur in the sorted array (binary search; much faster than ``np.isin`` on
    the short arrays here)."""
    if sorted_ids.size == 0:
        return np.zeros(ids.shape, dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
    return sorted_ids[positions] == ids


@dataclass(frozen=True)
class Decision:
    """What ``Matcher.decide`` chose; ``lead`` is the best entry's lead in the normalised rank score."""

    outcome: Outcome
    margin: float = 0.0
    lead: float = 0.0
    guided: bool = False
    #: entry ids offered as buttons: the suggestion list, a guided answer's runner-ups, or a
    #: fallback's related topics
    offered: tuple[str, ...] = ()
    #: the answer is the asking part's (``Scored.focused``), not the whole question's
    focused: bool = False


def weighted_share(share: np.ndarray, weights: np.ndarray, total: float) -> float:
    """The weighted share of the query ``share`` explains."""
    return float((weights * share).sum() / total) if total > 0 else 0.0


def named_foreign(text: str, words: list[str], surface: str | None = None) -> list[str]:
    """The foreign words the normalised ``text`` names. A word that the question as typed
    (``surface``: prepared, before synonyms, without spaces) holds only where both of its edges
    cut through a two-character word of Chinese is no mention of it: 南通 in 指南|通知, 中山 in
    其中|山东, 审计 in 评审|计划. A name at the start or end, or beside a character it forms no word
    with (去南通, 南通市), is a mention; so is a word that only synonyms produced (the edges are
    judged on what the asker typed, not on the canonical words put in its place)."""
    words_of_two = two_char_words()
    typed = text if surface is None else surface
    found = []
    for word in words:
        if word not in text:
            continue
        start = typed.find(word)
        if start == -1:
            found.append(word)
            continue
        while start != -1:
            end = start + len(word)
            cut_before = start > 0 and typed[start - 1 : start + 1] in words_of_two
            cut_after = end < len(typed) and typed[end - 1 : end + 1] in words_of_two
            if not (cut_before and cut_after):
                found.append(word)
                break
            start = typed.find(word, start + 1)
    return found


def lead_with_a_fitting_level(candidates: list[Candidate]) -> None:
    """When the best entry conflicts with the named levels, put every conflicting entry after the
    others, in place. An entry written only for other levels is never the answer: 本科毕业多久能评
    高工 reads almost as 本科毕业多久能评助工, and the entry for 助工 would answer it with the wrong
    rules; nor is it a runner-up the decision should weigh (a second topic, a lead). When the best
    entry fits, the order stays as ranked."""
    if candidates and candidates[0].level_fit == "conflict":
        candidates.sort(key=lambda c: c.level_fit == "conflict")


def _lead(candidates: list[Candidate]) -> float:
    """1 − runner-up's rank score / best's: how far ahead the best entry is, on a 0..1 scale that
    does not depend on how long the question is (BM25 and coverage sums grow with it)."""
    if len(candidates) < 2:
        return 1.0
    top = candidates[0].rank_score
    if top <= 0:
        return 0.0
    return max(0.0, 1.0 - max(c.rank_score for c in candidates[1:]) / top)


@dataclass(frozen=True)
class Scored:
    """What ``score`` found; ``decide`` turns it into an outcome under given thresholds."""

    normalized: str
    candidates: list[Candidate]
    exact: bool
    content_chars: int
    levels: tuple[str, ...] = ()
    #: the weighted share of the question the runner-up explains and the best entry does not: a
    #: second topic (评审费多少，怎么交 — the amount and the way to pay are two entries)
    second_topic: float = 0.0
    #: the foreign words the question names (another place, title series, exam or matter), so a
    #: fallback can say the question lies outside this review instead of "the notices do not say"
    foreign: tuple[str, ...] = ()
    #: the asking part of a long question scored alone (see ``bot.knowledge.focus``), or None
    focused: Scored | None = None

    def shown(self, decision: Decision) -> list[Candidate]:
        """The candidates ``decision`` shows: the asking part's when it answers that part."""
        return self.focused.candidates if decision.focused and self.focused is not None else self.candidates

    @property
    def unexplained_foreign(self) -> tuple[str, ...]:
        """The foreign words, unless the best entry explains them: 社保不在新区能报吗 names 社保, but
        an entry on where applicants must work answers it, so the question is no other matter."""
        return () if self.candidates and self.candidates[0].explains_foreign else self.foreign


@dataclass(frozen=True)
class Mentions:
    """What a question names that entries explain by declaration rather than by text: title levels
    (see ``bot.knowledge.levels``) and, as a mask over its tokens, a qualification named beside a
    title."""

    levels: LevelQuery | None = None
    qualified: np.ndarray | None = None


NO_MENTIONS = Mentions()


@dataclass
class _Prepared:
    entry: Entry
    question_compacts: list[str]
    #: sorted token ids of all phrasings, and of the answer words not among them (numpy arrays keep
    #: 10,000 entries in tens of megabytes, where Python sets would take gigabytes)
    question_ids: np.ndarray
    answer_ids: np.ndarray
    #: sorted ids of the tokens of the phrasings, and for each the share of phrasings using it
    phrasing_ids: np.ndarray
    phrasing_share: np.ndarray
    #: the entry's phrasings, normalised and without spaces (to check foreign words against: an
    #: answer that mentions 居住证 in passing does not make the entry about it)
    text: str
    #: the ask types the entry answers (see bot/knowledge/asks.py)
    asks: frozenset[str] = frozenset()


def bm25_index(
    corpus: list[list[str]], df: list[int], entries: int, w: Weights
) -> tuple[np.ndarray, float, object, set[str]]:
    """The BM25 index of one token list per entry, with the per-token IDF the matcher weighs
    question tokens by (and the weight of a token the index never saw), and the index's vocabulary.
    The Chinese and the English matcher build it the same way from their own tokens."""
    import bm25s

    # bm25s pins its logger to DEBUG on import, which would print index builds in every command
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    n = max(entries, 1)
    idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df] or [1.0], dtype=np.float64)
    bm25 = bm25s.BM25(k1=w.bm25_k1, b=w.bm25_b)
    if corpus:
        bm25.index(corpus, show_progress=False)
    return idf, float(idf.max()) * w.unknown_idf, bm25, set(getattr(bm25, "vocab_dict", {}) or {})


class Matcher:
    """Built once per process from a ``KnowledgeBase`` (see ``bot.knowledge.runtime``)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        normalizer: Normalizer | None = None,
        config: MatcherConfig | None = None,
        memory: int = MATCH_MEMORY,
    ):
        """``memory``: how many question texts' results to remember (0: none, to time the matching)."""
        self.kb = kb
        self.config = config or kb.config
        self._memory: OrderedDict[str, MatchResult] = OrderedDict()
        self._memory_size = memory
        self.normalizer = normalizer or Normalizer(kb.synonyms)
        self.levels = LevelDetector(kb.levels, self.normalizer)
        self.asks = AskDetector(kb.asks, self.normalizer)
        w = self.config.weights
        norm = self.normalizer
        self._prepared: list[_Prepared] = []
        self._index: dict[str, int] = {entry.id: i for i, entry in enumerate(kb.entries)}
        self._exact: dict[str, int] = {}
        self._ids: dict[str, int] = {}
        df: list[int] = []
        corpus: list[list[str]] = []
        for index, entry in enumerate(kb.entries):
            q_norms = [norm.normalize(q) for q in entry.questions]
            per_phrasing = [norm.tokens(q) for q in q_norms]
            q_tokens = [t for tokens in per_phrasing for t in tokens]
            a_tokens = norm.tokens(norm.normalize(entry.answer))
            compacts = [norm.compact(q) for q in q_norms]
            for compact in compacts:
                if compact:
                    self._exact.setdefault(compact, index)
            q_ids = {self._id(t, df) for t in q_tokens}
            a_ids = {self._id(t, df) for t in a_tokens} - q_ids
            for token_id in q_ids | a_ids:
                df[token_id] += 1
            text = " ".join(compacts)
            used = Counter(token_id for tokens in per_phrasing for token_id in {self._ids[t] for t in tokens})
            phrasing_ids = np.array(sorted(used), np.int32)
            phrasing_share = np.array([used[i] / max(len(per_phrasing), 1) for i in phrasing_ids], np.float64)
            self._prepared.append(
                _Prepared(
                    entry,
                    compacts,
                    np.array(sorted(q_ids), np.int32),
                    np.array(sorted(a_ids), np.int32),
                    phrasing_ids,
                    phrasing_share,
                    text,
                    self.asks.of_entry(entry, q_norms),
                )
            )
            corpus.append(q_tokens * w.question_repeat + a_tokens or [""])
        self._idf, self._unknown_idf, self._bm25, self._vocab = bm25_index(corpus, df, len(kb.entries), w)
        self.typos = HomophoneFixer(self._vocabulary_texts(), protected=self.normalizer.stopwords)
        self.asking: AskingPart | None = AskingPart(
            kb.asks.question_marks, norm.prepare, lambda text: self.content_chars(norm.normalize(norm.prepare(text)))
        )

    def _vocabulary_texts(self) -> list[str]:
        """What the knowledge base and its word lists say, before synonyms: the bigrams a typo is
        corrected towards."""
        norm = self.normalizer
        texts = [norm.prepare(t) for p in self._prepared for t in (*p.entry.questions, p.entry.answer)]
        texts += list(norm.mapping) + [v for v in set(norm.mapping.values()) if v.strip()]
        texts += [norm.prepare(term) for level in self.kb.levels.levels for term in level.terms]
        return texts

    def _id(self, token: str, df: list[int]) -> int:
        token_id = self._ids.get(token)
        if token_id is None:
            token_id = self._ids[token] = len(df)
            df.append(0)
        return token_id

    @property
    def size(self) -> int:
        return len(self._prepared)

    def entry(self, entry_id: str) -> Entry | None:
        return self.kb.by_id.get(entry_id)

    # ---- scoring ----------------------------------------------------------------------------
    def _query_weights(self, tokens: list[str], content_chars: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (-1 when the knowledge base never uses the token) and their weights: IDF, the
        rarest IDF for unknown tokens, scaled down for stop words.

        An unknown bigram that is no word of Chinese (jieba's dictionary) is the seam between two
        words (报还 in 现在报还来得及) and says nothing about the topic: it weighs ``junction`` of an
        unknown word such as 社保 or 德国.

        In a long question unknown tokens weigh less (``context_chars`` / content characters): a
        short question made of words the knowledge base never uses asks about something else, a long
        one mostly wraps its ask in the asker's own situation (我是公司人事，领导让我问下…)."""
        ids = np.array([self._ids.get(t, -1) for t in tokens], dtype=np.int32)
        w = self.config.weights
        unknown = self._unknown_idf
        if w.context_chars and content_chars > w.context_chars:
            unknown *= w.context_chars / content_chars
        unknown_weights = np.full(len(tokens), unknown)
        if w.junction < 1.0:
            words = word_bigrams()
            junctions = [i for i, t in enumerate(tokens) if ids[i] < 0 and len(t) == 2 and is_cjk(t) and t not in words]
            unknown_weights[junctions] *= w.junction
        weights = np.where(ids >= 0, self._idf[np.maximum(ids, 0)], unknown_weights)
        stop = np.array([self.normalizer.is_stopword(t) for t in tokens], dtype=bool)
        return ids, np.where(stop, weights * self.config.weights.stopword, weights)

    def _shares(self, ids: np.ndarray, prepared: _Prepared, level_fit: Fit = "neutral", mentions: Mentions = NO_MENTIONS) -> np.ndarray:
        """How much of each query token the entry explains (0..1): fully by its phrasings, partly by
        its answer; level mentions by the entry's declared levels when it declares any, and the
        tokens of a qualification named beside a title by the entries about qualifications only
        (see the module docstring)."""
        share = np.where(
            _members(ids, prepared.question_ids),
            1.0,
            np.where(_members(ids, prepared.answer_ids), self.config.weights.answer_coverage, 0.0),
        )
        return self._explain_mentions(share, prepared, level_fit, mentions)

    def _explain_mentions(self, share: np.ndarray, prepared: _Prepared, level_fit: Fit, mentions: Mentions) -> np.ndarray:
        qualified = mentions.qualified
        if qualified is not None and qualified.any():
            share = share.copy()
            share[qualified] = 1.0 if prepared.entry.about_qualifications else 0.0
        if mentions.levels is None:
            return share
        for_all = 1.0 if prepared.entry.about_levels else self.config.weights.level_for_all
        return mentions.levels.explain(share, prepared.entry.levels, level_fit, for_all)

    def _phrasing_shares(
        self, ids: np.ndarray, prepared: _Prepared, level_fit: Fit = "neutral", mentions: Mentions = NO_MENTIONS
    ) -> np.ndarray:
        """For each query token, the share of the entry's phrasings that use it. Weighted and summed
        this is the mean over the phrasings of the share of the query each one explains (the level
        correction sets whole tokens, so it commutes with the mean)."""
        if prepared.phrasing_ids.size == 0:
            return np.zeros(ids.shape)
        positions = np.minimum(np.searchsorted(prepared.phrasing_ids, ids), prepared.phrasing_ids.size - 1)
        share = np.where(prepared.phrasing_ids[positions] == ids, prepared.phrasing_share[positions], 0.0)
        return self._explain_mentions(share, prepared, level_fit, mentions)

    @staticmethod
    def _fuzzy(compact: str, prepared: _Prepared) -> float:
        best = 0.0
        for phrasing in prepared.question_compacts:
            best = max(best, fuzz.ratio(compact, phrasing))
        return best / 100.0

    def content_chars(self, normalized: str) -> int:
        """Distinct meaningful characters of a normalised question (stop characters excluded)."""
        return len({ch for ch in self.normalizer.compact(normalized) if not self.normalizer.is_stopword(ch)})

    def score(self, query: str) -> Scored:
        """Rank candidates for ``query`` (all of the rerank depth, best first), and for its asking
        part when it has one (``Scored.focused``)."""
        scored = self._score(query)
        part = self.asking.of(query[:MAX_QUERY_CHARS]) if self.asking is not None else None
        if part is None or not scored.candidates:
            return scored
        return replace(scored, focused=self._score(part))

    def _score(self, query: str) -> Scored:
        typed = self._elsewhere(self.typos.correct(self.normalizer.prepare(query[:MAX_QUERY_CHARS])))
        norm = self.normalizer.normalize(typed)
        compact = self.normalizer.compact(norm)
        if not compact or not self._prepared:
            return Scored(norm, [], False, 0)
        tokens = list(dict.fromkeys(self.normalizer.tokens(norm)))
        content = self.content_chars(norm)
        if all(self.normalizer.is_stopword(t) for t in tokens):
            return Scored(norm, [], False, 0)  # 你是谁, 有人吗: nothing to match on
        w = self.config.weights
        exact_index = self._exact.get(compact)
        # stop characters only add noise to the ranking; they still count (a little) in confidence
        known = [t for t in tokens if t in self._vocab and not self.normalizer.is_stopword(t)]
        known = known or [t for t in tokens if t in self._vocab]
        indices: list[int] = []
        bm25_scores: dict[int, float] = {}
        if known:
            scores = self._bm25.get_scores(known)
            depth = min(w.rerank_depth, len(scores))
            top = np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
            for i in top:
                if scores[i] > 0:
                    indices.append(int(i))
                    bm25_scores[int(i)] = float(scores[i])
        if exact_index is not None and exact_index not in bm25_scores:
            indices.append(exact_index)
            bm25_scores[exact_index] = max(bm25_scores.values(), default=1.0)
        if not indices:
            return Scored(norm, [], False, content)
        top_bm25 = max(bm25_scores.values()) or 1.0
        mix = w.coverage + w.fuzzy + w.support or 1.0
        ids, weights = self._query_weights(tokens, content)
        total = float(weights.sum())
        levels = self.levels.analyse(norm, tokens)
        foreign, qualification, beside = self._foreign(compact, self.normalizer.compact(typed))
        mentions = Mentions(levels, self._qualified(norm, tokens, beside))
        asked = self.asks.find(norm) if w.ask_rank or w.exclusive_rank else frozenset()
        names_qualification = mentions.qualified is not None and bool(mentions.qualified.any())
        subjects = self._named_subjects(norm)
        candidates = []
        for i in indices:
            prepared = self._prepared[i]
            level_fit = fit(prepared.entry.levels, levels.named)
            coverage = weighted_share(self._shares(ids, prepared, level_fit, mentions), weights, total)
            fuzzy = 1.0 if i == exact_index else self._fuzzy(compact, prepared)
            support = (
                weighted_share(self._phrasing_shares(ids, prepared, level_fit, mentions), weights, total)
                if w.support
                else 0.0
            )
            confidence = (w.coverage * coverage + w.fuzzy * fuzzy + w.support * support) / mix
            relative = bm25_scores[i] / top_bm25
            candidates.append(
                Candidate(
                    entry_id=prepared.entry.id,
                    confidence=round(confidence, 4),
                    rank_score=confidence
                    + w.bm25 * relative
                    + _LEVEL_RANK[level_fit] * w.level_rank
                    + ask_fit(asked, prepared.asks, self.asks.exclusive) * w.ask_rank
                    - answers_other(asked, prepared.asks, self.asks.exclusive) * w.exclusive_rank
                    - (names_qualification and not prepared.entry.about_qualifications) * w.qualification_rank
                    - self._off_subject(prepared.entry, subjects),
                    coverage=round(coverage, 4),
                    fuzzy=round(fuzzy, 4),
                    bm25=round(bm25_scores[i], 4),
                    explains_foreign=all(word in prepared.text for word in foreign) and not qualification,
                    level_fit=level_fit,
                )
            )
        candidates.sort(key=lambda c: (-c.rank_score, c.entry_id))
        lead_with_a_fitting_level(candidates)
        if exact_index is not None:
            exact_id = self._prepared[exact_index].entry.id
            candidates.sort(key=lambda c: c.entry_id != exact_id)
        named = tuple(level for level in self.levels.ids if level in levels.named)
        second = 0.0
        if len(candidates) > 1 and total > 0:
            first, runner = (self._prepared[self._index[c.entry_id]] for c in candidates[:2])
            explained = self._shares(ids, first, candidates[0].level_fit, mentions)
            also = self._shares(ids, runner, candidates[1].level_fit, mentions)
            second = weighted_share(np.maximum(also - explained, 0.0), weights, total)
        return Scored(norm, candidates, exact_index is not None, content, named, round(second, 4), tuple(foreign))

    def _elsewhere(self, typed: str) -> str:
        """``typed`` with the other places it names read as ``elsewhere_word`` when it also names a
        place of this review: 人在河南郑州能报西海岸的吗 asks what 在外省工作能报吗 asks."""
        vocabulary = self.normalizer
        word = vocabulary.elsewhere_word
        compact = typed.replace(" ", "")
        if not word or not any(home in compact for home in vocabulary.home_words):
            return typed
        named = [place for place in vocabulary.place_words if place in typed]
        if not named:
            return typed
        pattern = re.compile("(?:" + "|".join(map(re.escape, sorted(named, key=len, reverse=True))) + ")+")
        return pattern.sub(word, typed)

    def level_mentions(self, normalized: str) -> list[LevelMention]:
        """The title levels a normalised question names, where it names them, in order."""
        return self.levels.find(normalized)

    def about_a_situation(self, scored: Scored) -> bool:
        """Whether the question asks if one may apply in a personal circumstance the notices do not
        rule on (被辞退了能报职称吗, 休产假期间能申报吗): every foreign word it names that no entry
        explains is a situation word, and it asks about eligibility. Such a question is about this
        review, so its fallback must not call it another review's matter."""
        return self._only_situations(scored) and self._asks_to_apply(scored.normalized)

    def beside_the_review(self, scored: Scored) -> bool:
        """Whether a personal circumstance stands beside another question on this review (员工离职了，
        评审表退回来给谁): no entry speaks of the circumstance, so nothing is answered directly, but
        the question is no other review's matter and gets the ordinary fallback with its related
        topics."""
        return self._only_situations(scored) and not self.about_a_situation(scored) and self._names_the_review(scored)

    def _names_the_review(self, scored: Scored) -> bool:
        """Whether the question names something of this review (a domain word such as 评审表, a
        title word, a title level or a word of ``review_words``): 加班费怎么算 does not."""
        vocabulary = self.normalizer
        compact = vocabulary.compact(scored.normalized)
        words = (*vocabulary.domain_words, *vocabulary.title_words, *vocabulary.review_words)
        return bool(scored.levels) or any(word in compact for word in words)

    def _only_situations(self, scored: Scored) -> bool:
        """Whether the question names foreign words no entry explains, all of them a person's
        circumstances (``situation_words``)."""
        foreign = scored.unexplained_foreign
        return bool(foreign) and all(word in self.normalizer.situation_words for word in foreign)

    def _asks_to_apply(self, normalized: str) -> bool:
        return "eligibility" in self.asks.find(normalized)

    def _foreign(self, compact: str, typed: str) -> tuple[list[str], bool, list[str]]:
        """The foreign words the question names (``compact``: normalised, ``typed``: as typed, both
        without spaces); whether one of them is a qualification asked about on its own (二建报名条件:
        another field's exam or licence, which no entry answers, whatever its phrasings mention); and
        the qualifications it names beside a title, which are therefore not foreign."""
        vocabulary = self.normalizer
        foreign = named_foreign(compact, vocabulary.foreign_words, typed)
        places = vocabulary.place_words
        if any(word in places for word in foreign) and any(word in compact for word in vocabulary.home_words):
            # another place beside this review's own is where the asker comes from
            foreign = [word for word in foreign if word not in places]
        excused = vocabulary.level_excused_words
        if any(word in excused for word in foreign) and (self.levels.find(compact) or self.levels.find(typed)):
            # beside a title level of this series, 怎么考 asks how that title is reached
            foreign = [word for word in foreign if word not in excused]
        qualifications = vocabulary.qualification_words
        beside: list[str] = []
        if any(word in qualifications for word in foreign) and self._names_a_title_beside(typed):
            # a qualification named beside a title asks how the one stands for the other
            beside = [word for word in foreign if word in qualifications]
            foreign = [word for word in foreign if word not in qualifications]
        return foreign, any(word in qualifications for word in foreign), beside

    def _qualified(self, normalized: str, tokens: list[str], named: list[str]) -> np.ndarray | None:
        """Which of the question's tokens only the qualifications it names beside a title produce
        (消防, 防工 in 一级消防工程师是中级职称吗), or None when it names none that way. Those tokens are
        explained by the entries about qualifications, whatever other entries' wording shares with
        them: 工程师 in 消防工程师 says nothing about the 工程师 level."""
        named = [word for word in named if word in normalized]
        if not named:
            return None
        blanked = normalized
        inside: set[str] = set()
        for word in sorted(named, key=len, reverse=True):
            inside.update(self.normalizer.tokens(word))
            blanked = blanked.replace(word, " ")
        elsewhere = set(self.normalizer.tokens(blanked))
        return np.array([t in inside and t not in elsewhere for t in tokens], dtype=bool)

    def _named_subjects(self, normalized: str) -> frozenset[str]:
        """The subjects (``subjects`` in synonyms.yaml) whose words the question names outside its
        title levels: the 高级工 in 高级工程师 is part of a title, not skilled work."""
        for mention in reversed(self.levels.find(normalized)):
            normalized = normalized[: mention.start] + " " + normalized[mention.end :]
        compact = self.normalizer.compact(normalized)
        return frozenset(
            subject for subject, words in self.normalizer.subject_words.items() if any(word in compact for word in words)
        )

    def _off_subject(self, entry: Entry, named: frozenset[str]) -> float:
        """How far an entry about a subject the question does not name moves down the ranking."""
        if entry.subject is None or entry.subject in named:
            return 0.0
        return self.config.weights.subject_rank.get(entry.subject, 0.0)

    def _names_a_title_beside(self, typed: str) -> bool:
        """Whether the question as typed, its qualification words taken out (监理工程师 holds 工程师),
        names a title level or a title word, and asks nothing about an exam (软考中级什么时候考试)."""
        vocabulary = self.normalizer
        for word in vocabulary.qualification_surfaces:
            typed = typed.replace(word, " ")
        rest = vocabulary.normalize(typed)
        compact = vocabulary.compact(rest)
        if any(word in compact for word in vocabulary.exam_words):
            return False
        # the level as typed counts too: a synonym may take it into another word (直接评中级 → 跳级)
        return (
            any(word in compact for word in vocabulary.title_words)
            or bool(self.levels.find(rest))
            or bool(self.levels.find(typed))
        )

    def decide(self, scored: Scored, config: MatcherConfig | None = None, focus: bool = True) -> Decision:
        """The outcome for scored candidates (separate from ``score`` so calibration can replay it).

        A question the whole of which gets no answer is answered by its asking part (see
        ``bot.knowledge.focus``) when that part gets one, its entry is among the whole question's
        first three, the whole names no foreign word its best entry does not explain nor asks
        whether one may apply (the telling clauses hold the case), and ``focus`` is on; always guided, so the header names what was answered.
        Calibration searches the thresholds with ``focus`` off: the asking part only rescues
        questions the whole-question decision leaves unanswered.
        """
        decision = self._decide(scored, config)
        part = scored.focused
        if not focus or decision.outcome == "answer" or part is None or not part.candidates:
            return decision
        if scored.unexplained_foreign or self._asks_to_apply(scored.normalized):
            # what the asker told lies outside this review (我在北京…, 员工被辞退了…), or is the
            # case whether they may apply turns on ("I have a PhD, can I apply directly for
            # engineer?"): the asking part alone would hide it
            return decision
        answered = self._decide(part, config)
        first_three = {c.entry_id for c in scored.candidates[:SUGGESTIONS]}
        if answered.outcome != "answer" or part.candidates[0].entry_id not in first_three:
            return decision
        runner_ups = tuple(c.entry_id for c in part.candidates[1 : 1 + RUNNER_UPS])
        return Decision("answer", answered.margin, answered.lead, guided=True, offered=runner_ups, focused=True)

    def _decide(self, scored: Scored, config: MatcherConfig | None = None) -> Decision:
        """The decision on one scored text.

        A near-verbatim phrasing is answered. A sure answer needs a high confidence, a lead over
        the runner-up, enough words to be specific (a bare 公示 or 截止 fits several entries equally
        well), and no foreign word the entry does not explain (会计中级职称多少钱 is not a question
        about this review's fee). Below that, a clearly best entry — a middle confidence, but far
        ahead of the runner-up in the normalised rank score — is still answered, *guided*: under a
        header naming the question it answers, with the runner-ups as buttons, so a wrong guess
        costs one press. So is a question with two topics (the runner-up explains a good part of
        the question the best entry does not): the main one is answered, the other offered as a
        button. Only when entries are close does the user get a list to choose from. A fallback
        keeps the first entries as related topics (``offered``) when the best one explains a fair
        part of the question: the asker is told nothing fits, and the answer may be one tap away."""
        t = (config or self.config).thresholds
        candidates = scored.candidates
        if not candidates:
            return Decision("fallback")
        best = candidates[0]
        margin = best.confidence - candidates[1].confidence if len(candidates) > 1 else best.confidence
        lead = _lead(candidates)
        if scored.exact or best.fuzzy * 100 >= t.exact_ratio:
            return Decision("answer", margin, lead)
        if best.explains_foreign:
            if best.confidence >= t.answer and margin >= t.margin and scored.content_chars >= t.min_content_chars:
                return Decision("answer", margin, lead)
            if best.confidence >= t.guided and (lead >= t.lead or scored.second_topic >= t.second_topic):
                runner_ups = tuple(c.entry_id for c in candidates[1 : 1 + RUNNER_UPS])
                return Decision("answer", margin, lead, guided=True, offered=runner_ups)
        first = tuple(c.entry_id for c in candidates[:SUGGESTIONS])
        if not best.explains_foreign:
            if best.confidence >= t.related and self.beside_the_review(scored):
                return Decision("fallback", margin, lead, offered=first)
            # 会计中级职称多少钱: a list of this review's fee entries would read as an answer
            return Decision("fallback", margin, lead)
        if best.confidence >= t.suggest:
            return Decision("suggest", margin, lead, offered=first)
        if best.confidence >= t.related:
            return Decision("fallback", margin, lead, offered=first)
        return Decision("fallback", margin, lead)

    def match(self, query: str) -> MatchResult:
        """Never raises: a failure anywhere is logged by class name only and becomes a fallback.

        Results are remembered per exact question text (``memory`` most recent): the index
        never changes while the process runs, and most traffic repeats a few dozen questions.
        """
        if not isinstance(query, str):
            query = ""
        remembered = self._memory.get(query)
        if remembered is not None:
            self._memory.move_to_end(query)
            return remembered
        try:
            scored = self.score(query)
            decision = self.decide(scored)
            situation = self.about_a_situation(scored)
            foreign = () if self.beside_the_review(scored) else scored.unexplained_foreign
            result = MatchResult(
                decision.outcome,
                scored.normalized,
                tuple(scored.shown(decision)),
                round(decision.margin, 4),
                scored.exact,
                scored.levels,
                decision.guided,
                decision.offered,
                foreign,
                situation,
            )
        except Exception as exc:  # noqa: BLE001 - the user gets the office's contacts instead
            log.error("matcher failed: %s", type(exc).__name__)
            return MatchResult("fallback", "")
        if self._memory_size > 0:
            self._memory[query] = result
            if len(self._memory) > self._memory_size:
                self._memory.popitem(last=False)
        return result
