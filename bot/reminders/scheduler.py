"""The reminder scheduler: computes due reminders from ``rules/reminders.yaml`` and the database.

Each tick (from an injectable clock) walks every rule: its anchor date (the cycle's online deadline,
or per application the day it entered its state, its resubmission due date, or the end of its 公示
period in Chinese working days), the schedule's moments, and the recipients. For each moment that
has come:
- still relevant (its successor's moment has not come, the rule has not expired) → one outbox row
  and a ``queued`` log entry;
- no longer relevant (e.g. the bot was down across it) → a ``dropped`` log entry, nothing sent.
The log and the outbox share one key per (rule, subject, user, moment), so a reminder is decided
exactly once however often the scheduler runs, and after a restart nothing is sent twice.

Reminders are suppressed by state simply by not being generated: an application rule applies only
while the application is in one of the rule's ``states`` (a 纸质材料已送达 application gets no
paper-form reminder). Outside a current review cycle (``rules/cycles/*.yaml``) nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import LOCAL_TZ, Clock
from bot.content.office import contacts_in
from bot.content.texts import fill, local_date, normalize_language
from bot.core.messages import Outbound
from bot.outbox.config import QuietHours, load_delivery_config
from bot.outbox.queue import enqueue
from bot.outbox.recipients import PUSH_CHANNELS, reachable
from bot.reference.cycles import Cycle, CycleCalendar
from bot.reminders.audience import Subscriptions, bound_user_ids, hr_user_ids
from bot.reminders.definitions import ReminderRule, RemindersFile, ScheduleEntry, load_reminder_rules
from bot.reminders.models import ReminderLog
from bot.status.calendar import StatusCalendar
from bot.status.models import Application
from bot.storage.db import Database
from bot.storage.inline_sqlite import is_locked_error
from bot.storage.locks import lock_names

log = logging.getLogger(__name__)

#: a missed reminder is recorded as dropped only within this long after its relevance ended; older
#: moments are not looked at again (keeps every tick cheap for the rest of the cycle)
DROP_RECORD_WINDOW = timedelta(days=7)


@dataclass
class TickReport:
    queued: int = 0
    dropped: int = 0
    cycle: int | None = None
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass
class Occurrence:
    """One moment of one rule for one subject, with its recipients and text values."""

    rule: ReminderRule
    subject: str
    moment: datetime
    relevant_until: datetime
    entry: ScheduleEntry
    #: placeholder values; dates, level and state are kept as ``_date:`` / ``_level`` / ``_state``
    #: entries and written in each recipient's language when the text is rendered
    values: dict[str, object]
    audience: dict[str, set[int]]  # audience name → user ids (before the topic filter)


def at_local(day: date, at) -> datetime:  # noqa: ANN001 - datetime.time
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=LOCAL_TZ)


def released_at(quiet: QuietHours | None, now: datetime) -> datetime:
    """When a non-urgent push queued at ``now`` goes out: now, or at the end of the quiet hours
    (``rules/outbox.yaml``) that hold it."""
    if quiet is None or not quiet.contains(now):
        return now
    local = now.astimezone(LOCAL_TZ)
    end = datetime.combine(local.date(), quiet.end, tzinfo=LOCAL_TZ)
    return end if end > local else end + timedelta(days=1)


class ReminderScheduler:
    """Computes and enqueues due reminders; ``tick()`` once, or ``run()`` every ``tick_seconds``."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: RemindersFile,
        cycles: CycleCalendar,
        workflow,  # noqa: ANN001 - bot.status.workflow.Workflow
        calendar,  # noqa: ANN001 - bot.reference.workdays.WorkdayCalendar
        contacts: dict[str, str],
        channels: tuple[str, ...] | list[str] = PUSH_CHANNELS,
        quiet: QuietHours | None = None,
    ) -> None:
        self.db = db
        #: the outbox's quiet hours: a reminder queued in them goes out when they end, so it is
        #: worded for that day and dropped when its successor is due by then
        self.quiet = quiet
        self.clock = clock
        self.rules = rules
        self.cycles = cycles
        self.workflow = workflow
        self.calendar = calendar
        self.contacts = contacts
        self.channels = tuple(channels)
        self.subscriptions = Subscriptions(rules)
        #: the one definition of the status feature's dates (the paper-form due date), shared with
        #: the status card and notices so a reminder never names another day than they do
        self.dates = StatusCalendar(workflow=workflow, workdays=calendar, cycles=cycles)

    @classmethod
    def from_content(  # noqa: ANN206
        cls, db: Database, clock: Clock, root: Path, cycles: CycleCalendar, contacts: dict[str, str], channels=PUSH_CHANNELS,  # noqa: ANN001
    ):
        from bot.reference.workdays import WorkdayCalendar
        from bot.status.workflow import load_workflow

        rules = load_reminder_rules(root)
        return cls(db, clock, rules, cycles, load_workflow(root), WorkdayCalendar.load(root), contacts, channels,
                   quiet=load_delivery_config(root).quiet_hours)

    # ---- moments -------------------------------------------------------------------------------
    def _moments(self, rule: ReminderRule, anchor: date, expiry: datetime | None) -> list[tuple[datetime, datetime, ScheduleEntry]]:
        """(moment, relevant_until, schedule entry) for each schedule entry."""
        default_at = self.rules.scheduler.default_at
        moments = [at_local(anchor + timedelta(days=e.days), e.at or default_at) for e in rule.schedule]
        stale = timedelta(hours=self.rules.scheduler.stale_after_hours)
        out = []
        for i, (entry, moment) in enumerate(zip(rule.schedule, moments, strict=True)):
            until = moments[i + 1] if i + 1 < len(moments) else (expiry or moment + stale)
            if expiry is not None:
                until = min(until, expiry)
            out.append((moment, until, entry))
        return out

    def _cycle_occurrences(self, rule: ReminderRule, cycle: Cycle) -> list[Occurrence]:
        anchor = cycle.online_deadline.date
        expiry = start_of(anchor + timedelta(days=1))
        values = {"year": cycle.year, "_date:deadline": anchor, "_target": anchor}
        return [
            Occurrence(rule, f"c{cycle.year}", moment, until, entry, dict(values), {})
            for moment, until, entry in self._moments(rule, anchor, expiry)
        ]

    def _app_anchor(self, rule: ReminderRule, app: Application) -> tuple[date, datetime | None, dict] | None:
        entered = app.state_at.astimezone(LOCAL_TZ).date()
        values: dict[str, object] = {}
        if rule.anchor == "state_entered":
            anchor = entered
        elif rule.anchor == "due_date":
            if app.due_date is None:
                return None
            anchor = app.due_date
        else:  # publicity_end
            state = self.workflow.states.get(app.state)
            days = state.publicity_working_days if state else None
            if not days:
                return None
            anchor = self.calendar.period_end(entered, days)
            values["publicity_days"] = days
            values["_date:publicity_end"] = anchor
        expiry: datetime | None = None
        if rule.expires == "anchor_end":
            expiry = start_of(anchor + timedelta(days=1))
        elif rule.expires == "paper_form_due":
            due = self._paper_due(app)
            expiry = start_of(due + timedelta(days=1)) if due is not None else None
        return anchor, expiry, values

    def _paper_due(self, app: Application) -> date | None:
        """The paper-form due date of an application in a state that has one (``due: paper_form`` in
        ``rules/status.yaml``), as the status card shows it; None for any other state."""
        return self.dates.due_date(app.state, app.state_at, None)

    @staticmethod
    def _fee(cycle: Cycle, level: str) -> str:
        fee = cycle.fees.yuan.get(level)
        return str(fee) if fee is not None else "—"

    async def _app_occurrences(self, session, rule: ReminderRule, cycle: Cycle, now: datetime) -> list[Occurrence]:  # noqa: ANN001
        apps = (await session.execute(select(Application).where(Application.state.in_(rule.states)))).scalars().all()
        out: list[Occurrence] = []
        for app in apps:
            entered = app.state_at.astimezone(LOCAL_TZ).date()
            if entered < cycle.notice.date:
                continue  # an application left over from an earlier cycle
            anchored = self._app_anchor(rule, app)
            if anchored is None:
                continue
            anchor, expiry, extra = anchored
            due = app.due_date if rule.anchor == "due_date" else self._paper_due(app)
            values: dict[str, object] = {
                "year": cycle.year,
                "_date:deadline": cycle.online_deadline.date,
                "number": app.number,
                "_level": app.level,
                "fee": self._fee(cycle, app.level),
                "_state": app.state,
                "_date:due": due,
                "_target": anchor if rule.anchor != "state_entered" else due,
                **extra,
            }
            subject = f"a{app.id}:{entered:%Y%m%d}"
            due_moments = [m for m in self._moments(rule, anchor, expiry) if m[0] <= now]
            if not due_moments:
                continue
            audience: dict[str, set[int]] = {}
            if "bound" in rule.audience:
                audience["bound"] = await bound_user_ids(session, [app.id])
            if "unit_hr" in rule.audience:
                audience["unit_hr"] = await hr_user_ids(session, app.unit_id)
            for moment, until, entry in due_moments:
                out.append(Occurrence(rule, subject, moment, until, entry, dict(values), audience))
        return out

    def upcoming(self, now: datetime, limit: int = 5) -> list[Occurrence]:
        """The next cycle-wide reminders (the deadline countdown) after ``now``, soonest first.

        Reminders about one application are decided only when their moment comes (they depend on
        the application's state then), so they are not listed ahead.
        """
        cycle = self.cycles.reminder_cycle(now.astimezone(LOCAL_TZ).date(), self.rules.scheduler.cycle_days_after_deadline)
        if cycle is None:
            return []
        found = [o for rule in self.rules.rules if rule.anchor == "cycle.online_deadline"
                 for o in self._cycle_occurrences(rule, cycle) if o.moment > now]
        return sorted(found, key=lambda o: o.moment)[:limit]

    # ---- the tick ------------------------------------------------------------------------------
    async def tick(self) -> TickReport:
        """Decide every reminder whose moment has come; returns what was queued and dropped."""
        now = self.clock.now()
        report = TickReport()
        cycle = self.cycles.reminder_cycle(now.astimezone(LOCAL_TZ).date(), self.rules.scheduler.cycle_days_after_deadline)
        if cycle is None:
            return report  # between cycles (e.g. the 2024 cycle is over): no reminders at all
        report.cycle = cycle.year
        async with self.db.session() as session:
            await lock_names(session, "reminder-tick")  # one scheduler tick at a time across processes
            for rule in self.rules.rules:
                if rule.anchor == "cycle.online_deadline":
                    occurrences = [o for o in self._cycle_occurrences(rule, cycle) if o.moment <= now]
                else:
                    occurrences = await self._app_occurrences(session, rule, cycle, now)
                for occ in occurrences:
                    await self._decide(session, occ, now, report)
        return report

    async def _recipients(self, session, occ: Occurrence) -> list:  # noqa: ANN001
        topic = occ.rule.topic
        ids: set[int] = set()
        if "subscribers" in occ.rule.audience:
            ids |= await self.subscriptions.topic_members(session, topic)
        if "hr_all" in occ.rule.audience:
            ids |= await self.subscriptions.filter(session, await hr_user_ids(session), topic)
        for name in ("bound", "unit_hr"):
            if name in occ.audience:
                ids |= await self.subscriptions.filter(session, occ.audience[name], topic)
        return await reachable(session, ids, self.channels)

    async def _decide(self, session, occ: Occurrence, now: datetime, report: TickReport) -> None:  # noqa: ANN001
        if now - occ.relevant_until > DROP_RECORD_WINDOW:
            return  # long past: decided (sent or dropped) long ago, or the user came later
        users = await self._recipients(session, occ)
        if not users:
            return
        stamp = occ.moment.astimezone(LOCAL_TZ).strftime("%Y%m%dT%H%M")
        keys = {u.id: f"rem:{occ.rule.id}:{occ.subject}:{u.id}:{stamp}" for u in users}
        wanted = list(keys.values())
        seen: set[str] = set()
        for start in range(0, len(wanted), 900):  # stay under SQLite's bound-parameter limit
            chunk = wanted[start : start + 900]
            seen |= set((await session.execute(select(ReminderLog.key).where(ReminderLog.key.in_(chunk)))).scalars())
        # what the recipient reads is judged when it reaches them: a reminder caught up at 23:30
        # goes out at 08:00, a day later; one whose successor is due by then (T-1 held until the
        # deadline day's 08:00, which says "today") would arrive stale and is dropped instead
        delivered = now if occ.rule.urgent else released_at(self.quiet, now)
        relevant = delivered < occ.relevant_until
        today = delivered.astimezone(LOCAL_TZ).date()
        texts: dict[str, str] = {}  # language → the text, rendered once per language of the recipients
        for user in users:
            key = keys[user.id]
            if key in seen:
                continue
            if relevant:
                lang = normalize_language(user.language)
                if lang not in texts:
                    texts[lang] = self.render(occ, lang, today)
                text = texts[lang]
                await enqueue(session, user=user, message=Outbound(text=text), key=key, kind="reminder", now=now,
                              urgent=occ.rule.urgent)
                outcome, reason = "queued", ""
                report.queued += 1
                report.by_rule[occ.rule.id] = report.by_rule.get(occ.rule.id, 0) + 1
            elif now < occ.relevant_until:
                outcome, reason = "dropped", (f"quiet hours until {delivered.isoformat()}: "
                                              f"relevant until {occ.relevant_until.isoformat()}")
                report.dropped += 1
            else:
                outcome, reason = "dropped", f"moment passed: relevant until {occ.relevant_until.isoformat()}"
                report.dropped += 1
            session.add(
                ReminderLog(key=key, rule=occ.rule.id, subject=occ.subject, user_id=user.id, moment=occ.moment,
                            outcome=outcome, reason=reason, recorded_at=now)
            )
        await session.flush()

    def render(self, occ: Occurrence, lang: str, today: date) -> str:
        """The reminder's text in ``lang``: the rule's (or the moment's) template in that language, its
        dates, level and state written for that reader."""
        values: dict[str, object] = {}
        for name, value in occ.values.items():
            if name.startswith("_date:"):
                values[name.removeprefix("_date:")] = local_date(value, lang) if isinstance(value, date) else ""
            elif not name.startswith("_"):
                values[name] = value
        if "_level" in occ.values:
            values["level"] = self.workflow.level_label(str(occ.values["_level"]), lang)
        if "_state" in occ.values:
            values["state"] = self.workflow.label(str(occ.values["_state"]), lang)
        anchor_days = self._days_left(occ, today)
        if anchor_days is not None:
            values["days_left"] = anchor_days
        return fill(occ.rule.template(occ.entry, lang), contacts_in(self.contacts, lang) | values)

    @staticmethod
    def _days_left(occ: Occurrence, today: date) -> int | None:
        """Days from today to the date the reminder is about, counted when it is sent."""
        target = occ.values.get("_target")
        if isinstance(target, date):
            return max(0, (target - today).days)
        return None

    async def run(self) -> None:
        """Tick until cancelled; a failing tick is logged and retried at the next one."""
        interval = self.rules.scheduler.tick_seconds
        while True:
            try:
                report = await self.tick()
                if report.queued or report.dropped:
                    log.info("reminders: %s queued, %s dropped (cycle %s)", report.queued, report.dropped, report.cycle)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next tick tries again
                if is_locked_error(exc):  # another process is writing: not a fault
                    log.warning("reminder tick skipped: database busy")
                else:
                    log.exception("reminder tick failed")
            await asyncio.sleep(interval)


async def scheduler_job(app, senders) -> None:  # noqa: ANN001 - App, dict[str, Sender]
    """``App.background`` entry: the scheduler for the channels that have a sender."""
    scheduler = ReminderScheduler.from_content(
        app.db, app.services.clock, app.services.content_root, app.services.cycles, app.services.contact_values(), tuple(senders) or PUSH_CHANNELS
    )
    await scheduler.run()
