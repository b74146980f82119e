"""The ``Sender`` for channel "web": a push becomes an inbox row, shown when the page next opens.

The outbox worker delivers to every channel through this interface, so reminders and broadcasts
reach web users without knowing about browsers. Sends are keyed by the outbox row's idempotency key:
a retry after an uncertain send (a crash between our commit and the worker's) finds the row it wrote.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.channels.web.models import WebInboxItem
from bot.clock import Clock
from bot.core.messages import Outbound
from bot.core.sending import PermanentFailure
from bot.storage.db import Database

_SESSION_KEY = re.compile(r"^w[0-9a-f]{32}$")


class WebInboxSender:
    """Writes pushes into ``web_inbox``; returns ``inbox:<row id>`` as the platform message id."""

    channel = "web"

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def send(self, chat_id: str, message: Outbound, idempotency_key: str | None = None) -> str | None:
        if not _SESSION_KEY.match(chat_id or ""):
            raise PermanentFailure("not a web session key")
        if not message.text and not message.buttons:
            raise PermanentFailure("empty message")
        if idempotency_key is not None:
            earlier = await self._find(idempotency_key)
            if earlier is not None:
                return earlier
        try:
            async with self.db.session() as session:
                row = WebInboxItem(
                    session_key=chat_id,
                    idempotency_key=idempotency_key,
                    payload=message.model_dump(mode="json", exclude={"document"}),
                    created_at=self.clock.now(),
                )
                session.add(row)
                await session.flush()
                return f"inbox:{row.id}"
        except IntegrityError:  # the same push written a moment ago by another worker
            earlier = await self._find(idempotency_key or "")
            if earlier is None:
                raise
            return earlier

    async def _find(self, key: str) -> str | None:
        async with self.db.session() as session:
            found = await session.execute(select(WebInboxItem.id).where(WebInboxItem.idempotency_key == key))
            ident = found.scalar_one_or_none()
        return None if ident is None else f"inbox:{ident}"
