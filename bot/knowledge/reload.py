"""Staff publish new knowledge content; every running bot process swaps it in, or keeps the old.

The staff console writes the files (an accepted phrasing) and, when ``python -m bot check`` passes
on them, *publishes*: one ``content.publish`` row in the shared ``audit_log`` (who, when, and the
content's version, a hash of the files under ``knowledge/``). The audit log is the signal because
every process already reaches it, on one host or several sharing a PostgreSQL, and it keeps the
history of publications for free; no table, file or port of its own is needed.

Each process that answers users (``run``, ``web``) runs ``reload_job`` beside its updates: every
``POLL_SECONDS`` one indexed query (the newest ``content.publish`` id), never anything per message.
When a newer publication appears, the process loads and validates the content itself, in a worker
thread (the files may have changed again since the check), and swaps the knowledge feature's
answerer and personal cases in one assignment only when they load. If they do not, it keeps
answering with what it has and records ``content.load_failed`` with the problems (file:line:
reason); a success is recorded as ``content.loaded``. The console shows both.

What is swapped: the knowledge base (entries, synonyms, documents, levels) and the personal cases.
Texts, dialogs and rules are read at start-up and take effect when the processes restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import ContentError
from bot.knowledge.feature import KnowledgeFeature
from bot.knowledge.loader import KNOWLEDGE_DIR
from bot.storage.models import AuditEntry, add_audit

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.storage.db import Database

log = logging.getLogger(__name__)

PUBLISH = "content.publish"
LOADED = "content.loaded"
LOAD_FAILED = "content.load_failed"
#: how often a process looks for a newer publication (seconds)
POLL_SECONDS = 5.0
#: problems kept in a ``content.load_failed`` row
PROBLEMS_KEPT = 10


def content_version(root: Path) -> str:
    """A short hash of every knowledge file's path and bytes: equal content, equal version."""
    digest = hashlib.blake2b(digest_size=6)
    base = root / KNOWLEDGE_DIR
    for path in sorted(base.rglob("*.yaml")):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def publish(session: AsyncSession, now: datetime, version: str, actor: str) -> None:
    """Record a publication (in the caller's transaction): running processes will load the content."""
    add_audit(session, now, None, PUBLISH, version, actor=actor)


async def latest_publication(session: AsyncSession) -> int | None:
    """The id of the newest publication, or None (one indexed query)."""
    return await session.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.action == PUBLISH))


async def outcomes_since(session: AsyncSession, publication_id: int, limit: int = 20) -> list[AuditEntry]:
    """What the processes reported after a publication (``content.loaded`` / ``content.load_failed``)."""
    rows = await session.execute(
        select(AuditEntry)
        .where(AuditEntry.id > publication_id, AuditEntry.action.in_([LOADED, LOAD_FAILED]))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ContentReloader:
    """Swaps published content into one process's knowledge feature (see the module docstring)."""

    def __init__(self, feature: KnowledgeFeature, db: Database, clock: Clock) -> None:
        self.feature = feature
        self.db = db
        self.clock = clock
        self.seen: int | None = None

    async def start(self) -> None:
        """Take the newest publication as known: the content loaded at start-up is at least as new."""
        async with self.db.session() as session:
            self.seen = await latest_publication(session)

    async def tick(self) -> bool | None:
        """Look once: None when nothing new was published, else whether the new content loaded."""
        async with self.db.session() as session:
            latest = await latest_publication(session)
        if latest is None or (self.seen is not None and latest <= self.seen):
            return None
        self.seen = latest
        root = self.feature.services.content_root
        version = await asyncio.to_thread(content_version, root)
        details: dict[str, Any] = {"process": process_name(), "publication": latest}
        try:
            content = await asyncio.to_thread(self.feature.load_content)
        except ContentError as exc:
            problems = [str(p) for p in exc.problems[:PROBLEMS_KEPT]]
            log.warning("published content not loaded (%d problem(s)); still answering with the previous content",
                        len(exc.problems))
            async with self.db.session() as session:
                add_audit(session, self.clock.now(), None, LOAD_FAILED, version, problems=problems,
                          count=len(exc.problems), **details)
            return False
        self.feature.replace_content(*content)
        log.info("published content %s loaded", version)
        async with self.db.session() as session:
            add_audit(session, self.clock.now(), None, LOADED, version, **details)
        return True


async def reload_job(app, senders) -> None:  # noqa: ANN001 - App, dict[str, Sender]
    """The background job of a process that answers users: poll for publications until cancelled."""
    feature = app.conversation.free_text
    if not isinstance(feature, KnowledgeFeature):
        return
    reloader = ContentReloader(feature, app.db, app.services.clock)
    await reloader.start()
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            await reloader.tick()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next poll tries again
            log.warning("content reload check failed: %s", type(exc).__name__)
