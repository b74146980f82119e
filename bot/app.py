"""Composition root: builds every collaborator from settings, in one place.

Modules take their collaborators as arguments; tests build an ``App`` with a fake clock, a
temporary database or a fake sender by passing them here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.feature import FeatureModule, resolve

if TYPE_CHECKING:  # the heavy modules load in ``build_app``, so ``--help`` reads MODULES cheaply
    from bot.cli_common import AppBuilder
    from bot.clock import Clock
    from bot.content.loader import ContentProblem
    from bot.core.context import Services
    from bot.core.conversation import Conversation
    from bot.core.sending import Sender
    from bot.settings import Settings
    from bot.storage.db import Database

#: every feature module (``<package>.module:module``), in routing order: the one list to extend,
#: one line per feature
MODULE_PATHS: tuple[str, ...] = (
    "bot.core.module",
    "bot.channels.web.module",
    "bot.console.module",
    "bot.status.module",
    "bot.eligibility.module",
    "bot.reminders.module",
    "bot.knowledge.module",
    "bot.outbox.module",
)
MODULES: tuple[FeatureModule, ...] = tuple(resolve(f"{path}:module") for path in MODULE_PATHS)

BackgroundJob = Callable[["App", dict[str, "Sender"]], Awaitable[None]]


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

    def check_content(self) -> dict[str, list[ContentProblem]]:
        """``python -m bot check`` on this app's content: problems by area (the console's reload runs it
        before publishing; blocking, so call it in a worker thread)."""
        from bot.content.check import run_checks

        return run_checks(self.services.content_root, content_checkers())

    @contextlib.asynccontextmanager
    async def background_running(
        self, senders: dict[str, Sender], extra: Iterable[Coroutine[object, object, None]] = ()
    ) -> AsyncIterator[None]:
        """Run the background jobs (plus a channel's own ``extra`` loops) while the block runs.

        Every channel process starts and stops its jobs the same way: on leaving the block the jobs
        are cancelled and awaited (a job's failure must not hide the reason for leaving), then every
        sender that holds a connection is closed.
        """
        tasks = [asyncio.create_task(job(self, senders)) for job in self.background]
        tasks.extend(asyncio.create_task(coro) for coro in extra)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for sender in senders.values():
                close = getattr(sender, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        await close()


def import_models(modules: Iterable[FeatureModule] = MODULES) -> None:
    """Import every module that defines tables, so ``Base.metadata`` is complete (Alembic, tests)."""
    import importlib

    for module in modules:
        for name in module.models:
            importlib.import_module(name)


def content_checkers(modules: Iterable[FeatureModule] = MODULES) -> dict[str, Callable[[Path], list[ContentProblem]]]:
    """Every module's content checkers by name (``python -m bot check``); the dialog linter learns
    the actions the modules declare."""
    from functools import partial

    from bot.dialogs.linter import check_dialogs

    modules = tuple(modules)
    actions = frozenset().union(*(module.dialog_actions for module in modules))
    checkers: dict[str, Callable[[Path], list[ContentProblem]]] = {}
    for module in modules:
        for name, ref in module.checks.items():
            checker = resolve(ref)
            checkers[name] = partial(check_dialogs, actions=actions) if checker is check_dialogs else checker
    return checkers


def register_commands(typer_app: object, build_app_or_exit: AppBuilder, modules: Iterable[FeatureModule] = MODULES) -> None:
    """Add every module's command-line commands to the typer app; commands that need the whole bot
    build it with ``build_app_or_exit`` (handed in, so no feature imports the composition root)."""
    for module in modules:
        for ref in module.cli:
            resolve(ref)(typer_app, build_app_or_exit)


def menu_keys(modules: Iterable[FeatureModule] = MODULES) -> tuple[str, ...]:
    """The main menu's keys in button order."""
    entries = [entry for module in modules for entry in module.menu]
    return tuple(entry.key for entry in sorted(entries, key=lambda entry: entry.position))


def build_app(
    settings: Settings,
    clock: Clock | None = None,
    root: Path | None = None,
    serving: bool = False,
    modules: Iterable[FeatureModule] = MODULES,
) -> App:
    """Build the whole bot from settings; nothing here talks to a network.

    ``serving``: a long-running process answering users (run, web, chat). Its SQLite connections wait
    only briefly for another process's write lock and retry asynchronously (see ``bot.storage.db``).
    ``modules``: the features to assemble (tests add a toy one).
    """
    from bot.clock import SystemClock
    from bot.content.office import load_office
    from bot.content.texts import Texts, text_files
    from bot.core.basics import BasicsFeature
    from bot.core.context import Services
    from bot.core.conversation import Conversation
    from bot.paths import content_root
    from bot.reference.cycles import CycleCalendar
    from bot.settings import with_hash_salt
    from bot.storage.db import SERVING_LOCK_WAIT, TOOL_LOCK_WAIT, Database

    modules = tuple(modules)
    root = root or content_root()
    settings = with_hash_salt(settings)
    services = Services(
        settings=settings,
        db=Database(settings.database_url, schema=settings.database_schema, lock_wait=SERVING_LOCK_WAIT if serving else TOOL_LOCK_WAIT),
        texts=Texts.load(text_files(root), root),
        office=load_office(root),
        clock=clock or SystemClock(),
        cycles=CycleCalendar.load(root),
        content_root=root,
    )
    basics = BasicsFeature()
    features, free_text = [], None
    for module in modules:
        if module.build is None:
            continue
        feature = resolve(module.build)(services)
        if module.answers_free_text:
            free_text = feature
        else:
            features.append(feature)
    conversation = Conversation(services, [basics, *features], free_text=free_text, menu_keys=menu_keys(modules))
    basics.bind(conversation)
    app = App(services=services, conversation=conversation)
    for module in modules:
        app.background.extend(resolve(job) for job in module.jobs)
    return app
