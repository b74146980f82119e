"""Keeping the bookkeeping tables small: ``processed_updates`` only needs the redelivery window.

Every update's id is recorded so a redelivery is handled once (``bot.storage.turns``). Telegram
redelivers an update for at most 24 hours, and a web client retries a dropped request within
seconds, so older rows only grow the table (and its index, which every update writes to). A
background job deletes them in batches, each batch its own short transaction, so the update path
(which on SQLite waits for the same writer turn) is never held up for long.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, tuple_

from bot.storage.models import ProcessedUpdate

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.sending import Sender
    from bot.storage.db import Database

log = logging.getLogger(__name__)

#: how long Telegram keeps trying to deliver an update; a row older than this cannot be needed
REDELIVERY_WINDOW = timedelta(hours=24)
#: rows deleted per transaction
PRUNE_BATCH = 5_000
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


async def prune_job(app: App, senders: dict[str, Sender]) -> None:
    """Hourly prune of ``processed_updates`` (a failure is logged and tried again next hour)."""
    while True:
        await asyncio.sleep(PRUNE_EVERY)
        try:
            deleted = await prune_processed_updates(app.db, app.services.clock.now())
            if deleted:
                log.info("processed_updates: %d old update ids deleted", deleted)
        except Exception as exc:  # noqa: BLE001 - a background job must outlive a bad hour
            log.warning("processed_updates prune failed: %s", type(exc).__name__)
