"""The asking part of a long question: 您好，我是黄岛一家公司的，去年刚入职，想问一下评审费是在网上交
还是线下交 asks only its last clause; the rest is the asker's situation.

Words of that situation which the knowledge base also uses (公司, 入职, 年) pull the ranking towards
other entries, and the words it does not use lower every entry's confidence, so such questions end
in the fallback although their asking clause alone is answered. The question is cut into clauses at
punctuation and spaces; a clause that holds a question word or mark (``question_marks`` in
``knowledge/asks.yaml``: 吗, 怎么, 哪, 多少, ？…, anywhere in the clause) asks, the others tell. When
some clauses tell and the asking ones hold enough words to stand alone, the asking ones are the
question's *asking part*; a short ask takes the clause just before it along (获奖了但证书还没发下来，
只有个获奖通知，能用吗 → 只有个获奖通知，能用吗).

English questions have no asking part. Tried with question words and openers (how, when…; can,
do…): in English the telling clause is usually who the asker is ("I retired last year. When is the
deadline?", "Our company has no HR department, who checks the materials?"), which changes the
answer, and the asking part alone answered two of four such questions wrongly while changing no
answer of the English dev, tuning and search sets.

The matcher scores it beside the whole question; ``Matcher.decide`` answers it only when the whole
question gets no answer, the asking part does, and its entry is among the whole question's first
three (the situation does not contradict it). Such an answer is always guided: its header names
the question it answers, so the asker sees which part was answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: what separates the clauses of a question: punctuation and spaces (a question mark ends
#: its clause and stays in it; the enumeration comma 、 lists things inside one clause)
CLAUSES = re.compile(r"[，,。！!；;:：\s…~～]+|(?<=[？?])")
#: the asking clauses need this many content characters to stand alone: 能报吗 or 可以吗
#: asks about what the other clauses tell
MIN_ASKING_CHARS = 5


class AskingPart:
    """Built once per matcher from the question marks of ``knowledge/asks.yaml``."""

    def __init__(
        self, marks: Iterable[str], prepare: Callable[[str], str], content_chars: Callable[[str], int]
    ) -> None:
        """``prepare``: the matcher's first step (simplified characters, lower case), so the marks are
        found in traditional characters too; ``content_chars``: how many meaningful characters a text
        holds (the matcher's count)."""
        self._marks = tuple(marks)
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
        clauses = [c.strip() for c in CLAUSES.split(question) if c and not c.isspace()]
        if len(clauses) < 2:
            return None
        kept = [i for i, c in enumerate(clauses) if self._asks(c)]
        if not kept or len(kept) == len(clauses):
            return None
        part = "，".join(clauses[i] for i in kept)
        if self._content_chars(part) < MIN_ASKING_CHARS and kept[0] > 0:
            # a short ask (能用吗) is about the clause just before it (只有个获奖通知)
            kept.insert(0, kept[0] - 1)
            if len(kept) == len(clauses):
                return None
            part = "，".join(clauses[i] for i in kept)
        return part if self._content_chars(part) >= MIN_ASKING_CHARS else None
