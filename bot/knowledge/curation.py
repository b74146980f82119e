"""``python -m bot kb learn``: staff turn phrasing candidates into entry phrasings, or drop them.

Candidates come from the chat (``bot.knowledge.learning``). Accepting one appends its text to the
entry's ``alternatives`` in ``knowledge/entries/*.yaml`` through ruamel.yaml's round-trip mode, so
the file keeps its comments, key order, quoting and block style: the change is one added line. The
text is refused (and the candidate kept) when it is too short or too long, holds a masked number,
already normalises like a phrasing of some entry, or the knowledge base would not validate with it
(then the file is restored byte for byte).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import ContentError
from bot.core.sanitize import MASK
from bot.knowledge.learning import PHRASING_MAX, PHRASING_MIN
from bot.knowledge.loader import KnowledgeBase, collect, entry_files, load_knowledge
from bot.knowledge.models import PhrasingCandidate
from bot.knowledge.normalize import Normalizer


class Refused(Exception):
    """The candidate cannot become a phrasing; the message says why (the command line shows it).

    ``key`` and ``values`` name the same reason for pages in Chinese (the staff console words it as
    ``console.knowledge.refused.<key>``)."""

    def __init__(self, message: str, key: str = "other", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class CandidateRow:
    id: int
    count: int
    text: str
    entry_id: str
    entry_question: str | None  # None when the entry no longer exists


async def list_candidates(session: AsyncSession, kb: KnowledgeBase | None, limit: int) -> tuple[list[CandidateRow], int]:
    """The most frequent candidates first (then the most recent), and how many there are."""
    rows = (
        await session.execute(
            select(PhrasingCandidate)
            .order_by(PhrasingCandidate.count.desc(), PhrasingCandidate.last_at.desc(), PhrasingCandidate.id)
            .limit(limit)
        )
    ).scalars().all()
    total = (await session.execute(select(func.count()).select_from(PhrasingCandidate))).scalar_one()
    by_id = kb.by_id if kb is not None else {}
    out = [
        CandidateRow(r.id, r.count, r.text, r.entry_id, by_id[r.entry_id].question if r.entry_id in by_id else None)
        for r in rows
    ]
    return out, int(total)


async def reject(session: AsyncSession, ids: list[int]) -> list[int]:
    """Delete these candidates; returns the ids that existed."""
    found = list((await session.execute(select(PhrasingCandidate.id).where(PhrasingCandidate.id.in_(ids)))).scalars())
    if found:
        await session.execute(delete(PhrasingCandidate).where(PhrasingCandidate.id.in_(found)))
    return sorted(found)


async def accept(session: AsyncSession, root: Path, candidate_id: int) -> tuple[PhrasingCandidate, Path]:
    """Write one candidate into its entry's file and delete it; ``Refused`` says why not."""
    row = await session.get(PhrasingCandidate, candidate_id)
    if row is None:
        raise Refused("no such candidate", "gone")
    path = add_phrasing(root, row.entry_id, row.text)
    await session.delete(row)
    await session.flush()
    return row, path


def _yaml():  # noqa: ANN202
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long answer line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def phrasing_problem(kb: KnowledgeBase, entry_id: str, text: str) -> Refused | None:
    """Why ``text`` cannot be added to the entry, or None."""
    if entry_id not in kb.by_id:
        return Refused(f"entry {entry_id!r} no longer exists", "no_entry", entry=entry_id)
    if not PHRASING_MIN <= len(text) <= PHRASING_MAX:
        return Refused(f"the text has {len(text)} characters; a phrasing has {PHRASING_MIN} to {PHRASING_MAX}",
                       "length", length=len(text), min=PHRASING_MIN, max=PHRASING_MAX)
    if MASK in text:
        return Refused("the text contains a masked number", "masked")
    normalizer = Normalizer(kb.synonyms)
    key = normalizer.compact(normalizer.normalize(text))
    if not key:
        return Refused("the text normalises to nothing (only fillers or punctuation)", "empty")
    for entry in kb.entries:
        for question in entry.questions:
            if normalizer.compact(normalizer.normalize(question)) == key:
                return Refused(f"the text is already a phrasing of {entry.id} ({question!r})", "duplicate",
                               entry=entry.id, question=question)
    return None


def add_phrasing(root: Path, entry_id: str, text: str) -> Path:
    """Append ``text`` to the entry's alternatives, keeping the file's formatting; returns the file."""
    text = " ".join(text.split())
    try:
        kb = load_knowledge(root)
    except ContentError as exc:
        raise Refused(f"the knowledge base is invalid already (run `python -m bot check`): {len(exc.problems)} problem(s)",
                      "invalid_kb", count=len(exc.problems)) from exc
    problem = phrasing_problem(kb, entry_id, text)
    if problem:
        raise problem
    entry_id = kb.by_id[entry_id].id  # a candidate kept for an entry since merged goes to its successor
    yaml = _yaml()
    for path in entry_files(root):
        original = path.read_bytes()
        data = yaml.load(original.decode("utf-8"))
        entries = data.get("entries") if hasattr(data, "get") else None
        target = next((e for e in entries or [] if hasattr(e, "get") and e.get("id") == entry_id), None)
        if target is None:
            continue
        target["alternatives"].append(text)
        out = io.StringIO()
        yaml.dump(data, out)
        path.write_text(out.getvalue(), encoding="utf-8")
        _kb, problems = collect(root)
        if problems:
            path.write_bytes(original)
            raise Refused("the knowledge base would not validate: " + "; ".join(str(p) for p in problems[:3]),
                          "not_valid", problems="；".join(str(p) for p in problems[:3]))
        return path
    raise Refused(f"entry {entry_id!r} was not found in {root / 'knowledge' / 'entries'}", "no_entry", entry=entry_id)
