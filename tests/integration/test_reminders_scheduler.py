"""Every reminder rule with a fake clock: due, not yet due, suppressed by state, missed during
downtime, past relevance, quiet hours — and the 2024 cycle being over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.paths import content_root
from bot.reminders.audience import Subscriptions
from bot.reminders.models import ReminderLog
from bot.reminders.scheduler import ReminderScheduler
from bot.status.calendar import StatusCalendar
from bot.status.models import Application, Binding, HrContact, Unit
from tests.support.outbox_fakes import FakeSender, make_users


def at(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def scheduler(app) -> ReminderScheduler:
    return ReminderScheduler.from_content(
        app.db, app.services.clock, content_root(), app.services.cycles, app.services.contact_values(), ("telegram",)
    )


async def outbox(app, rule: str | None = None) -> list[OutboxMessage]:
    async with app.db.session() as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if rule:
            stmt = stmt.where(OutboxMessage.idempotency_key.like(f"rem:{rule}:%"))
        return list((await s.execute(stmt)).scalars())


async def log_entries(app, outcome: str | None = None) -> list[ReminderLog]:
    async with app.db.session() as s:
        stmt = select(ReminderLog).order_by(ReminderLog.id)
        if outcome:
            stmt = stmt.where(ReminderLog.outcome == outcome)
        return list((await s.execute(stmt)).scalars())


class World:
    """A unit with an HR contact, an applicant bound to an application, and bystanders."""

    def __init__(self, app) -> None:
        self.app = app

    async def build(self, state: str = "filling", level: str = "intermediate", entered: datetime | None = None,
                    due: date | None = None) -> World:
        app = self.app
        now = app.services.clock.now()
        self.hr, self.applicant, self.subscriber, self.bystander = await make_users(app, 4)
        async with app.db.session() as s:
            unit = Unit(name="青岛某某科技有限公司", created_at=now)
            s.add(unit)
            await s.flush()
            self.unit_id = unit.id
            application = Application(number="SD2024-000123", level=level, unit_id=unit.id, applicant_name="张三",
                                      id_tail_hash="x", state=state, state_at=entered or now, due_date=due,
                                      created_at=now, updated_at=now)
            s.add(application)
            await s.flush()
            self.app_id = application.id
            s.add(HrContact(user_id=self.hr.id, unit_id=unit.id, created_at=now))
            s.add(Binding(user_id=self.applicant.id, application_id=application.id, created_at=now))
            subs = Subscriptions(scheduler(app).rules)
            await subs.set(s, self.subscriber, "deadline", True, now)
        return self

    async def move(self, state: str, when: datetime, due: date | None = None) -> None:
        async with self.app.db.session() as s:
            application = await s.get(Application, self.app_id)
            application.state = state
            application.state_at = when
            application.due_date = due

    def chats(self, rows: list[OutboxMessage]) -> list[str]:
        names = {self.hr.chat_id: "hr", self.applicant.chat_id: "applicant", self.subscriber.chat_id: "subscriber",
                 self.bystander.chat_id: "bystander"}
        return sorted(names[r.chat_id] for r in rows)


# ---- online deadline -------------------------------------------------------------------------------
async def test_deadline_reminder_not_yet_due_then_due_to_subscribers_and_hr(app, clock):
    clock.set(at(2024, 8, 16, 8, 59))  # T-14 is 2024-08-16 09:00
    world = await World(app).build()
    sch = scheduler(app)
    assert (await sch.tick()).queued == 0
    clock.set(at(2024, 8, 16, 9, 0))
    report = await sch.tick()
    rows = await outbox(app, "online_deadline")
    assert report.queued == 2 and world.chats(rows) == ["hr", "subscriber"]
    text = rows[0].payload["text"]
    assert "2024年8月30日" in text and "还有14天" in text and app.services.office.phone in text
    # ticking again (or after a restart) changes nothing
    assert (await sch.tick()).queued == 0
    assert (await scheduler(app).tick()).queued == 0
    assert len(await outbox(app)) == 2


async def test_deadline_series_each_moment_once_and_the_morning_of_the_day(app, clock):
    world = await World(app).build()
    sch = scheduler(app)
    moments = [at(2024, 8, 16), at(2024, 8, 23), at(2024, 8, 27), at(2024, 8, 29), at(2024, 8, 30, 8, 0)]
    for moment in moments:
        clock.set(moment)
        assert (await sch.tick()).queued == 2
    rows = await outbox(app, "online_deadline")
    assert len(rows) == 10 and world.chats(rows).count("subscriber") == 5
    texts = [r.payload["text"] for r in rows if r.chat_id == world.subscriber.chat_id]
    assert ["还有14天" in texts[0], "还有7天" in texts[1], "还有3天" in texts[2], "还有1天" in texts[3]] == [True] * 4
    assert "今天（2024年8月30日）" in texts[4]
    clock.set(at(2024, 8, 31))
    assert (await sch.tick()).queued == 0


async def test_missed_deadline_reminders_after_downtime(app, clock):
    world = await World(app).build()
    sch = scheduler(app)
    clock.set(at(2024, 8, 25, 10, 0))  # down since before T-14; now between T-7 and T-3
    report = await sch.tick()
    rows = await outbox(app, "online_deadline")
    # T-7 is still relevant (T-3 has not come): sent once, with the days left as of now
    assert report.queued == 2 and report.dropped == 2
    assert all("还有5天" in r.payload["text"] for r in rows)
    dropped = await log_entries(app, "dropped")
    assert {d.key.split(":")[1] for d in dropped} == {"online_deadline"}
    assert all("20240816T0900" in d.key for d in dropped) and "moment passed" in dropped[0].reason
    # down again from T-5 to T-1 10:00: T-3 has been superseded by T-1 → dropped; T-1 sent once
    clock.set(at(2024, 8, 29, 10, 0))
    report = await sch.tick()
    assert (report.queued, report.dropped) == (2, 2)
    # the bot comes back only after the deadline: the day's reminder is past its relevance
    clock.set(at(2024, 8, 31, 9, 0))
    report = await sch.tick()
    assert (report.queued, report.dropped) == (0, 2)
    assert world.chats(await outbox(app, "online_deadline")).count("hr") == 2
    assert (await sch.tick()).dropped == 0  # a drop is recorded once


async def test_unsubscribed_hr_contact_gets_no_deadline_reminder(app, clock):
    clock.set(at(2024, 8, 16, 9, 0))
    world = await World(app).build()
    async with app.db.session() as s:
        await Subscriptions(scheduler(app).rules).set(s, world.hr, "deadline", False, clock.now())
    await scheduler(app).tick()
    assert world.chats(await outbox(app)) == ["subscriber"]


# ---- the 2024 cycle is over ------------------------------------------------------------------------
@pytest.mark.parametrize("today", [at(2025, 6, 1), at(2026, 11, 22, 10, 0)])
async def test_no_reminders_once_the_2024_cycle_is_over(app, clock, today):
    clock.set(today)
    world = await World(app).build(state="accepted", entered=today - timedelta(days=1))
    assert world.hr and world.subscriber  # an HR contact and a deadline subscriber exist
    report = await scheduler(app).tick()
    assert report.cycle is None and report.queued == 0 and report.dropped == 0
    assert await outbox(app) == [] and await log_entries(app) == []


# ---- paper form and fee after 审核受理 ----------------------------------------------------------------
async def test_paper_form_reminders_at_1_5_6_days_until_received(app, clock):
    accepted = at(2024, 9, 2, 15, 30)
    clock.set(accepted)
    world = await World(app).build(state="accepted", entered=accepted, level="intermediate")
    sch = scheduler(app)
    clock.set(at(2024, 9, 3, 8, 59))
    assert (await sch.tick()).queued == 0  # +1 day at 09:00 not yet
    clock.set(at(2024, 9, 3, 9, 0))
    await sch.tick()
    paper = await outbox(app, "paper_form")
    assert world.chats(paper) == ["applicant", "hr"]
    text = paper[0].payload["text"]
    assert "SD2024-000123" in text and "2024年9月9日" in text and app.services.office.address in text
    fee = await outbox(app, "review_fee")
    assert world.chats(fee) == ["applicant", "hr"] and "160元" in fee[0].payload["text"]
    clock.set(at(2024, 9, 7, 9, 0))  # +5
    await sch.tick()
    assert len(await outbox(app, "paper_form")) == 4
    # the paper form arrives: the +6 reminder is suppressed, the fee reminder is not affected
    await world.move("paper_received", at(2024, 9, 7, 11, 0))
    clock.set(at(2024, 9, 8, 9, 0))
    await sch.tick()
    assert len(await outbox(app, "paper_form")) == 4


async def test_paper_form_reminder_uses_the_status_cards_due_date(app, clock, monkeypatch):
    """The reminder names, and expires after, the day ``StatusCalendar.due_date`` gives (the status
    card's): one definition, so a change to it moves both."""
    monkeypatch.setattr(StatusCalendar, "paper_due_days", lambda self, year: 4)
    accepted = at(2024, 9, 2, 15, 30)
    clock.set(accepted)
    world = await World(app).build(state="accepted", entered=accepted)
    sch = scheduler(app)
    clock.set(at(2024, 9, 3, 9, 0))
    await sch.tick()
    paper = await outbox(app, "paper_form")
    assert world.chats(paper) == ["applicant", "hr"] and "2024年9月6日" in paper[0].payload["text"]
    clock.set(at(2024, 9, 7, 9, 0))  # +5: past the (patched) due day, so no longer relevant
    report = await sch.tick()
    assert len(await outbox(app, "paper_form")) == 2
    assert len([d for d in await log_entries(app, "dropped") if d.rule == "paper_form"]) == 2
    assert report.dropped == 2


async def test_fee_amount_follows_the_level(app, clock):
    accepted = at(2024, 9, 2, 10, 0)
    clock.set(accepted)
    await World(app).build(state="accepted", entered=accepted, level="senior")
    clock.set(at(2024, 9, 3, 9, 0))
    await scheduler(app).tick()
    assert "360元" in (await outbox(app, "review_fee"))[0].payload["text"]


async def test_paper_form_reminder_missed_during_downtime_past_its_due(app, clock):
    accepted = at(2024, 9, 2, 10, 0)
    clock.set(accepted)
    world = await World(app).build(state="accepted", entered=accepted)
    clock.set(at(2024, 9, 10, 9, 0))  # the bot was down for the whole week: the due day (9 Sep) has passed
    report = await scheduler(app).tick()
    assert await outbox(app, "paper_form") == []
    dropped = [d for d in await log_entries(app, "dropped") if d.rule == "paper_form"]
    assert len(dropped) == 6  # 3 moments × (applicant, HR)
    assert report.dropped >= 6
    del world


# ---- resubmission after 退回补正 ------------------------------------------------------------------
async def test_resubmission_reminder_before_its_due_date(app, clock):
    returned = at(2024, 8, 1, 10, 0)
    clock.set(returned)
    world = await World(app).build(state="returned", entered=returned, due=date(2024, 8, 10))
    sch = scheduler(app)
    clock.set(at(2024, 8, 6, 9, 0))
    assert (await sch.tick()).by_rule.get("resubmission") is None  # T-3 is 7 Aug
    clock.set(at(2024, 8, 7, 9, 0))
    await sch.tick()
    rows = await outbox(app, "resubmission")
    assert world.chats(rows) == ["applicant", "hr"]
    assert "2024年8月10日" in rows[0].payload["text"] and "还有3天" in rows[0].payload["text"]
    # resubmitted (back to 单位审核): no further reminder
    await world.move("unit_review", at(2024, 8, 8, 10, 0))
    clock.set(at(2024, 8, 9, 9, 0))
    await sch.tick()
    assert len(await outbox(app, "resubmission")) == 2


# ---- end of 公示 in Chinese working days --------------------------------------------------------------
async def test_unit_publicity_end_counts_chinese_working_days(app, clock):
    from bot.reference.workdays import WorkdayCalendar

    entered = at(2024, 9, 27, 10, 0)  # Friday before the National Day holiday; Sun 29 Sep is a make-up workday
    clock.set(entered)
    world = await World(app).build(state="unit_publicity", entered=entered)
    calendar = WorkdayCalendar.load(content_root())
    end = calendar.period_end(date(2024, 9, 27), 5)
    assert end == date(2024, 10, 9)  # 27, 29 (make-up), 30 Sep, 8, 9 Oct (1–7 Oct are holidays)
    sch = scheduler(app)
    clock.set(at(2024, 10, 4, 16, 0))  # Mon–Fri counting would end on 3 Oct
    assert (await sch.tick()).by_rule.get("unit_publicity_end") is None
    clock.set(at(2024, 10, 9, 16, 0))
    await sch.tick()
    rows = await outbox(app, "unit_publicity_end")
    assert world.chats(rows) == ["applicant", "hr"]
    assert "2024年10月9日" in rows[0].payload["text"] and "5个工作日" in rows[0].payload["text"]


async def test_result_publicity_end_the_day_after(app, clock):
    entered = at(2024, 11, 4, 10, 0)  # Monday; 5 working days end Friday 8 Nov
    clock.set(entered)
    world = await World(app).build(state="result_publicity", entered=entered)
    clock.set(at(2024, 11, 9, 9, 0))
    await scheduler(app).tick()
    rows = await outbox(app, "result_publicity_end")
    assert world.chats(rows) == ["applicant", "hr"] and "2024年11月8日" in rows[0].payload["text"]


# ---- quiet hours -----------------------------------------------------------------------------------
async def test_reminder_caught_up_at_night_waits_for_the_morning(app, clock):
    returned = at(2024, 8, 1, 10, 0)
    clock.set(returned)
    world = await World(app).build(state="returned", entered=returned, due=date(2024, 8, 10))
    clock.set(at(2024, 8, 7, 23, 30))  # the bot comes back late at night after missing 09:00
    await scheduler(app).tick()
    assert len(await outbox(app, "resubmission")) == 2
    sender = FakeSender()
    worker = OutboxWorker(app.db, {"telegram": sender}, clock, DeliveryConfig(global_rate=1000, per_chat_interval=0))
    await worker.drain()
    assert sender.sent == []
    clock.set(at(2024, 8, 8, 8, 0))
    await worker.drain()
    assert sorted(c for c, _, _ in sender.sent) == sorted([world.applicant.chat_id, world.hr.chat_id])


async def test_a_countdown_caught_up_at_night_is_worded_for_the_morning_it_arrives(app, clock):
    """T-3 of the online deadline (2024-08-27 09:00) missed, the bot back at 23:30 (Asia/Shanghai;
    15:30 UTC): quiet hours hold it until 08:00 on 2024-08-28, so it says 2 days, not 3."""
    world = await World(app).build()
    clock.set(datetime(2024, 8, 27, 15, 30, tzinfo=UTC))  # 23:30 in Qingdao
    report = await scheduler(app).tick()
    rows = await outbox(app, "online_deadline")
    assert report.queued == 2 and world.chats(rows) == ["hr", "subscriber"]
    assert all("还有2天" in r.payload["text"] for r in rows), rows[0].payload["text"]
    sender = FakeSender()
    worker = OutboxWorker(app.db, {"telegram": sender}, clock, DeliveryConfig(global_rate=1000, per_chat_interval=0))
    await worker.drain()
    assert sender.sent == []  # held by quiet hours
    clock.set(at(2024, 8, 28, 8, 0))
    await worker.drain()
    assert len(sender.sent) == 2


async def test_the_eve_of_the_deadline_caught_up_at_night_gives_way_to_the_mornings_reminder(app, clock):
    """T-1 (2024-08-29 09:00) missed, the bot back at 23:30: held until 08:00 on the deadline day it
    would say "还有1天" next to that morning's "今天是截止日", so it is dropped (and logged as such)."""
    world = await World(app).build()
    sch = scheduler(app)
    clock.set(at(2024, 8, 29, 23, 30))
    report = await sch.tick()
    assert report.queued == 0 and report.dropped == 2 * 4  # two recipients: T-1, and T-14, T-7, T-3 long superseded
    assert await outbox(app, "online_deadline") == []
    held = [d for d in await log_entries(app, "dropped") if "20240829T0900" in d.key]
    assert len(held) == 2 and all(d.reason.startswith("quiet hours until 2024-08-30T08:00") for d in held)
    clock.set(at(2024, 8, 30, 8, 0))
    assert (await sch.tick()).queued == 2
    rows = await outbox(app, "online_deadline")
    assert world.chats(rows) == ["hr", "subscriber"] and all("今天（2024年8月30日）" in r.payload["text"] for r in rows)


async def test_an_urgent_reminder_is_not_held_and_keeps_its_day(app, clock):
    """Urgent rules are not held by quiet hours: worded and judged at the moment they are queued."""
    await World(app).build()
    sch = scheduler(app)
    for rule in sch.rules.rules:
        if rule.id == "online_deadline":
            object.__setattr__(rule, "urgent", True)
    clock.set(at(2024, 8, 29, 23, 30))
    assert (await sch.tick()).queued == 2
    assert all("还有1天" in r.payload["text"] for r in await outbox(app, "online_deadline"))
