"""Shared test helpers: build an App on a throw-away database and talk to it like a user."""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from bot.app import App, build_app
from bot.clock import LOCAL_TZ, FakeClock
from bot.core.messages import Inbound, Outbound
from bot.settings import load_settings
from bot.storage.db import Database

PG_URL = os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, object] = {}


def postgres_available() -> tuple[bool, str]:
    """Whether the local PostgreSQL answers; cached. Returns (ok, reason)."""
    if "ok" not in _pg_state:

        async def probe() -> None:
            db = Database(PG_URL)
            try:
                await asyncio.wait_for(db.ping(), timeout=3)
            finally:
                await db.dispose()

        try:
            asyncio.run(probe())
            _pg_state.update(ok=True, reason="")
        except Exception as exc:  # noqa: BLE001
            _pg_state.update(ok=False, reason=f"PostgreSQL at {PG_URL} does not answer: {type(exc).__name__}")
    return bool(_pg_state["ok"]), str(_pg_state["reason"])


@asynccontextmanager
async def pg_schema():
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    name = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.dispose()


def make_clock(moment: str = "2024-07-01T10:00:00") -> FakeClock:
    return FakeClock(datetime.fromisoformat(moment).replace(tzinfo=LOCAL_TZ))


async def make_app(backend: str, tmp_path: Path, clock: FakeClock | None = None, schema: str | None = None, **settings) -> App:
    """Build and migrate an App on SQLite (file under tmp_path) or PostgreSQL (given schema)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    else:
        url = PG_URL
    cfg = load_settings(database_url=url, **settings)
    app = build_app(cfg, clock=clock or make_clock())
    if schema:
        await app.services.db.dispose()
        app.services.db = Database(url, schema=schema)
    await app.start()
    return app


_update_ids = itertools.count(1)


class ChatUser:
    """Plays one user against the conversation core."""

    def __init__(self, app: App, user_id: str = "1001", channel: str = "test") -> None:
        self.app = app
        self.user_id = user_id
        self.channel = channel
        self.last: list[Outbound] = []

    def _inbound(self, **fields) -> Inbound:
        base = {"channel": self.channel, "user_id": self.user_id, "chat_id": self.user_id,
                "update_id": str(next(_update_ids))}
        base.update(fields)
        return Inbound(**base)

    async def say(self, text: str, **fields) -> list[Outbound]:
        self.last = await self.app.conversation.handle(self._inbound(kind="text", text=text, **fields))
        return self.last

    async def press(self, data: str) -> list[Outbound]:
        self.last = await self.app.conversation.handle(self._inbound(kind="callback", callback_data=data))
        return self.last

    async def press_label(self, label: str) -> list[Outbound]:
        """Press the button with this label among the last replies' buttons."""
        for reply in self.last:
            for row in reply.buttons:
                for button in row:
                    if button.text == label:
                        return await self.press(button.data)
        raise AssertionError(f"no button {label!r} in {[b.text for r in self.last for row in r.buttons for b in row]}")

    async def send(self, inbound_fields: dict) -> list[Outbound]:
        self.last = await self.app.conversation.handle(self._inbound(**inbound_fields))
        return self.last

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last if r.text)

    @property
    def button_labels(self) -> list[str]:
        return [b.text for r in self.last for row in r.buttons for b in row]

    @property
    def button_data(self) -> list[str]:
        return [b.data for r in self.last for row in r.buttons for b in row]


def _project_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL", "STAFF_IDS"}}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


PROJECT_ENV = _project_env()


def copy_content(root: Path) -> Path:
    """A writable copy of the repository's content (dialogs/, knowledge/, rules/) under ``root``,
    for tests that break one file and run the checks."""
    import shutil

    from bot.paths import PROJECT_ROOT

    for folder in ("dialogs", "knowledge", "rules"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    return root


#: a supergroup's chat id, as Telegram gives it
GROUP_CHAT_ID = "-1001234567890"


def in_group(user: ChatUser, chat_type: str = "supergroup") -> ChatUser:
    """The same person writing in a group chat."""
    member = ChatUser(user.app, user_id=user.user_id, channel=user.channel)
    original = member._inbound
    member._inbound = lambda **f: original(**({"chat_id": GROUP_CHAT_ID, "chat_type": chat_type} | f))  # type: ignore[method-assign]
    return member
