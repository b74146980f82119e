"""The knowledge base for staff: what goes unanswered, which answers get 👎, phrasings to learn, and
the "reload content" button.

Accepting a candidate is ``python -m bot kb learn --accept``'s work (``bot.knowledge.curation``):
the text is appended to the entry's YAML with the file's formatting kept, or refused with the
reason. It changes the files only; the running bot answers with them after "reload content", which
runs every check of ``python -m bot check`` and publishes the content only when all pass
(``bot.knowledge.reload`` describes the signal and how each bot process swaps the content in or
keeps the old one).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select

from bot.console.routing import NavItem, Route, signed_in
from bot.content.loader import ContentError, ContentProblem
from bot.core.sanitize import small_number
from bot.knowledge import curation
from bot.knowledge.feedback import top_gaps, vote_totals
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import PhrasingCandidate
from bot.knowledge.reload import PUBLISH, content_version, outcomes_since, publish
from bot.knowledge.runtime import load_runtime
from bot.storage.models import AuditEntry

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.console.server import Console

NAV = (NavItem("knowledge", "/knowledge", 50),)
ROWS = 30
#: the reasons ``curation.Refused`` names (``key``), each worded as ``console.knowledge.refused.<key>``
REFUSALS = ("gone", "invalid_kb", "no_entry", "length", "masked", "empty", "duplicate", "not_valid", "other")


@dataclass(frozen=True)
class DownVoted:
    entry_id: str
    question: str | None
    up: int
    down: int


class KnowledgePages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.root = console.services.content_root
        #: one writer of the knowledge files and one check run at a time in this process
        self.files = asyncio.Lock()

    async def kb(self) -> KnowledgeBase | None:
        try:
            return (await asyncio.to_thread(load_runtime, self.root)).kb
        except ContentError:
            return None

    async def context(self, session: AsyncSession, kb: KnowledgeBase | None) -> dict[str, object]:
        gaps, gap_total = await top_gaps(session, ROWS)
        candidates, candidate_total = await curation.list_candidates(session, kb, ROWS)
        by_id = kb.by_id if kb is not None else {}
        votes = [DownVoted(entry_id, by_id[entry_id].question if entry_id in by_id else None, up, down)
                 for entry_id, (up, down) in (await vote_totals(session)).items() if down]
        votes.sort(key=lambda v: (-v.down, v.up, v.entry_id))
        published = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == PUBLISH).order_by(AuditEntry.id.desc()).limit(1))
        outcomes = await outcomes_since(session, published.id) if published is not None else []
        return {"gaps": gaps, "gap_total": gap_total, "candidates": candidates, "candidate_total": candidate_total,
                "votes": votes[:ROWS], "published": published, "outcomes": outcomes, "kb_ok": kb is not None}

    async def show(self, request: web.Request, status: int = 200, message: str = "", error: str = "",
                   problems: list[tuple[str, ContentProblem]] | None = None) -> web.Response:
        kb = await self.kb()
        async with self.console.db() as session:
            values = await self.context(session, kb)
        return self.console.render(request, "knowledge.html", status=status, message=message, error=error,
                                   problems=problems or [], **values)

    async def page(self, request: web.Request) -> web.StreamResponse:
        return await self.show(request)

    async def accept(self, request: web.Request) -> web.StreamResponse:
        candidate_id = small_number(request.match_info["id"])
        async with self.console.db() as session:
            row = await session.get(PhrasingCandidate, candidate_id) if candidate_id is not None else None
            entry_id, text = (row.entry_id, row.text) if row is not None else ("", "")
        if row is None:
            return await self.show(request, 404, error=self.console.t("console.knowledge.refused.gone"))
        try:
            async with self.files:  # the file is written outside any transaction: no writer turn held
                path = await asyncio.to_thread(curation.add_phrasing, self.root, entry_id, text)
        except curation.Refused as exc:
            key = exc.key if exc.key in REFUSALS else "other"
            return await self.show(request, 409, error=self.console.t(f"console.knowledge.refused.{key}", **exc.values))
        async with self.console.db() as session:
            await curation.reject(session, [row.id])  # the candidate is used up
            self.console.audit(session, request, "knowledge_accept", target=entry_id,
                               details={"candidate": row.id, "file": path.name})
        return await self.show(request, message=self.console.t("console.knowledge.accepted", text=text, file=path.name))

    async def reject(self, request: web.Request) -> web.StreamResponse:
        candidate_id = small_number(request.match_info["id"])
        async with self.console.db() as session:
            gone = await curation.reject(session, [candidate_id]) if candidate_id is not None else []
            if gone:
                self.console.audit(session, request, "knowledge_reject", target=str(candidate_id))
        if not gone:
            return await self.show(request, 404, error=self.console.t("console.knowledge.refused.gone"))
        return await self.show(request, message=self.console.t("console.knowledge.rejected"))

    async def reload(self, request: web.Request) -> web.StreamResponse:
        """Run ``check`` on the content; publish it only when every area passes."""
        async with self.files:
            results = await asyncio.to_thread(self.console.app.check_content)
            problems = [(area, problem) for area, found in results.items() for problem in found]
            version = await asyncio.to_thread(content_version, self.root) if not problems else ""
        async with self.console.db() as session:
            if not problems:
                publish(session, self.console.now(), version, actor=f"console:{signed_in(request).account.login}")
            self.console.audit(session, request, "knowledge_reload", target=version,
                               details={"ok": not problems, "problems": len(problems)})
        if problems:
            return await self.show(request, 422, error=self.console.t("console.knowledge.reload_failed", count=len(problems)),
                                   problems=problems)
        return await self.show(request, message=self.console.t("console.knowledge.reload_published", version=version))


def routes(console: Console) -> list[Route]:
    pages = KnowledgePages(console)
    return [
        Route("GET", "/knowledge", pages.page),
        Route("POST", r"/knowledge/candidates/{id:\d+}/accept", pages.accept),
        Route("POST", r"/knowledge/candidates/{id:\d+}/reject", pages.reject),
        Route("POST", "/knowledge/reload", pages.reload),
    ]
