"""Composition root: builds every collaborator from settings, in one place.

Modules take their collaborators as arguments; tests build an ``App`` with a fake clock, a
temporary database or a fake sender by passing them here.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.content.office import load_office
from bot.content.texts import Texts
from bot.core.basics import BasicsFeature
from bot.core.context import Services
from bot.core.conversation import Conversation
from bot.core.feature import Feature, FreeTextHandler
from bot.core.sending import Sender
from bot.paths import content_root
from bot.settings import Settings, with_hash_salt
from bot.storage.db import SERVING_LOCK_WAIT, TOOL_LOCK_WAIT, Database


def text_files(root: Path) -> list[Path]:
    """All text files: the core's ``dialogs/texts.yaml`` first, then each feature's ``dialogs/texts_*.yaml``."""
    return [root / "dialogs" / "texts.yaml", *sorted((root / "dialogs").glob("texts_*.yaml"))]


BackgroundJob = Callable[["App", dict[str, Sender]], Awaitable[None]]


@dataclass
class App:
    """The assembled bot: services and the conversation core."""

    services: Services
    conversation: Conversation
    #: long-running jobs a channel process starts beside its update loop (outbox worker, scheduler);
    #: each is called with the app and the senders by channel name, and runs until cancelled
    background: list[BackgroundJob] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.services.db

    async def start(self) -> None:
        """Migrate the database (idempotent) before the first update is handled."""
        await self.services.db.upgrade()

    async def close(self) -> None:
        await self.services.db.dispose()


def build_features(services: Services) -> tuple[list[Feature], FreeTextHandler | None]:
    """Every feature in routing order, and the free-text answerer (the knowledge base).

    Each feature adds its lines here (imports inside, so unused features cost nothing).
    """
    features: list[Feature] = []
    free_text: FreeTextHandler | None = None
    from bot.knowledge.feature import KnowledgeFeature

    free_text = KnowledgeFeature(services)
    from bot.channels.web.feature import WebHistoryFeature

    features.append(WebHistoryFeature())
    from bot.status.feature import StatusFeature

    features.append(StatusFeature(services))
    from bot.eligibility.feature import EligibilityFeature

    features.append(EligibilityFeature(services))
    from bot.reminders.feature import RemindersFeature

    features.append(RemindersFeature(services))
    return features, free_text


def build_background(app: App) -> None:
    """Register background jobs (outbox worker, reminder scheduler, pruning of old update ids)."""
    from bot.outbox.worker import outbox_job
    from bot.reminders.jobs import register_background
    from bot.storage.housekeeping import prune_job

    if outbox_job not in app.background:
        app.background.append(outbox_job)
    register_background(app)
    if prune_job not in app.background:
        app.background.append(prune_job)


def build_app(settings: Settings, clock: Clock | None = None, root: Path | None = None, serving: bool = False) -> App:
    """Build the whole bot from settings; nothing here talks to a network.

    ``serving``: a long-running process answering users (run, web, chat). Its SQLite connections wait
    only briefly for another process's write lock and retry asynchronously (see ``bot.storage.db``).
    """
    root = root or content_root()
    settings = with_hash_salt(settings)
    services = Services(
        settings=settings,
        db=Database(settings.database_url, schema=settings.database_schema, lock_wait=SERVING_LOCK_WAIT if serving else TOOL_LOCK_WAIT),
        texts=Texts.load(text_files(root), root),
        office=load_office(root),
        clock=clock or SystemClock(),
        content_root=root,
    )
    basics = BasicsFeature()
    features, free_text = build_features(services)
    conversation = Conversation(services, [basics, *features], free_text=free_text)
    basics.bind(conversation)
    app = App(services=services, conversation=conversation)
    build_background(app)
    return app


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's message and traceback with ``***`` (records are rewritten
    in place, so every handler after this one sees the redacted text)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call: the handler reports it ("--- Logging error ---")
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def freeze_startup_objects() -> None:
    """Exclude everything built at start-up from later garbage collections.

    The knowledge index, texts, SQLAlchemy metadata and framework classes live as long as the
    process; without this every full collection walks them again (``gc.freeze``, Python ≥ 3.7).
    Call once, after the app and the channel are built and before the first update.
    """
    gc.collect()
    gc.freeze()


def configure_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Log lines to stderr; ``secrets`` (the bot token, the webhook secret) never appear in them.

    The frameworks put request URLs in their error messages, and a Bot API URL carries the token
    (aiogram logs "Failed to fetch updates - …/bot<token>/getUpdates" while Telegram is unreachable).
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hidden = tuple(s for s in secrets if s)
    if hidden:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactSecrets(hidden))
    for noisy in ("aiosqlite", "httpx", "httpcore", "alembic.runtime.migration", "bm25s", "aiogram.event", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
