"""The outbox worker with a fake Sender: results, retries, flood waits, leases, quiet hours."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.core.sending import PermanentFailure, RecipientBlocked, RetryLater, TransientFailure
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker, Outcome
from bot.storage.models import User
from tests.support.outbox_fakes import FakeSender, make_users, push, row_by_key, states

FAST = DeliveryConfig(global_rate=2000, per_chat_interval=0, quiet_hours=None, lease_seconds=30)


def worker(app, sender, config: DeliveryConfig = FAST, **kw) -> OutboxWorker:
    """A worker whose pacing clock is real time plus however far the test moved the fake clock."""
    clock = app.services.clock
    start = clock.now()
    kw.setdefault("monotonic", lambda: time.monotonic() + (clock.now() - start).total_seconds())
    return OutboxWorker(app.db, {"telegram": sender}, clock, config, **kw)


async def test_sends_every_row_once_and_records_it(app):
    users = await make_users(app, 5)
    for u in users:
        await push(app, u, f"hello {u.id}")
    sender = FakeSender()
    stats = await worker(app, sender).drain()
    assert stats.sent == 5
    assert sorted(chat for chat, _, _ in sender.sent) == sorted(u.chat_id for u in users)
    assert await states(app) == {"sent": 5}
    row = await row_by_key(app, f"t:{users[0].id}:hello {users[0].id}")
    assert row.platform_message_id and row.sent_at is not None and row.lease_until is None
    # the outbox key travels with the send, so a deduplicating channel can drop a resend
    assert {key for _, _, key in sender.sent} == {f"t:{u.id}:hello {u.id}" for u in users}
    # a second drain finds nothing to do
    assert (await worker(app, sender).drain()).sent == 0
    assert len(sender.sent) == 5


async def test_403_marks_user_blocked_and_never_retries(app):
    (u,) = await make_users(app, 1)
    await push(app, u, "one")
    await push(app, u, "two")
    sender = FakeSender()
    sender.script[u.chat_id] = [RecipientBlocked("403 Forbidden: bot was blocked by the user")]
    await worker(app, sender, DeliveryConfig(global_rate=2000, per_chat_interval=0, quiet_hours=None,
                                             max_in_flight=1)).drain()
    assert await states(app) == {"blocked": 2}
    assert sender.sent == []  # the second row was not even tried: the user is known blocked
    async with app.db.session() as s:
        user = await s.get(User, u.id)
        assert user.blocked and not user.active
    row = await row_by_key(app, f"t:{u.id}:one")
    assert "blocked" in row.last_error


async def test_other_4xx_fails_the_row_with_the_reason(app):
    (u,) = await make_users(app, 1)
    await push(app, u, "x")
    sender = FakeSender()
    sender.script[u.chat_id] = [PermanentFailure("400 Bad Request: chat not found")]
    stats = await worker(app, sender).drain()
    row = await row_by_key(app, f"t:{u.id}:x")
    assert row.state == "failed" and row.last_error == "400 Bad Request: chat not found"
    assert stats.failed == 1 and stats.reasons == {"400 Bad Request": 1}


async def test_5xx_retries_with_bounded_backoff_then_gives_up(app, clock):
    (u,) = await make_users(app, 1)
    await push(app, u, "x")
    cfg = DeliveryConfig(global_rate=2000, per_chat_interval=0, quiet_hours=None, max_attempts=3,
                         backoff_base=10, backoff_max=15)
    sender = FakeSender()
    sender.script[u.chat_id] = [TransientFailure("502 Bad Gateway")] * 3
    w = worker(app, sender, cfg)
    await w.drain()
    row = await row_by_key(app, f"t:{u.id}:x")
    assert row.state == "pending" and row.attempts == 1
    assert row.not_before == clock.now() + timedelta(seconds=10)
    await w.drain()  # not due yet: nothing happens
    assert (await row_by_key(app, f"t:{u.id}:x")).attempts == 1
    clock.advance(seconds=10)
    await w.drain()
    row = await row_by_key(app, f"t:{u.id}:x")
    assert row.attempts == 2 and row.not_before == clock.now() + timedelta(seconds=15)  # capped at backoff_max
    clock.advance(seconds=15)
    await w.drain()
    row = await row_by_key(app, f"t:{u.id}:x")
    assert row.state == "failed" and "gave up after 3 attempts" in row.last_error
    assert sender.sent == []


async def test_5xx_then_success(app, clock):
    (u,) = await make_users(app, 1)
    await push(app, u, "x")
    sender = FakeSender()
    sender.script[u.chat_id] = [TransientFailure("500")]
    w = worker(app, sender)
    await w.drain()
    clock.advance(seconds=FAST.backoff(1))
    await w.drain()
    assert await states(app) == {"sent": 1}
    assert len(sender.sent) == 1


async def test_429_for_one_chat_waits_exactly_retry_after_and_does_not_freeze_others(app, clock):
    users = await make_users(app, 4)
    for u in users:
        await push(app, u, "m")
    flooded = users[0]
    sender = FakeSender()
    sender.script[flooded.chat_id] = [RetryLater(7, "chat")]
    w = worker(app, sender)
    stats = await w.drain()
    assert stats.sent == 3 and stats.flood_waits == 1
    row = await row_by_key(app, f"t:{flooded.id}:m")
    assert row.state == "pending"
    assert row.not_before == clock.now() + timedelta(seconds=7)
    assert row.attempts == 0  # a flood wait is not a failed attempt
    assert w.limiter.paused_for == 0  # nobody else waits
    clock.advance(seconds=6.9)
    await w.drain()
    assert (await row_by_key(app, f"t:{flooded.id}:m")).state == "pending"
    clock.advance(seconds=0.1)
    await w.drain()
    assert await states(app) == {"sent": 4}


async def test_global_429_pauses_everyone_for_retry_after(app):
    users = await make_users(app, 3)
    for u in users:
        await push(app, u, "m")
    sender = FakeSender()
    sender.script[users[0].chat_id] = [RetryLater(0.4, "global")]
    cfg = DeliveryConfig(global_rate=2000, per_chat_interval=0, quiet_hours=None, max_in_flight=1)
    w = worker(app, sender, cfg)
    await w.drain()
    times = [t for t, _ in sender.calls]
    # after the global 429 the next send happens only once retry_after has passed
    assert times[1] - times[0] >= 0.39
    assert len(sender.sent) == 2  # the flooded row waits in the table for its not_before


async def test_a_wave_of_chats_refused_at_once_escalates_to_a_global_pause(app):
    users = await make_users(app, 12)
    for u in users:
        await push(app, u, "m")
    sender = FakeSender()
    for u in users[:10]:
        sender.script[u.chat_id] = [RetryLater(0.3, "chat")]
    # at 40 msg/s the wave threshold is max(10, a quarter of a second's sends) = 10 chats
    cfg = DeliveryConfig(global_rate=40, per_chat_interval=0, quiet_hours=None, max_in_flight=12)
    w = worker(app, sender, cfg)
    await w.drain()
    times = [t for t, _ in sender.calls]
    assert times[10] - times[9] >= 0.29  # the tenth chat refused within a second: everyone waits


def test_escalation_needs_a_wave_not_a_few_refusals(sqlite_app):
    now = [50.0]
    cfg = DeliveryConfig(global_rate=40, per_chat_interval=0, quiet_hours=None)
    w = OutboxWorker(sqlite_app.db, {"telegram": FakeSender()}, sqlite_app.services.clock, cfg,
                     monotonic=lambda: now[0])
    for chat in range(9):
        w._flood(str(chat), RetryLater(0.3, "chat"))
        now[0] += 0.05
    assert w.limiter.paused_for == 0  # nine chats refused: each waits on its own, nobody else does
    assert w.chats.ready_in("8") > 0 and w.chats.ready_in("99") == 0
    w._flood("9", RetryLater(0.3, "chat"))  # the tenth distinct chat within one second
    assert abs(w.limiter.paused_for - 0.3) < 1e-9
    now[0] += 5
    for chat in range(9):  # refusals spread over more than a second never add up to a wave
        w._flood(f"x{chat}", RetryLater(0.3, "chat"))
        now[0] += 0.2
    assert w.limiter.paused_for == 0


async def test_per_chat_pacing_spaces_messages_to_one_chat(app):
    (u,) = await make_users(app, 1)
    for i in range(3):
        await push(app, u, f"m{i}")
    sender = FakeSender()
    cfg = DeliveryConfig(global_rate=2000, per_chat_interval=0.15, quiet_hours=None)
    await worker(app, sender, cfg).drain()
    times = [t for t, _ in sender.calls]
    assert len(times) == 3
    assert all(b - a >= 0.14 for a, b in zip(times, times[1:], strict=False))
    assert sender.texts_to(u.chat_id) == ["m0", "m1", "m2"]


async def test_long_chat_wait_goes_back_to_the_table(app, clock):
    (u,) = await make_users(app, 1)
    await push(app, u, "a")
    await push(app, u, "b")
    sender = FakeSender()
    cfg = DeliveryConfig(global_rate=2000, per_chat_interval=30, hold_seconds=1, quiet_hours=None)
    w = worker(app, sender, cfg)
    stats = await w.drain()
    assert stats.sent == 1 and stats.deferred == 1
    row = await row_by_key(app, f"t:{u.id}:b")
    assert row.state == "pending" and row.not_before > clock.now() + timedelta(seconds=29)


async def test_global_rate_is_respected(app):
    users = await make_users(app, 20)
    for u in users:
        await push(app, u, "m")
    sender = FakeSender()
    cfg = DeliveryConfig(global_rate=50, per_chat_interval=0, quiet_hours=None)
    await worker(app, sender, cfg).drain()
    times = sorted(t for t, _ in sender.calls)
    assert len(times) == 20
    assert times[-1] - times[0] >= 19 / 50 * 0.95


async def test_lease_reclaim_after_a_crashed_worker_without_duplicates(app, clock):
    users = await make_users(app, 6)
    for u in users:
        await push(app, u, "m")
    dead = worker(app, FakeSender(), worker_id="dead")
    claimed = await dead.claim(4)  # claims, then "crashes" before sending anything
    assert len(claimed) == 4
    live_sender = FakeSender()
    live = worker(app, live_sender, worker_id="live")
    await live.drain()
    assert len(live_sender.sent) == 2  # the dead worker's rows are leased
    clock.advance(seconds=FAST.lease_seconds + 1)
    await live.drain()
    assert len(live_sender.sent) == 6
    assert sorted(c for c, _, _ in live_sender.sent) == sorted(u.chat_id for u in users)
    # the dead worker wakes up and reports: its outcome must not overwrite the newer one
    for row in claimed:
        dead._record(Outcome(row.id, "failed", error="late"))
    await dead.flush()
    assert await states(app) == {"sent": 6}


async def test_lease_is_renewed_while_the_worker_lives(app, clock):
    (u,) = await make_users(app, 1)
    await push(app, u, "m")
    w = worker(app, FakeSender(), worker_id="slow")
    await w.claim(1)
    clock.advance(seconds=FAST.lease_seconds - 1)
    await w.renew_leases()
    clock.advance(seconds=FAST.lease_seconds - 1)
    other = FakeSender()
    await worker(app, other, worker_id="other").drain()
    assert other.sent == []  # still leased to the live worker


async def test_quiet_hours_hold_non_urgent_rows_until_morning(app, clock):
    clock.set(datetime(2025, 3, 3, 23, 0, tzinfo=LOCAL_TZ))
    users = await make_users(app, 2)
    await push(app, users[0], "routine")
    await push(app, users[1], "urgent", urgent=True)
    sender = FakeSender()
    cfg = DeliveryConfig(global_rate=2000, per_chat_interval=0)  # default quiet hours 22:00-08:00
    w = worker(app, sender, cfg)
    await w.drain()
    assert [t for _, t, _ in sender.sent] == ["urgent"]
    clock.set(datetime(2025, 3, 4, 7, 59, tzinfo=LOCAL_TZ))
    await w.drain()
    assert len(sender.sent) == 1
    clock.set(datetime(2025, 3, 4, 8, 0, tzinfo=LOCAL_TZ))
    await w.drain()
    assert [t for _, t, _ in sender.sent] == ["urgent", "routine"]


async def test_rows_of_channels_without_a_sender_are_left_alone(app):
    (t,) = await make_users(app, 1, channel="terminal")
    await push(app, t, "m")
    sender = FakeSender()
    await worker(app, sender).drain()
    assert await states(app) == {"pending": 1}


async def test_two_concurrent_workers_drain_one_outbox_without_duplicates(app):
    """Two workers with separate engines (SQLite file / PostgreSQL schema) race on one outbox."""
    from bot.storage.db import Database

    users = await make_users(app, 150)
    for u in users:
        await push(app, u, "m")
    second_db = Database(app.db.url, schema=app.db.schema)
    try:
        s1, s2 = FakeSender(delay=0.001), FakeSender(delay=0.001)
        cfg = DeliveryConfig(global_rate=5000, per_chat_interval=0, quiet_hours=None, max_in_flight=20)
        w1 = OutboxWorker(app.db, {"telegram": s1}, app.services.clock, cfg, worker_id="one")
        w2 = OutboxWorker(second_db, {"telegram": s2}, app.services.clock, cfg, worker_id="two")
        await asyncio.gather(w1.drain(), w2.drain())
    finally:
        await second_db.dispose()
    chats = [c for c, _, _ in s1.sent + s2.sent]
    assert len(chats) == 150 and len(set(chats)) == 150
    assert s1.sent and s2.sent  # both took part
    assert await states(app) == {"sent": 150}
    async with app.db.session() as s:
        owners = set((await s.execute(select(OutboxMessage.claimed_by))).scalars())
    assert owners == {"one", "two"}


class _SendOnly:
    """A channel that can send but not edit (the web inbox is one)."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []

    async def send(self, chat_id: str, message, idempotency_key: str | None = None) -> str:  # noqa: ANN001
        self.sent.append((chat_id, message.text, idempotency_key))
        return str(len(self.sent))


