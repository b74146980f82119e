"""Test doubles for the delivery engine: a scriptable fake ``Sender`` and row/user factories."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from bot.core.messages import Outbound
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import enqueue
from bot.status.models import Application, Binding, Unit
from bot.storage.models import User


class FakeSender:
    """Records every send; ``script[chat]`` lists exceptions to raise on that chat's next sends."""

    channel = "telegram"

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.calls: list[tuple[float, str]] = []
        self.script: dict[str, list[Exception]] = defaultdict(list)
        self.delay = delay
        self._ids = 0

    async def send(self, chat_id: str, message: Outbound, idempotency_key: str | None = None) -> str:
        loop = asyncio.get_running_loop()
        self.calls.append((loop.time(), chat_id))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script.get(chat_id):
            raise self.script[chat_id].pop(0)
        self._ids += 1
        self.sent.append((chat_id, message.text, idempotency_key))
        return str(self._ids)

    async def edit(self, chat_id: str, message_id: str, message: Outbound) -> str:
        self.sent.append((chat_id, f"[edit {message_id}] {message.text}", None))
        return message_id

    def texts_to(self, chat_id: str) -> list[str]:
        return [text for chat, text, _ in self.sent if chat == chat_id]


async def make_users(app, count: int, channel: str = "telegram", start: int = 1, role: str = "applicant",
                     language: str = "zh") -> list[User]:
    now = app.services.clock.now()
    users = []
    async with app.db.session() as session:
        for i in range(start, start + count):
            user = User(channel=channel, external_id=str(i), chat_id=str(i), role=role, language=language,
                        active=True, blocked=False, created_at=now, last_seen_at=now)
            session.add(user)
            users.append(user)
        await session.flush()
    return users


async def bind_users(app, users: list[User], number: str = "SD2024-900001", unit: str = "绑定测试单位") -> None:
    """Bind ``users`` to one new application (of a new unit), as ``/bind`` would: they become the
    applicants the broadcast segment "applicants" holds."""
    now = app.services.clock.now()
    async with app.db.session() as session:
        unit_row = Unit(name=unit, created_at=now)
        session.add(unit_row)
        await session.flush()
        application = Application(number=number, level="intermediate", unit_id=unit_row.id, applicant_name="申报人",
                                  id_tail_hash="x", state="accepted", state_at=now, created_at=now, updated_at=now)
        session.add(application)
        await session.flush()
        session.add_all([Binding(user_id=u.id, application_id=application.id, created_at=now) for u in users])


async def push(app, user: User, text: str, key: str | None = None, urgent: bool = False,
               not_before: datetime | None = None, kind: str = "notice", broadcast_id: int | None = None) -> None:
    async with app.db.session() as session:
        await enqueue(session, user=user, message=Outbound(text=text), key=key or f"t:{user.id}:{text}",
                      kind=kind, now=app.services.clock.now(), urgent=urgent, not_before=not_before,
                      broadcast_id=broadcast_id)


async def states(app) -> dict[str, int]:
    async with app.db.session() as session:
        rows = await session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
        return dict(rows.all())


async def row_by_key(app, key: str) -> OutboxMessage:
    async with app.db.session() as session:
        return (await session.execute(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))).scalar_one()
