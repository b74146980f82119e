"""Keeping the bookkeeping tables small: ``processed_updates`` only needs the redelivery window, and
a group member who never wrote privately keeps a user row only while something of theirs is live.

Every update's id is recorded so a redelivery is handled once (``bot.storage.turns``). Telegram
redelivers an update for at most 24 hours, and a web client retries a dropped request within
seconds, so older rows only grow the table (and its index, which every update writes to). A
background job deletes them in batches, each batch its own short transaction, so the update path
(which on SQLite waits for the same writer turn) is never held up for long.

Anyone who writes in a group the bot is in gets a user row (their language, a note that they voted
on an answer), without a chat the bot may write to. Such a row holds a Telegram user id of someone
who never contacted the bot; it is deleted once it holds no live note and the member has not been
seen for a day.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, select, tuple_

from bot.storage.models import ProcessedUpdate, User, UserNote

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.sending import Sender
    from bot.storage.db import Database

log = logging.getLogger(__name__)

#: how long Telegram keeps trying to deliver an update; a row older than this cannot be needed
REDELIVERY_WINDOW = timedelta(hours=24)
#: rows deleted per transaction
PRUNE_BATCH = 5_000
#: how long a group member with nothing live is kept after their last message (a reply in flight)
GROUP_ONLY_IDLE = timedelta(days=1)
#: pause between two prune runs, and before the first one after start
PRUNE_EVERY = 3600.0


async def prune_processed_updates(db: Database, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete update ids recorded before ``now - REDELIVERY_WINDOW``; returns how many."""
    table = ProcessedUpdate.__table__
    before = now - REDELIVERY_WINDOW
    total = 0
    while True:
        old = select(table.c.channel, table.c.update_id).where(table.c.processed_at < before).limit(batch)
        async with db.session() as session:
            result = await session.execute(delete(table).where(tuple_(table.c.channel, table.c.update_id).in_(old)))
        deleted = result.rowcount or 0
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let waiting updates take the writer turn between batches


async def prune_group_only_users(db: Database, now: datetime) -> int:
    """Delete the rows of users never seen in a private chat (no ``chat_id``) who hold no live note
    and were last seen before ``now - GROUP_ONLY_IDLE``; returns how many. Their notes go with them
    (the foreign key cascades); staff rows are never touched."""
    live_note = exists().where(UserNote.user_id == User.id, UserNote.expires_at > now)
    statement = delete(User).where(User.chat_id == "", User.role == "applicant",
                                   User.last_seen_at < now - GROUP_ONLY_IDLE, ~live_note)
    statement = statement.execution_options(synchronize_session=False)
    async with db.session() as session:
        result = await session.execute(statement)
    return result.rowcount or 0


async def prune_job(app: App, senders: dict[str, Sender]) -> None:
    """Hourly prune of ``processed_updates`` and of group members' rows (a failure is logged and
    tried again next hour)."""
    while True:
        await asyncio.sleep(PRUNE_EVERY)
        try:
            now = app.services.clock.now()
            deleted = await prune_processed_updates(app.db, now)
            if deleted:
                log.info("processed_updates: %d old update ids deleted", deleted)
            members = await prune_group_only_users(app.db, now)
            if members:
                log.info("users: %d rows of group members who never wrote privately deleted", members)
        except Exception as exc:  # noqa: BLE001 - a background job must outlive a bad hour
            log.warning("housekeeping prune failed: %s", type(exc).__name__)
