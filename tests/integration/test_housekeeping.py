"""``processed_updates`` keeps only the redelivery window: older ids are pruned in batches; a group
member who never wrote privately keeps a user row only while a note of theirs is live."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from bot.storage.housekeeping import (
    GROUP_ONLY_IDLE,
    REDELIVERY_WINDOW,
    prune_group_only_users,
    prune_job,
    prune_processed_updates,
)
from bot.storage.models import ProcessedUpdate, User, UserNote
from tests.support.helpers import ChatUser, in_group


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


async def stored_users(app) -> set[str]:  # noqa: ANN001
    async with app.db.session() as session:
        return set((await session.execute(select(User.external_id))).scalars())


async def test_group_members_who_never_wrote_privately_leave_no_row_once_nothing_of_theirs_is_live(app, clock):
    voter = in_group(ChatUser(app, user_id="5001", channel="telegram"))
    await voter.say("评审费多少钱")
    await voter.press_label("👍 有帮助")  # remembered so a second press does not count twice
    talker = in_group(ChatUser(app, user_id="5002", channel="telegram"))
    await talker.say("明天开会")
    later_private = ChatUser(app, user_id="5003", channel="telegram")
    await in_group(later_private).say("评审费多少钱")
    await later_private.say("/start")
    await ChatUser(app, user_id="5004", channel="telegram").say("/start")
    assert await stored_users(app) == {"5001", "5002", "5003", "5004"}

    assert await prune_group_only_users(app.db, clock.now()) == 0  # just seen: a reply may be in flight
    clock.advance(hours=GROUP_ONLY_IDLE.total_seconds() / 3600 + 1)
    assert await prune_group_only_users(app.db, clock.now()) == 1
    assert await stored_users(app) == {"5001", "5003", "5004"}  # the voter's note is still live

    clock.advance(days=40)
    assert await prune_group_only_users(app.db, clock.now()) == 1
    assert await stored_users(app) == {"5003", "5004"}  # private users stay however long they are away
    async with app.db.session() as session:
        owners = set((await session.execute(select(UserNote.user_id))).scalars())
        ids = set((await session.execute(select(User.id))).scalars())
    assert owners <= ids  # the voter's note went with the row
