"""English text normalisation: what the English matcher indexes and what a question is read as.

Foreign applicants type short, informal English with typos, and mix in pinyin (zhicheng, gaogong)
or Chinese terms (高工, 评审费). Entries and questions go through the same pipeline so both sides
meet: NFKC → lower case → each unknown word of ``TYPO_MIN_LENGTH`` letters or more corrected to
the closest word the knowledge base uses that starts with the same letter (rapidfuzz's
Damerau-Levenshtein similarity ≥ ``TYPO_SIMILARITY``; typos rarely touch the first letter) → one longest-match pass mapping
synonyms (English, pinyin, Chinese) to their canonical form, a canonical form of several words
becoming one token → words split off → Snowball English stems. Stop words stay in the token list
(they are weighed down, not dropped: "how" alone is still a question).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.knowledge.en_schema import EnglishSynonymsFile

#: a word is corrected only to a known word at least this similar (Damerau-Levenshtein, 0-1: one
#: slip — a letter missing, extra, wrong or swapped — in a word of six letters or more)
TYPO_SIMILARITY = 0.82
#: shorter words are never corrected (too many real words a letter apart: fee/see, over/cover,
#: earn/learn, rate/relate)
TYPO_MIN_LENGTH = 5
#: how many words before a level mention may mark it as held ("with an intermediate title": two)
HELD_WINDOW = 3
_WORDS = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _prepare(text: str) -> str:
    """NFKC, lower case, apostrophes dropped (don't → dont), everything else that is not a letter,
    digit or CJK character a space."""
    text = unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("’", "")
    return " ".join(_WORDS.findall(text))


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - snowballstemmer has no type stubs
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """The Snowball stem of an English word (cached: the knowledge base repeats its words, and the
    stemmer is pure Python); tokens made of synonyms, numbers and CJK runs stay as they are."""
    if "_" in word or not word.isascii() or word.isdigit():
        return word
    return _stemmer().stemWord(word)


def _token_of(phrase: str) -> str:
    """A canonical form as one token: its words joined by underscores."""
    return "_".join(_prepare(phrase).split())


class EnglishNormalizer:
    """Built once from ``knowledge/en/synonyms.yaml`` and the words the knowledge base uses."""

    def __init__(self, synonyms: EnglishSynonymsFile | None = None, vocabulary: Iterable[str] = ()) -> None:
        synonyms = synonyms or EnglishSynonymsFile()
        self.mapping: dict[str, str] = {}
        for group in synonyms.synonyms:
            token = _token_of(group.canonical)
            for phrase in (group.canonical, *group.variants):
                key = _prepare(phrase)
                if key:
                    self.mapping.setdefault(key, token)
        self.stopwords = {self._stem(w) for w in (_prepare(s) for s in synonyms.stopwords) if w}
        #: whole words, not stems (the stem of accountant is account)
        self.situation_words = {w for w in (_prepare(s) for s in synonyms.situation_words) if w}
        self.review_words = frozenset(w for w in (_prepare(s) for s in synonyms.review_words) if w)
        self.apply_words = frozenset(w for w in (_prepare(s) for s in synonyms.apply_words) if w)
        self.foreign_words = {w for w in (_prepare(s) for s in synonyms.foreign_words) if w} | self.situation_words
        #: one-token canonical form → title level id
        self.level_tokens = {_token_of(phrase): level for level, phrase in synonyms.levels.items()}
        #: title level id → its English name (intermediate engineer)
        self.level_names = dict(synonyms.levels)
        held = synonyms.held
        self._held_before, self._held_after, self._held_steps = (
            frozenset(_stem(word) for phrase in words for word in _prepare(phrase).split())
            for words in (held.before, held.after, held.steps)
        )
        #: English and pinyin phrases as word tuples (matched word by word, longest first); phrases
        #: with Chinese in them by one regular expression, run only on text that has Chinese
        self._phrases = {tuple(key.split()): token for key, token in self.mapping.items() if key.isascii()}
        self._longest = max((len(words) for words in self._phrases), default=0)
        self._pattern = self._compile({k: v for k, v in self.mapping.items() if not k.isascii()})
        known = {w for key in self.mapping for w in _ASCII_WORD.findall(key)}
        known |= {w for s in synonyms.stopwords for w in _ASCII_WORD.findall(_prepare(s))}
        known |= {w for s in (*synonyms.foreign_words, *synonyms.situation_words) for w in _ASCII_WORD.findall(_prepare(s))}
        for text in vocabulary:
            known.update(_ASCII_WORD.findall(_prepare(text)))
        self.known = frozenset(known)
        #: known words by first letter: a typo is corrected to a word with the same first letter
        self._choices: dict[str, list[str]] = {}
        for word in sorted(w for w in self.known if len(w) >= TYPO_MIN_LENGTH - 1 and not w.isdigit()):
            self._choices.setdefault(word[0], []).append(word)
        self._fixed: dict[str, str] = {}

    @staticmethod
    def _compile(mapping: dict[str, str]) -> re.Pattern[str] | None:
        """One alternation of the Chinese phrases, longest first, so the longest at a position wins."""
        if not mapping:
            return None
        return re.compile("|".join(re.escape(key) for key in sorted(mapping, key=lambda k: (-len(k), k))))

    def _replace_phrases(self, words: list[str]) -> list[str]:
        """Longest match, left to right, over whole words: "fee" never fires inside "coffee", and
        "professor level senior engineer" wins over "senior engineer"."""
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(self._longest, len(words) - i), 0, -1):
                token = self._phrases.get(tuple(words[i : i + n]))
                if token is not None:
                    out.append(token)
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    @staticmethod
    def _stem(word: str) -> str:
        return _stem(word)

    def fix_typos(self, prepared: str) -> str:
        """Unknown words of ``TYPO_MIN_LENGTH`` letters or more become the closest known word, when
        one is close enough; a word the knowledge base uses, a number or a CJK run stays."""
        if not self._choices:
            return prepared
        out = []
        for word in prepared.split():
            if len(word) < TYPO_MIN_LENGTH or word in self.known or not word.isascii() or word.isdigit():
                out.append(word)
                continue
            fixed = self._fixed.get(word)
            if fixed is None:
                choices = self._choices.get(word[0], [])
                found = process.extractOne(
                    word, choices, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=TYPO_SIMILARITY
                )
                fixed = found[0] if found else word
                if len(self._fixed) < 50_000:
                    self._fixed[word] = fixed
            out.append(fixed)
        return " ".join(out)

    def normalize(self, text: str, typos: bool = True) -> str:
        """Prepared text with typos corrected and synonyms replaced by their one-token form."""
        prepared = _prepare(text)
        if typos:
            prepared = self.fix_typos(prepared)
        if self._pattern is not None and not prepared.isascii():
            prepared = self._pattern.sub(lambda m: f" {self.mapping[m.group(0)]} ", prepared)
        return " ".join(self._replace_phrases(prepared.split()))

    def tokens(self, normalized: str) -> list[str]:
        """Stems of the words; a CJK run no synonym explained stays one token (unknown to the index)."""
        return [self._stem(w) for w in _WORDS.findall(normalized)]

    def asked_levels(self, tokens: list[str]) -> frozenset[str]:
        """The title levels a question asks about: every level it names, but one it marks as held
        when it names another (after getting intermediate, how long until senior; from assistant
        to intermediate; senior with an intermediate title). Held: a ``before`` word among the few
        words before the mention, an ``after`` word right after it, or a ``steps`` word between it
        and the next other level. A level counts as held only when all its mentions are; a question
        whose every level looks held names them all, as without the rule."""
        mentions = [(i, self.level_tokens[t]) for i, t in enumerate(tokens) if t in self.level_tokens]
        named = frozenset(level for _, level in mentions)
        if len(named) < 2:
            return named
        held: set[int] = set()
        for k, (i, level) in enumerate(mentions):
            following = next((j for j, other in mentions[k + 1 :] if other != level), None)
            # the words before a mention stop at the previous one: "from" in "from assistant to
            # intermediate" marks assistant, not intermediate
            start = max(i - HELD_WINDOW, mentions[k - 1][0] + 1 if k else 0)
            if (
                any(t in self._held_before for t in tokens[start:i])
                or (i + 1 < len(tokens) and tokens[i + 1] in self._held_after)
                or (following is not None and any(t in self._held_steps for t in tokens[i + 1 : following]))
            ):
                held.add(i)
        asked = frozenset(level for i, level in mentions if i not in held)
        return asked or named

    def is_stopword(self, token: str) -> bool:
        return token in self.stopwords

    def content_tokens(self, tokens: list[str]) -> list[str]:
        return [t for t in tokens if t not in self.stopwords]
