"""Delivery through the Bot API emulator: a reminder fires at its time (fake clock) and reaches the
chat over HTTP via ``TelegramHttpSender``; two worker processes drain one PostgreSQL outbox."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channels.telegram_sender import TelegramHttpSender
from bot.clock import SystemClock
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.paths import content_root
from bot.reminders.audience import Segment, Subscriptions
from bot.reminders.broadcast import create_broadcast
from bot.reminders.definitions import load_reminder_rules
from bot.reminders.scheduler import ReminderScheduler
from bot.storage.db import Database
from tests.integration.test_reminders_scheduler import at
from tests.support.emulator import BotApiEmulator
from tests.support.helpers import PG_URL, pg_schema, postgres_available
from tests.support.outbox_fakes import make_users, states

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:E2E-token"


async def test_deadline_reminder_fires_at_its_time_through_the_emulator(sqlite_app, clock):
    app = sqlite_app
    emu = BotApiEmulator(token=TOKEN)
    url = await emu.start()
    sender = TelegramHttpSender(TOKEN, api_url=url)
    try:
        clock.set(at(2024, 8, 16, 8, 59))  # T-14 is 2024-08-16 09:00
        (subscriber,) = await make_users(app, 1, start=4242)
        async with app.db.session() as s:
            await Subscriptions(load_reminder_rules(content_root())).set(s, subscriber, "deadline", True, clock.now())
        scheduler = ReminderScheduler.from_content(app.db, clock, content_root(), app.services.cycles, app.services.contact_values(),
                                                   ("telegram",))
        worker = OutboxWorker(app.db, {"telegram": sender}, clock,
                              DeliveryConfig(global_rate=100, per_chat_interval=0, quiet_hours=None))
        await scheduler.tick()
        await worker.drain()
        assert emu.messages_to(4242) == []
        clock.set(at(2024, 8, 16, 9, 0))
        await scheduler.tick()
        emu.faults.flood(retry_after=1, chat_id=4242)  # the first attempt meets flood control
        await worker.drain()
        assert emu.messages_to(4242) == []
        clock.advance(seconds=1)
        await worker.drain()
        (message,) = emu.messages_to(4242)
        assert "还有14天" in message["text"] and "2024年8月30日" in message["text"]
        assert emu.faults.stats.too_many_requests == 1 and emu.faults.stats.duplicates == 0
        clock.advance(minutes=5)
        await scheduler.tick()
        await worker.drain()
        assert len(emu.messages_to(4242)) == 1
    finally:
        await sender.close()
        await emu.stop()


@pytest.fixture
def postgres() -> None:
    """Skip (with the reason) when the local PostgreSQL does not answer; probed outside the loop."""
    ok, reason = postgres_available()
    if not ok:
        pytest.skip(reason)


@pytest.mark.timeout(120)
async def test_two_worker_processes_drain_one_postgresql_outbox_without_duplicates(postgres):
    emu = BotApiEmulator(token="123456:BENCHMARK-token")
    url = await emu.start()
    emu.faults.block(10_000_007)
    async with pg_schema() as schema:
        db = Database(PG_URL, schema=schema)
        procs: list[subprocess.Popen] = []
        try:
            await db.upgrade()
            from bot.storage.models import User

            now = SystemClock().now()
            async with db.session() as s:
                s.add_all([User(channel="telegram", external_id=str(10_000_000 + i), chat_id=str(10_000_000 + i),
                                role="applicant", language="zh", active=True, blocked=False, created_at=now,
                                last_seen_at=now) for i in range(400)])
            async with db.session() as s:
                await create_broadcast(s, text="两个进程", segment=Segment("all"), segment_label="全部用户",
                                       subscriptions=Subscriptions(load_reminder_rules(content_root())), now=now)
            cmd = [sys.executable, "-m", "benchmarks.broadcast", "--worker", "--database-url", PG_URL, "--schema", schema,
                   "--api-url", url, "--rate", "400", "--chat-interval", "1", "--lease", "5", "--in-flight", "40"]
            procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(2)]
            for _ in range(600):
                await asyncio.sleep(0.1)
                async with db.session() as s:
                    left = (await s.execute(select(func.count()).select_from(OutboxMessage)
                                            .where(OutboxMessage.state.in_(["pending", "sending"])))).scalar_one()
                if left == 0:
                    break
            assert left == 0
            assert await states(type("A", (), {"db": db})()) == {"sent": 399, "blocked": 1}
            async with db.session() as s:
                owners = dict((await s.execute(select(OutboxMessage.claimed_by, func.count())
                                               .group_by(OutboxMessage.claimed_by))).all())
            assert len(owners) == 2 and all(n > 0 for n in owners.values())  # both processes took part
            assert emu.faults.stats.total_deliveries == 399
            assert emu.faults.stats.duplicates == 0 and emu.faults.stats.idempotent_replays == 0
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            await db.dispose()
            await emu.stop()
