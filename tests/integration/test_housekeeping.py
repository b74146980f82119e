"""``processed_updates`` keeps only the redelivery window: older ids are pruned in batches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from bot.storage.housekeeping import REDELIVERY_WINDOW, prune_job, prune_processed_updates
from bot.storage.models import ProcessedUpdate
from tests.support.helpers import ChatUser


async def stored_ids(app) -> set[str]:  # noqa: ANN001
    async with app.db.session() as session:
        return set((await session.execute(select(ProcessedUpdate.update_id))).scalars())


async def test_ids_older_than_the_redelivery_window_are_deleted_in_batches(app, clock):
    now = clock.now()
    rows = [{"channel": "telegram", "update_id": f"old{i}", "processed_at": now - REDELIVERY_WINDOW - timedelta(minutes=i + 1)}
            for i in range(23)]
    rows += [{"channel": "web", "update_id": f"new{i}", "processed_at": now - REDELIVERY_WINDOW + timedelta(minutes=i + 1)}
             for i in range(4)]
    async with app.db.session() as session:
        await session.execute(insert(ProcessedUpdate.__table__), rows)
    deleted = await prune_processed_updates(app.db, now, batch=5)
    assert deleted == 23
    assert await stored_ids(app) == {f"new{i}" for i in range(4)}
    assert await prune_processed_updates(app.db, now, batch=5) == 0


async def test_a_redelivery_inside_the_window_is_still_recognised(app, clock):
    user = ChatUser(app)
    first = await user.say("/help", update_id="42")
    assert first
    clock.set(clock.now() + REDELIVERY_WINDOW - timedelta(minutes=1))
    await prune_processed_updates(app.db, clock.now())
    assert await user.say("/help", update_id="42") == []  # still known: not answered twice
    clock.advance(minutes=2)
    await prune_processed_updates(app.db, clock.now())
    async with app.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one() == 0


def test_the_prune_job_runs_with_the_bot(app):
    assert prune_job in app.background
