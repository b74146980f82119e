"""What a question asks for — a fee, a date, a place, a contact, materials, eligibility, a
procedure, a definition — read from its interrogative words, and how an entry fits that.

Entries that share a topic differ mostly in what they answer about it: 评审费多少 and 评审费怎么交
share every content word but one, and text similarity alone often ranks the wrong one first. The
interrogative words (多少钱, 什么时候, 交到哪, 电话, 要什么材料, 能不能, 怎么, 是什么) say which.
Their cue words live in ``knowledge/asks.yaml``; an entry declares the ask types it answers
(``asks:`` in ``knowledge/entries/*.yaml``) or, by default, gets those its standard question
shows and those a third of its phrasings show.

Cues are found in the *normalised* text (after synonyms, so 多少钱 and 费用 are one form) by plain
substring search, as the level words are. The fit is graded: the share of the question's ask types
the entry answers, mapped to −1 (none) … +1 (all); a question or an entry without an ask type is
neutral. The matcher adds it (times ``weights.ask_rank``) to the rank only, never to the
confidence, which keeps meaning the share of the question the entry explains.

An entry that only compares (区别, 哪个好: an ask type marked ``exclusive``) answers no question
that does not ask for a comparison, though it explains a bare 破格 as well as the entry about 破格
does: the matcher moves it down by ``weights.exclusive_rank``.
"""

from __future__ import annotations

from collections import Counter

from bot.knowledge.normalize import Normalizer
from bot.knowledge.schema import AsksFile, Entry

#: an entry answers an ask type its standard question does not show when this share of its
#: alternative phrasings shows it (评审表怎么送交 is also asked as 评审表交到哪里)
PHRASING_SHARE = 1 / 3


class AskDetector:
    """Built once per matcher from ``knowledge/asks.yaml``."""

    def __init__(self, asks: AsksFile | None, normalizer: Normalizer) -> None:
        asks = asks or AsksFile()
        self.ids = tuple(a.id for a in asks.asks)
        self._normalizer = normalizer
        #: per ask type: its cues and the longer words that hide a cue (是什么时候 is no definition)
        self._cues: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
            (ask.id, self._keys(ask.cues), self._keys(ask.not_cues)) for ask in asks.asks
        ]
        self.exclusive = frozenset(a.id for a in asks.asks if a.exclusive)

    def _keys(self, words: list[str]) -> tuple[str, ...]:
        keys = (self._normalizer.compact(self._normalizer.normalize(w)) for w in words)
        return tuple(k for k in keys if k)

    def find(self, normalized: str) -> frozenset[str]:
        """The ask types a normalised text shows."""
        compact = self._normalizer.compact(normalized)
        found = set()
        for ask, cues, hidden in self._cues:
            text = compact
            for word in hidden:
                text = text.replace(word, " ")
            if any(cue in text for cue in cues):
                found.add(ask)
        return frozenset(found)

    def of_entry(self, entry: Entry, normalized: list[str] | None = None) -> frozenset[str]:
        """What an entry answers: its declared ask types, else those of its standard question and
        those a third of its alternatives show. ``normalized``: the entry's questions (standard
        first) already normalised, as the matcher has them."""
        if entry.asks:
            return frozenset(entry.asks)
        if normalized is None:
            normalized = [self._normalizer.normalize(q) for q in entry.questions]
        found = set(self.find(normalized[0])) if normalized else set()
        alternatives = normalized[1:]
        counts = Counter(a for q in alternatives for a in self.find(q))
        found.update(a for a, n in counts.items() if n >= PHRASING_SHARE * len(alternatives))
        return frozenset(found)


def answers_other(question: frozenset[str], entry: frozenset[str], exclusive: frozenset[str]) -> bool:
    """The entry answers only ``exclusive`` asks (a comparison) and the question asks none of them."""
    return bool(entry) and entry <= exclusive and not question & entry


def ask_fit(question: frozenset[str], entry: frozenset[str], exclusive: frozenset[str] = frozenset()) -> float:
    """−1 … +1: how much of what the question asks the entry answers; 0 when either says nothing.
    An ``exclusive`` ask (a comparison) only counts for entries that answer it: where no entry
    compares, the one that explains both things is still the answer (主管部门和呈报部门区别)."""
    if not entry & exclusive:
        question = question - exclusive
    if not question or not entry:
        return 0.0
    return 2.0 * len(question & entry) / len(question) - 1.0
