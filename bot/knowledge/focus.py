"""The asking part of a long question: 您好，我是黄岛一家公司的，去年刚入职，想问一下评审费是在网上交
还是线下交 (or "Hi, I moved to Qingdao last year. How much is the review fee?") asks only its last
clause; the rest is the asker's situation.

Words of that situation which the knowledge base also uses (公司, 入职, 年) pull the ranking towards
other entries, and the words it does not use lower every entry's confidence, so such questions end
in the fallback although their asking clause alone is answered. The question is cut into clauses at
punctuation (and, in Chinese, spaces); a clause that holds a question word or mark asks, the others
tell. Chinese: ``question_marks`` in ``knowledge/asks.yaml`` (吗, 怎么, 哪, 多少, ？…), found anywhere
in the clause; English: ``question_words`` of ``knowledge/en/synonyms.yaml`` (how, when, where…)
anywhere, ``question_openers`` (can, do, is…) as the clause's first word, or a question mark. When
some clauses tell and the asking ones hold enough words to stand alone, the asking ones are the
question's *asking part*; a short ask takes the clause just before it along (获奖了但证书还没发下来，
只有个获奖通知，能用吗 → 只有个获奖通知，能用吗).

The matcher scores it beside the whole question; ``Matcher.decide`` answers it only when the whole
question gets no answer, the asking part does, and its entry is among the whole question's first
three (the situation does not contradict it). Such an answer is always guided: its header names
the question it answers, so the asker sees which part was answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: what separates the clauses of a Chinese question: punctuation and spaces (a question mark ends
#: its clause and stays in it; the enumeration comma 、 lists things inside one clause)
CHINESE_CLAUSES = re.compile(r"[，,。！!；;:：\s…~～]+|(?<=[？?])")
#: what separates the clauses of an English one: punctuation (a space separates words)
ENGLISH_CLAUSES = re.compile(r"[,.!;:…]+(?:\s+|$)|(?<=\?)")
#: the asking clauses need this many content characters (Chinese) to stand alone: 能报吗 or 可以吗
#: asks about what the other clauses tell
MIN_ASKING_CHARS = 5
#: the same in content words (English): "can I?" asks about what the others tell
MIN_ASKING_WORDS = 2

_WORD = re.compile(r"[a-z']+")


class AskingPart:
    """Built once per matcher: ``asks`` says whether a clause asks, ``content`` how much a text holds
    (in the matcher's unit), ``minimum`` how much the asking clauses must hold."""

    def __init__(
        self,
        asks: Callable[[str], bool] | None,
        content: Callable[[str], int],
        minimum: int,
        clauses: re.Pattern[str],
        joiner: str,
    ) -> None:
        self._asks = asks
        self._content = content
        self._minimum = minimum
        self._clauses = clauses
        self._joiner = joiner

    @classmethod
    def chinese(
        cls, marks: Iterable[str], prepare: Callable[[str], str], content_chars: Callable[[str], int]
    ) -> AskingPart:
        """``prepare``: the matcher's first step (simplified characters, lower case), so the marks
        are found in traditional characters too."""
        marks = tuple(marks)

        def asks(clause: str) -> bool:
            prepared = prepare(clause)
            return any(mark in clause or mark in prepared for mark in marks)

        return cls(asks if marks else None, content_chars, MIN_ASKING_CHARS, CHINESE_CLAUSES, "，")

    @classmethod
    def english(
        cls, words: Iterable[str], openers: Iterable[str], content_words: Callable[[str], int]
    ) -> AskingPart:
        anywhere, first = frozenset(words), frozenset(openers)

        def asks(clause: str) -> bool:
            found = _WORD.findall(clause.lower())
            return "?" in clause or bool(found and found[0] in first) or any(word in anywhere for word in found)

        return cls(asks if anywhere or first else None, content_words, MIN_ASKING_WORDS, ENGLISH_CLAUSES, ", ")

    def of(self, question: str) -> str | None:
        """The asking clauses of ``question`` joined, or None when it has no clause that only tells,
        asks nowhere, or asks in too few words to stand alone."""
        if self._asks is None:
            return None
        clauses = [c.strip() for c in self._clauses.split(question) if c and not c.isspace()]
        if len(clauses) < 2:
            return None
        kept = [i for i, c in enumerate(clauses) if self._asks(c)]
        if not kept or len(kept) == len(clauses):
            return None
        part = self._joiner.join(clauses[i] for i in kept)
        if self._content(part) < self._minimum and kept[0] > 0:
            # a short ask (能用吗) is about the clause just before it (只有个获奖通知)
            kept.insert(0, kept[0] - 1)
            if len(kept) == len(clauses):
                return None
            part = self._joiner.join(clauses[i] for i in kept)
        return part if self._content(part) >= self._minimum else None
