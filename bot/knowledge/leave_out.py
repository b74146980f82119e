"""Score dev questions as if the knowledge base had never seen them (``kb eval --leave-out``).

A tuning question whose miss was fixed by adding it, or a close variant of it, as a phrasing is
then answered as a near-verbatim match: the tuning sets end up measuring how well the phrasings were
written for them, not how the matcher does on a question nobody wrote a phrasing for. Measured
that way, thresholds come out stricter than unseen questions can clear (the tuning half of the real
phrasings went to 89.8 % direct right while the held-out half, asked by the same kind of people,
stayed at 50 %). Leaving out, for each question, every phrasing close to it (of any entry) gives the
figures and the confidences an unseen question of that kind gets, so calibration can be run on
them too.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from rapidfuzz import fuzz, process

from bot.knowledge.evaluate import Case, DevQuestion, case_of
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.matcher import Matcher

#: a phrasing this similar to the question (rapidfuzz ratio of the normalised texts without spaces)
#: counts as written from it: the question itself, with a filler or a typo more or less, or reordered
#: words (工程师职称评定条件费用 / 职称评定条件和费用)
LEAVE_OUT_RATIO = 80.0

#: (entry index, phrasing index) pairs a question leaves out
Left = frozenset[tuple[int, int]]


def _key(matcher: Matcher, text: str) -> str:
    """What two texts are compared by: normalised (synonyms, fillers, traditional characters), without
    spaces; the same for the Chinese and the English matcher."""
    return "".join(matcher.normalizer.normalize(text).split())


def phrasing_keys(matcher: Matcher) -> dict[tuple[int, int], str]:
    """Every phrasing's comparison key, by (entry index, phrasing index; 0 is the standard question)."""
    return {(e, p): _key(matcher, q) for e, entry in enumerate(matcher.kb.entries) for p, q in enumerate(entry.questions)}


def near_phrasings(
    matcher: Matcher, question: str, ratio: float = LEAVE_OUT_RATIO, keys: dict[tuple[int, int], str] | None = None
) -> Left:
    """The phrasings of every entry close to ``question``; ``keys``: ``phrasing_keys(matcher)``, when
    the caller asks for many questions (normalising every phrasing again for each is the slow part)."""
    choices = keys if keys is not None else phrasing_keys(matcher)
    found = process.extract(_key(matcher, question), choices, scorer=fuzz.ratio, score_cutoff=ratio, limit=None)
    return frozenset(key for _, _, key in found)


def without(kb: KnowledgeBase, left: Left) -> KnowledgeBase:
    """A copy of ``kb`` without the phrasings ``left``; an entry keeps at least one phrasing (its
    answer still has to be findable), its first remaining one as its standard question."""
    gone: dict[int, set[int]] = defaultdict(set)
    for entry_index, phrasing_index in left:
        gone[entry_index].add(phrasing_index)
    entries = []
    for index, entry in enumerate(kb.entries):
        if index not in gone:
            entries.append(entry)
            continue
        kept = [q for p, q in enumerate(entry.questions) if p not in gone[index]] or [entry.question]
        entries.append(entry.model_copy(update={"question": kept[0], "alternatives": kept[1:]}))
    return dataclasses.replace(kb, entries=entries)


def score_left_out(
    matcher: Matcher, pairs: list[tuple[str, DevQuestion]], ratio: float = LEAVE_OUT_RATIO
) -> tuple[list[Case], dict[str, int]]:
    """Cases scored each by a matcher without the phrasings near its question (one matcher per
    distinct set left out; most questions share the full one), and counts for the report: how many
    questions left something out and how many phrasings that was in all."""
    groups: dict[Left, list[int]] = defaultdict(list)
    keys = phrasing_keys(matcher)
    for i, (_, item) in enumerate(pairs):
        groups[near_phrasings(matcher, item.q, ratio, keys)].append(i)
    cases: dict[int, Case] = {}
    for left, members in groups.items():
        scorer = matcher if not left else type(matcher)(without(matcher.kb, left), matcher.normalizer, matcher.config, memory=0)
        for i in members:
            source, item = pairs[i]
            cases[i] = case_of(matcher, source, item, scorer.score(item.q))
    stats = {
        "questions_leaving_out": sum(len(m) for left, m in groups.items() if left),
        "phrasings_left_out": len(set().union(*groups)) if groups else 0,
    }
    return [cases[i] for i in range(len(pairs))], stats
