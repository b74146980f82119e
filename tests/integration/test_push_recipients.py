"""Who receives a push: one rule (``bot.outbox.recipients.reachable``) for status notices, reminders
and broadcasts, after one reading of the link tables (``bot.status.links``)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update

from bot.outbox import recipients as recipients_module
from bot.outbox.models import OutboxMessage
from bot.outbox.recipients import reachable
from bot.reminders import audience as audience_module
from bot.reminders.audience import (
    Segment,
    Subscriptions,
    bound_user_ids,
    hr_user_ids,
    segment_recipient_counts,
    segment_recipients,
)
from bot.reminders.broadcast import count_by_language, count_recipients
from bot.reminders.definitions import load_reminder_rules
from bot.reminders.models import Subscription
from bot.status.links import bound_by_application, hr_by_unit
from bot.status.models import Application
from bot.status.service import StatusService
from bot.storage.models import User
from tests.support.helpers import ChatUser
from tests.support.outbox_fakes import make_users
from tests.support.status_helpers import row, rows_of, sapp, send_file, staff, xlsx_bytes  # noqa: F401

NUMBERS = ("SD2024-000001", "SD2024-000002")


async def _seed_and_bind(app, staff_user: ChatUser) -> dict[str, int]:  # noqa: ANN001
    """Two applications of one unit; users 21 and 22 (Telegram) bound to the first, 23 (web) to the
    second, and 24 bound to the first from the terminal chat, which has no push sender."""
    await send_file(staff_user, "s.xlsx", xlsx_bytes([row(NUMBERS[0], state="审核受理"), row(NUMBERS[1], state="审核受理")]))
    assert "导入完成" in staff_user.text, staff_user.text
    bindings = (("21", "telegram", NUMBERS[0]), ("22", "telegram", NUMBERS[0]), ("23", "web", NUMBERS[1]),
                ("24", "terminal", NUMBERS[0]))
    for user_id, channel, number in bindings:
        applicant = ChatUser(app, user_id=user_id, channel=channel)
        await applicant.say(f"/bind {number}")
        await applicant.say("123X")
    async with app.db.session() as s:
        return {u.external_id: u.id for u in (await s.execute(select(User))).scalars()}


async def test_links_are_read_per_application_and_unit(sapp, staff):  # noqa: F811
    ids = await _seed_and_bind(sapp, staff)
    async with sapp.db.session() as s:
        apps = {a.number: a for a in (await s.execute(select(Application))).scalars()}
        first, second = apps[NUMBERS[0]], apps[NUMBERS[1]]
        by_app = await bound_by_application(s, [first.id, second.id])
        assert by_app == {first.id: {ids["21"], ids["22"], ids["24"]}, second.id: {ids["23"]}}
        assert await bound_by_application(s, []) == {}
        assert await bound_user_ids(s) == {ids["21"], ids["22"], ids["23"], ids["24"]}
        assert await bound_user_ids(s, [second.id]) == {ids["23"]}
        assert await hr_by_unit(s) == {} and await hr_user_ids(s, first.unit_id) == set()


async def test_a_user_who_cannot_receive_pushes_gets_no_notice_and_no_broadcast(sapp, staff):  # noqa: F811
    ids = await _seed_and_bind(sapp, staff)
    async with sapp.db.session() as s:  # 22 left (blocked the bot), 23 never wrote privately
        await s.execute(update(User).where(User.id == ids["22"]).values(blocked=True, active=False))
        await s.execute(update(User).where(User.id == ids["23"]).values(active=False))
    await staff.say(f"/setstatus {NUMBERS[0]} 纸质材料已送达")
    await staff.say(f"/setstatus {NUMBERS[1]} 纸质材料已送达")
    notices = await rows_of(sapp, OutboxMessage, OutboxMessage.kind == "status")
    assert [n.user_id for n in notices] == [ids["21"]]

    service = StatusService.of(sapp.services)
    subscriptions = Subscriptions(load_reminder_rules(sapp.services.content_root))
    async with sapp.db.session() as s:
        apps = list((await s.execute(select(Application).order_by(Application.number))).scalars())
        recipients = await service.notices.recipients(s, apps)
        assert [u.id for u in recipients[apps[0].id].applicants] == [ids["21"]]
        assert not recipients[apps[1].id]
        everyone = await segment_recipients(s, Segment("all"), subscriptions, channels=None)
        assert ids["22"] not in {u.id for u in everyone} and ids["23"] not in {u.id for u in everyone}
        assert {u.id for u in everyone} == {u.id for u in await reachable(s, ids.values())}
        assert await reachable(s, ids.values(), channels=["web"]) == []


async def test_a_terminal_only_user_gets_no_status_notice(sapp, staff):  # noqa: F811
    """Status notices reach users on the push channels only, as reminders and broadcasts do: the
    terminal chat has no sender, so a row for its user could never be delivered."""
    ids = await _seed_and_bind(sapp, staff)
    await staff.say(f"/setstatus {NUMBERS[0]} 纸质材料已送达")
    assert "已生成2条通知" in staff.text, staff.text
    notices = await rows_of(sapp, OutboxMessage, OutboxMessage.kind == "status")
    assert sorted(n.user_id for n in notices) == sorted([ids["21"], ids["22"]])
    assert {n.channel for n in notices} == {"telegram"}
    async with sapp.db.session() as s:
        [first] = (await s.execute(select(Application).where(Application.number == NUMBERS[0]))).scalars()
        recipients = await StatusService.of(sapp.services).notices.recipients(s, [first])
        assert ids["24"] not in {u.id for u in recipients[first.id].applicants}


async def test_counted_recipients_are_the_listed_ones_by_channel_and_language(app, monkeypatch):
    """The preview's count (in the database) and the broadcast's list (users loaded) agree, across
    chunks of ids, for blocked, inactive and opted-out users and any stored language."""
    monkeypatch.setattr(recipients_module, "CHUNK", 4)
    tg_zh = await make_users(app, 5, channel="telegram", start=10)
    tg_en = await make_users(app, 3, channel="telegram", start=20, language="en")
    web_en = await make_users(app, 4, channel="web", start=30, language="en")
    await make_users(app, 2, channel="web", start=40, language="fr")  # stored as is; previews read it as Chinese
    now = app.services.clock.now()
    async with app.db.session() as s:
        await s.execute(update(User).where(User.id == tg_zh[0].id).values(blocked=True, active=False))
        await s.execute(update(User).where(User.id == tg_en[0].id).values(active=False))
        s.add(Subscription(user_id=web_en[0].id, topic="notices", active=False, updated_at=now))
    subscriptions = Subscriptions(load_reminder_rules(app.services.content_root))
    async with app.db.session() as s:
        for channels in (("telegram", "web"), ("web",), None):
            listed = await segment_recipients(s, Segment("all"), subscriptions, channels)
            counted = await segment_recipient_counts(s, Segment("all"), subscriptions, channels)
            assert counted == Counter((u.channel, u.language) for u in listed), channels
        counted = await segment_recipient_counts(s, Segment("all"), subscriptions)
    assert counted == Counter({("telegram", "zh"): 4, ("telegram", "en"): 2, ("web", "en"): 3, ("web", "fr"): 2})


async def test_chat_broadcast_counts_are_counted_by_the_database(app, monkeypatch):
    """The chat preview's figures (``count_recipients``, ``count_by_language``) come from the counting
    query: no recipient row is loaded to count them, and they match the list a broadcast would use."""
    await make_users(app, 3, channel="telegram", start=10)
    await make_users(app, 2, channel="web", start=20, language="en")
    await make_users(app, 1, channel="terminal", start=30)  # never pushed to
    subscriptions = Subscriptions(load_reminder_rules(app.services.content_root))
    async with app.db.session() as s:
        listed = await segment_recipients(s, Segment("all"), subscriptions)

    async def no_loading(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("recipients were loaded to be counted")

    monkeypatch.setattr(audience_module, "reachable", no_loading)
    async with app.db.session() as s:
        assert await count_recipients(s, Segment("all"), subscriptions) == len(listed) == 5
        assert await count_by_language(s, Segment("all"), subscriptions) == {"zh": 3, "en": 2}
        assert await count_by_language(s, Segment("all"), subscriptions, ("web",)) == {"zh": 0, "en": 2}
