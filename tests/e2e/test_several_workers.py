"""Two webhook bot processes and two web processes on one PostgreSQL schema, behind round-robin proxies.

Fifty Telegram users and fifty browsers at once; the proxies alternate between the processes, so a
user's consecutive messages (and a dialog's steps) are handled by different processes. Checked: every
user's replies arrive once each and in order, a redelivered update or a retried web request is not
handled twice, the web chat's per-session limit holds across both web processes, and a broadcast
reaches every user exactly once although four processes run outbox workers.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from bot.content.texts import Texts, text_files
from bot.paths import content_root
from tests.e2e.cluster import Cluster, WebVisitor
from tests.support.emulator import BotApiEmulator, TgUser, button_data
from tests.support.helpers import PG_URL, pg_schema, postgres_available

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

USERS = 50
FIRST_USER = 880_001
TEXTS = Texts.load(text_files(content_root()), content_root())


@pytest.fixture(scope="module")
def postgres() -> None:
    ok, reason = postgres_available()
    if not ok:
        pytest.skip(reason)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(postgres, tmp_path_factory):
    emu = BotApiEmulator()
    await emu.start()
    async with pg_schema() as schema:
        nodes = Cluster(emu, PG_URL, schema, tmp_path_factory.mktemp("cluster"))
        try:
            await nodes.start()
            yield nodes
        finally:
            await nodes.stop()
            await emu.stop()


async def telegram_journey(emu: BotApiEmulator, user_id: int) -> list[dict]:
    """Help, a question, /forget and its 取消 button: four updates, the last one pressing a button
    that another process offered."""
    user = TgUser(emu, user_id)
    updates = [emu.send_text(user_id, "/help")]
    await user.replies(1, timeout=60)
    updates.append(emu.send_text(user_id, "评审费多少钱？"))
    await user.replies(1, timeout=60)
    updates.append(emu.send_text(user_id, "/forget"))
    (confirm,) = await user.replies(1, timeout=60)
    await user.press(confirm, button_data(confirm)[TEXTS.get("forget.cancel_button")], timeout=60)
    kept = TEXTS.get("forget.kept")
    await emu.wait_for(lambda: user.all_messages()[-1]["text"] == kept, timeout=60)
    return updates


async def test_fifty_telegram_users_get_every_reply_once_and_in_order(cluster):
    emu = cluster.emu
    users = [FIRST_USER + i for i in range(USERS)]
    updates = await asyncio.gather(*(telegram_journey(emu, u) for u in users))
    for user in users:
        texts = [m["text"] for m in emu.messages_to(user)]
        assert len(texts) == 3, texts  # the confirmation was edited into the "kept" answer in place
        assert texts[0].startswith(TEXTS.get("help.text").splitlines()[0])
        assert texts[2] == TEXTS.get("forget.kept")
    # both processes took part, each about half
    assert sorted(cluster.bot_proxy.handled.values())[0] >= USERS
    # a redelivered update reaches (mostly) the other process: still handled once
    for per_user in updates:
        emu.redeliver(per_user[0])
        emu.redeliver(per_user[1])
    markers = [TgUser(emu, u) for u in users]
    replies = await asyncio.gather(*(m.say("/menu", timeout=60) for m in markers))
    await asyncio.sleep(1.0)  # time for a wrongly repeated reply to show up
    for user, (menu,) in zip(users, replies, strict=True):
        texts = [m["text"] for m in emu.messages_to(user)]
        assert len(texts) == 4 and texts[-1] == menu["text"], texts
    assert emu.faults.stats.duplicates == 0


async def web_journey(visitor: WebVisitor) -> None:
    """A question (sent twice with one client id, as the page retries after a dropped answer; the
    retry goes to the other process), the menu's 帮助, /forget and its 取消 button."""
    await visitor.open()
    request = {"kind": "text", "text": "评审费多少钱？", "client_id": uuid.uuid4().hex}
    first = await visitor.post(dict(request))
    again = await visitor.post(dict(request))
    assert first[0] == again[0] == 200, (first, again)
    assert [m["text"] for m in again[1]["messages"]] == [m["text"] for m in first[1]["messages"]]
    assert len(first[1]["messages"]) == 2
    for status, body in (await visitor.press("menu:help"), await visitor.say("/forget")):
        assert status == 200, body
    cancel = next(b["data"] for m in body["messages"] for row in m["buttons"] for b in row
                  if b["text"] == TEXTS.get("forget.cancel_button"))
    status, body = await visitor.press(cancel)
    assert status == 200, body


async def test_fifty_web_visitors_through_two_web_processes(cluster):
    visitors = [WebVisitor(cluster.web_proxy.url, f"10.1.{i // 200}.{i % 200 + 1}") for i in range(USERS)]
    try:
        await asyncio.gather(*(web_journey(v) for v in visitors))
        for visitor in visitors:
            state = await visitor.state()
            users = [m["text"] for m in state["messages"] if m["role"] == "user"]
            assert users == ["评审费多少钱？", TEXTS.get("menu.help"), "/forget", TEXTS.get("forget.cancel_button")]
            bots = [m["text"] for m in state["messages"] if m["role"] == "bot"]
            assert len(bots) == 3 and bots[1].startswith(TEXTS.get("help.text").splitlines()[0])
            assert bots[2] == TEXTS.get("forget.kept")  # the confirmation, edited in place
    finally:
        await asyncio.gather(*(v.close() for v in visitors))
    assert sorted(cluster.web_proxy.handled.values())[0] >= USERS * 3


async def test_the_per_session_limit_holds_across_both_web_processes(cluster):
    """Default limit: a burst of 10, then 30 a minute. Twenty quick messages alternate between the two
    processes; with a limit kept per process all twenty would pass."""
    visitor = WebVisitor(cluster.web_proxy.url, "10.9.0.1")
    try:
        await visitor.open()
        started = time.monotonic()
        statuses = [(await visitor.say(f"第{i}个问题"))[0] for i in range(20)]
        elapsed = time.monotonic() - started
    finally:
        await visitor.close()
    assert set(statuses) == {200, 429}
    refilled = int(elapsed * 30 / 60) + 1
    assert 10 <= statuses.count(200) <= 10 + refilled, (statuses, elapsed)


async def test_a_broadcast_reaches_every_user_once_with_four_outbox_workers(cluster):
    from bot.outbox.models import OutboxMessage
    from bot.reminders.audience import Segment, Subscriptions
    from bot.reminders.broadcast import create_broadcast
    from bot.reminders.definitions import load_reminder_rules
    from bot.storage.db import Database

    emu = cluster.emu
    db = Database(PG_URL, schema=cluster.schema)
    text = "【测试】多进程群发"
    try:
        async with db.session() as session:
            await create_broadcast(session, text=text, segment=Segment("all"), segment_label="全部用户",
                                   subscriptions=Subscriptions(load_reminder_rules(content_root())),
                                   now=_now(), source="cli", urgent=True)  # quiet hours do not hold it
        for _ in range(600):
            async with db.session() as session:
                states = dict((await session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))).all())
            if set(states) <= {"sent", "blocked", "failed"}:
                break
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()
    assert states.get("sent", 0) >= USERS * 2 and set(states) == {"sent"}, states
    for user in range(FIRST_USER, FIRST_USER + USERS):
        assert [m["text"] for m in emu.messages_to(user)].count(text) == 1
    assert emu.faults.stats.duplicates == 0


def _now():
    from bot.clock import SystemClock

    return SystemClock().now()