async def test_an_edit_goes_to_editable_senders_and_is_sent_anew_elsewhere(app):
    from bot.core.messages import Outbound
    from bot.core.sending import EditableSender, Sender
    from bot.outbox.queue import enqueue

    assert isinstance(FakeSender(), EditableSender) and isinstance(_SendOnly(), Sender)
    assert not isinstance(_SendOnly(), EditableSender)
    [user] = await make_users(app, 1)
    for suffix in ("a", "b"):
        async with app.db.session() as session:
            row = await enqueue(session, user=user, message=Outbound(text="进度 50%"), key=f"edit:{suffix}",
                                kind="notice", now=app.services.clock.now())
            row.payload = {**row.payload, "edit_message_id": "7"}  # as the broadcast monitor marks it
        editable, plain = FakeSender(), _SendOnly()
        await worker(app, editable if suffix == "a" else plain).drain()
        if suffix == "a":
            assert editable.sent == [(user.chat_id, "[edit 7] 进度 50%", None)]
        else:
            assert plain.sent == [(user.chat_id, "进度 50%", "edit:b")]


async def test_the_outbox_job_is_registered_with_the_app_and_delivers_until_cancelled(app):
    from bot.outbox.worker import outbox_job

    assert outbox_job in app.background
    [user] = await make_users(app, 1)
    await push(app, user, "通知", urgent=True)
    sender = FakeSender()
    task = asyncio.create_task(outbox_job(app, {"telegram": sender}))
    try:
        for _ in range(200):
            if sender.sent:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [text for _, text, _ in sender.sent] == ["通知"]
    assert await states(app) == {"sent": 1}


async def test_a_flush_cancelled_mid_write_keeps_its_outcomes_for_the_next_flush(app, monkeypatch):
    """Shutdown cancels the flusher; outcomes it had taken must not vanish (the row would stay
    ``sending`` and be sent a second time when its lease ends)."""
    [user] = await make_users(app, 1)
    await push(app, user, "通知", urgent=True)
    w = worker(app, FakeSender())
    assert await w.step() == 1
    await asyncio.wait(set(w._inflight))
    real_session = w.db.session

    @contextlib.asynccontextmanager
    async def stalled_session():
        async with real_session() as session:
            await asyncio.sleep(10)  # the cancellation arrives here, mid-write
            yield session

    monkeypatch.setattr(w.db, "session", stalled_session)
    flushing = asyncio.create_task(w.flush())
    await asyncio.sleep(0.05)
    flushing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await flushing
    monkeypatch.setattr(w.db, "session", real_session)
    assert await w.flush() == 1
    assert await states(app) == {"sent": 1}
