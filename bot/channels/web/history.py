"""Recent history per browser session, and moving inbox items into it when the page opens.

The conversation state lives in the core's tables; this history only lets a reloaded or reconnected
page show what was said. It is bounded per session (older entries are trimmed on every write) and in
time (a background job purges entries older than the retention period).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.web.models import WebInboxItem, WebMessage
from bot.core.messages import Outbound

#: days a history entry is kept (older ones are purged by a background job of the web server)
RETENTION_DAYS = 30


def payload_of(message: Outbound) -> dict[str, Any]:
    """What the page needs of a reply: its text and its buttons (documents are not offered on the web)."""
    return {
        "text": message.text,
        "buttons": [[{"text": b.text, "data": b.data} for b in row] for row in message.buttons],
    }


async def load(session: AsyncSession, key: str, limit: int) -> list[WebMessage]:
    """The newest ``limit`` entries, oldest first."""
    rows = await session.execute(
        select(WebMessage).where(WebMessage.session_key == key).order_by(WebMessage.id.desc()).limit(limit)
    )
    return list(reversed(rows.scalars().all()))


async def count(session: AsyncSession, key: str) -> int:
    result = await session.execute(select(func.count()).select_from(WebMessage).where(WebMessage.session_key == key))
    return int(result.scalar_one())


async def replies_to(session: AsyncSession, key: str, client_id: str) -> list[WebMessage] | None:
    """The entries that answered the request ``client_id``, or None when it was never handled."""
    first = await session.execute(
        select(WebMessage.id).where(WebMessage.session_key == key, WebMessage.client_id == client_id).limit(1)
    )
    start = first.scalar_one_or_none()
    if start is None:
        return None
    rows = await session.execute(
        select(WebMessage).where(WebMessage.session_key == key, WebMessage.id >= start).order_by(WebMessage.id)
    )
    out: list[WebMessage] = []
    for row in rows.scalars():
        if row.id != start and row.role == "user":
            break  # the next request's entries
        out.append(row)
    return out


def button_label(rows: list[WebMessage], data: str) -> str | None:
    """The label of the newest offered button with this callback data (shown as the user's turn)."""
    for row in reversed(rows):
        for line in row.payload.get("buttons", []):
            for button in line:
                if button.get("data") == data:
                    return str(button.get("text", ""))
    return None


def add(
    session: AsyncSession, key: str, role: str, payload: dict[str, Any], now: datetime, client_id: str | None = None
) -> WebMessage:
    """Add an entry to the session (written at the next flush, which gives it its id)."""
    row = WebMessage(session_key=key, role=role, payload=payload, client_id=client_id, created_at=now)
    session.add(row)
    return row


async def edit_latest_with_buttons(session: AsyncSession, key: str, payload: dict[str, Any]) -> WebMessage | None:
    """Replace the newest bot entry that carries buttons (what Telegram would edit in place)."""
    rows = await session.execute(
        select(WebMessage)
        .where(WebMessage.session_key == key, WebMessage.role == "bot")
        .order_by(WebMessage.id.desc())
        .limit(20)
    )
    for row in rows.scalars():
        if row.payload.get("buttons"):
            row.payload = payload
            await session.flush()
            return row
    return None


async def trim(session: AsyncSession, key: str, keep: int) -> None:
    """Delete all but the newest ``keep`` entries of the session."""
    boundary = (
        select(WebMessage.id)
        .where(WebMessage.session_key == key)
        .order_by(WebMessage.id.desc())
        .offset(keep)
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(delete(WebMessage).where(WebMessage.session_key == key, WebMessage.id <= boundary))


async def deliver_inbox(session: AsyncSession, key: str, now: datetime) -> int:
    """Move the session's waiting pushes into its history as notices; returns how many."""
    rows = await session.execute(
        select(WebInboxItem)
        .where(WebInboxItem.session_key == key, WebInboxItem.delivered_at.is_(None))
        .order_by(WebInboxItem.id)
    )
    items = list(rows.scalars())
    for item in items:
        message = Outbound.model_validate(item.payload)
        session.add(WebMessage(session_key=key, role="notice", payload=payload_of(message), created_at=now))
        item.delivered_at = now
    if items:
        await session.flush()
    return len(items)


async def forget(session: AsyncSession, key: str) -> None:
    await session.execute(delete(WebMessage).where(WebMessage.session_key == key))
    await session.execute(delete(WebInboxItem).where(WebInboxItem.session_key == key))


async def purge(session: AsyncSession, before: datetime) -> int:
    """Delete history older than ``before`` and delivered inbox items older than it."""
    result = await session.execute(delete(WebMessage).where(WebMessage.created_at < before))
    await session.execute(
        delete(WebInboxItem).where(WebInboxItem.delivered_at.is_not(None), WebInboxItem.delivered_at < before)
    )
    return int(result.rowcount or 0)
