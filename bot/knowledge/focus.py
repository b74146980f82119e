"""The asking part of a long question: 您好，我是黄岛一家公司的，去年刚入职，想问一下评审费是在网上交
还是线下交 asks only its last clause; the rest is the asker's situation.

Words of that situation which the knowledge base also uses (公司, 入职, 年) pull the ranking towards
other entries, and the words it does not use lower every entry's confidence, so such questions end
in the fallback although their asking clause alone is answered. The question is cut into clauses at
punctuation and spaces; a clause that holds a question word or mark (``question_marks`` in
``knowledge/asks.yaml``: 吗, 怎么, 哪, 多少, ？…) asks, the others tell. When some clauses tell and the
asking ones hold enough words to stand alone, the asking ones are the question's *asking part*.

The matcher scores it beside the whole question; ``Matcher.decide`` answers it only when the whole
question gets no answer, the asking part does, and its entry is among the whole question's first
three (the situation does not contradict it). Such an answer is always guided: its header names
the question it answers, so the asker sees which part was answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: what separates clauses: punctuation and spaces (a question mark ends its clause and stays in it;
#: the enumeration comma 、 lists things inside one clause)
_CLAUSE_END = re.compile(r"[，,。！!；;:：\s…~～]+|(?<=[？?])")
#: the asking clauses need this many content characters to stand alone: 能报吗 or 可以吗 asks
#: about what the other clauses tell
MIN_ASKING_CHARS = 5


class AskingPart:
    """Built once per matcher from the question words of ``knowledge/asks.yaml``."""

    def __init__(
        self, question_marks: Iterable[str], prepare: Callable[[str], str], content_chars: Callable[[str], int]
    ) -> None:
        """``prepare``: the matcher's first step (simplified characters, lower case); ``content_chars``:
        how many meaningful characters a text holds (the matcher's count)."""
        self._marks = tuple(question_marks)
        self._prepare = prepare
        self._content_chars = content_chars

    def _asks(self, clause: str) -> bool:
        prepared = self._prepare(clause)
        return any(mark in clause or mark in prepared for mark in self._marks)

    def of(self, question: str) -> str | None:
        """The asking clauses of ``question`` joined, or None when it has no clause that only tells,
        asks nowhere, or asks in too few words to stand alone."""
        if not self._marks:
            return None
        clauses = [c for c in _CLAUSE_END.split(question) if c and not c.isspace()]
        if len(clauses) < 2:
            return None
        asking = [c for c in clauses if self._asks(c)]
        if not asking or len(asking) == len(clauses):
            return None
        part = "，".join(asking)
        return part if self._content_chars(part) >= MIN_ASKING_CHARS else None
