"""Status operations shared by chat, CLI and imports: state changes with history, audit and
notices; binding with lockout; HR invites; who may see what.

Every function works inside the caller's transaction, so a state change, its history row, its audit
entry and its outbox notices commit together or not at all (a crash never loses or duplicates a
notice: the outbox key is per application, history row and user).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.texts import Texts
from bot.core.context import Services
from bot.core.messages import Outbound
from bot.outbox.queue import enqueue
from bot.status.models import Application, BindAttempt, Binding, HrContact, InviteCode, StatusHistory, Unit
from bot.status.personal import (
    id_tail_hash,
    keyed_hash,
    mask_name,
    new_invite_code,
    normalize_invite,
)
from bot.status.rules import StatusRules, format_date, format_time
from bot.status.workflow import TransitionRefused, parse_due
from bot.storage.db import lock_names
from bot.storage.models import AuditEntry, User

INVITE_VALID = timedelta(days=7)
#: one source (a Telegram account, a web client address, a terminal user): this many failures
#: within LOCK_WINDOW lock it for LOCK_DURATION after the last of them
SOURCE_FAILURES = 5
LOCK_WINDOW = timedelta(hours=1)
LOCK_DURATION = timedelta(hours=1)
#: one application number: after this many failures from all sources within TARGET_WINDOW, each
#: source that failed on it waits TARGET_WINDOW after its own last failure there
TARGET_ALERT = 10
TARGET_WINDOW = timedelta(hours=24)
ATTEMPT_RETENTION = TARGET_WINDOW + LOCK_DURATION
NOTE_MAX = 500
#: what stands where a forgotten user's id stood (history rows, audit details)
FORGOTTEN_ACTOR = "forgotten"


class StatusInputError(Exception):
    """Input the workflow cannot accept (e.g. 不予受理 without one of the six grounds); a Chinese message."""


def rules_for(services: Services) -> StatusRules:
    """The process-wide rules bundle, loaded once per ``Services``."""
    return services.component(StatusRules, lambda: StatusRules.load(services.content_root))


def fill(template: str, **values: Any) -> str:
    """Fill a rules/ text's placeholders the way ``Texts`` does (an unknown one stays visible)."""
    return Texts({"template": template}).get("template", **values)


def audit(session: AsyncSession, at: datetime, actor_user_id: int | None, action: str, subject: str | None, **detail: Any) -> None:
    """An audit row without personal data (numbers, states and counts only)."""
    session.add(AuditEntry(at=at, actor_user_id=actor_user_id, action=action, subject=subject, detail=detail))


def attempt_source(channel: str, external_id: str, client_address: str = "") -> str:
    """Whom the lock counts: the client's address where the channel gives one (the web: a new cookie
    must not reset the count; an IPv6 client owns a whole /64, so the /64 counts), else the
    channel's user id (a Telegram account, whichever chat it writes from)."""
    if client_address:
        try:
            address = ipaddress.ip_address(client_address)
        except ValueError:
            return f"{channel}:addr:{client_address[:64]}"
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                return f"{channel}:addr:{address.ipv4_mapped}"
            return f"{channel}:addr:{ipaddress.ip_network(f'{address}/64', strict=False)}"
        return f"{channel}:addr:{address}"
    return f"{channel}:user:{external_id}"


def _window_lock_end(times: list[datetime], failures: int, window: timedelta, duration: timedelta, now: datetime) -> datetime | None:
    """The end of the latest lock ``failures`` failures within ``window`` started, if still running."""
    until: datetime | None = None
    for i in range(failures - 1, len(times)):
        if times[i] - times[i - failures + 1] <= window:
            end = times[i] + duration
            if end > now and (until is None or end > until):
                until = end
    return until


@dataclass
class Recipients:
    applicants: list[User]
    hr: list[User]


class StatusService:
    """Stateless operations over one database session; built per call from ``Services``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.rules = rules_for(services)
        self.workflow = self.rules.workflow
        #: outbox rows this service added (the import report shows it)
        self.notices_written = 0

    @property
    def salt(self) -> str:
        salt = self.services.settings.hash_salt
        assert salt is not None, "build_app fills hash_salt (bot.settings.with_hash_salt)"
        return salt.get_secret_value()

    def t(self, key: str, **values: Any) -> str:
        return self.services.t(key, **values)

    # ---- reading ----------------------------------------------------------------------------
    async def find(self, session: AsyncSession, number: str) -> Application | None:
        result = await session.execute(select(Application).where(Application.number == number))
        return result.scalar_one_or_none()

    async def unit_of(self, session: AsyncSession, app: Application) -> Unit | None:
        return await session.get(Unit, app.unit_id)

    async def history(self, session: AsyncSession, app: Application) -> list[StatusHistory]:
        result = await session.execute(
            select(StatusHistory).where(StatusHistory.application_id == app.id).order_by(StatusHistory.at, StatusHistory.id)
        )
        return list(result.scalars())

    async def bound_applications(self, session: AsyncSession, user: User) -> list[Application]:
        result = await session.execute(
            select(Application)
            .join(Binding, Binding.application_id == Application.id)
            .where(Binding.user_id == user.id)
            .order_by(Application.number)
        )
        return list(result.scalars())

    async def hr_units(self, session: AsyncSession, user: User) -> list[Unit]:
        result = await session.execute(
            select(Unit).join(HrContact, HrContact.unit_id == Unit.id).where(HrContact.user_id == user.id).order_by(Unit.name)
        )
        return list(result.scalars())

    async def may_view(self, session: AsyncSession, user: User, is_staff: bool, app: Application) -> bool:
        """Staff, the unit's HR contacts and bound applicants may see an application."""
        if is_staff:
            return True
        hr = await session.execute(
            select(HrContact.id).where(HrContact.user_id == user.id, HrContact.unit_id == app.unit_id)
        )
        if hr.first() is not None:
            return True
        bound = await session.execute(
            select(Binding.id).where(Binding.user_id == user.id, Binding.application_id == app.id)
        )
        return bound.first() is not None

    async def unit_page(self, session: AsyncSession, unit_id: int, page: int, size: int) -> tuple[list[Application], int]:
        total = (
            await session.execute(select(func.count()).select_from(Application).where(Application.unit_id == unit_id))
        ).scalar_one()
        result = await session.execute(
            select(Application)
            .where(Application.unit_id == unit_id)
            .order_by(Application.number)
            .offset(page * size)
            .limit(size)
        )
        return list(result.scalars()), int(total)

    # ---- describing -------------------------------------------------------------------------
    def next_step(self, app: Application) -> tuple[str, date | None]:
        """The next step sentence for the application's state, and its due date if any."""
        state = self.workflow.states.get(app.state)
        if state is None:
            return "", None
        due = self.rules.due_date(app.state, app.state_at, app.due_date)
        template = state.next_step if (due or not state.next_step_without_due) else state.next_step_without_due
        year = app.state_at.year
        values = self.services.contact_values() | {
            "fee": str(self.rules.fee(app.level, year) or ""),
            "due": format_date(due),
            "publicity_end": format_date(self.rules.publicity_end(app.state, app.state_at)),
            "publicity_days": str(state.publicity_working_days or ""),
        }
        return fill(template, **values), due

    def explanation(self, app: Application) -> str:
        state = self.workflow.states.get(app.state)
        if state is None:
            return ""
        return fill(state.explanation, publicity_days=str(state.publicity_working_days or ""))

    def render(self, app: Application, history: list[StatusHistory], unit: Unit | None) -> str:
        """The full status card: state, explanation, history, next step and due date."""
        step, due = self.next_step(app)
        lines = [
            self.t(
                "status.card.header",
                number=app.number,
                name=mask_name(app.applicant_name),
                level=self.workflow.level_label(app.level),
                unit=unit.name if unit else "",
            ),
            self.t("status.card.state", state=self.workflow.label(app.state), since=format_time(app.state_at)),
            self.explanation(app),
            self.t("status.card.history_header"),
        ]
        for row in history[-10:]:
            note = f"（{row.note}）" if row.note else ""
            lines.append(self.t("status.card.history_line", at=format_time(row.at), state=self.workflow.label(row.state), note=note))
        lines.append(self.t("status.card.next_step", step=step))
        if due:
            lines.append(self.t("status.card.due", due=format_date(due)))
        return "\n".join(line for line in lines if line)

    # ---- changing ---------------------------------------------------------------------------
    def validate_change(self, app: Application, target: str, note: str) -> int | None:
        """Raise TransitionRefused / StatusInputError; returns the rejection ground code if any."""
        self.workflow.check_transition(app.state, target, app.level)
        if len(note) > NOTE_MAX:
            raise StatusInputError(self.t("status.errors.note_too_long", limit=NOTE_MAX))
        if self.workflow.states[target].requires_reason:
            reason = self.workflow.rejection_reason(note)
            if reason is None:
                grounds = "；".join(f"{r.code}.{r.label}" for r in self.workflow.data.rejection_reasons)
                raise StatusInputError(self.t("status.errors.reason_required", state=self.workflow.label(target), grounds=grounds))
            return reason[0]
        return None

    async def change_state(
        self,
        session: AsyncSession,
        app: Application,
        target: str,
        *,
        actor: str,
        actor_user_id: int | None,
        note: str = "",
        at: datetime | None = None,
        due_date: date | None = None,
        recipients: Recipients | None = None,
    ) -> StatusHistory:
        """Move ``app`` to ``target`` following the workflow; history, audit and notices in one go."""
        now = self.services.clock.now()
        note = (note or "").strip()
        reason_code = self.validate_change(app, target, note)
        source = app.state
        moment = at or now
        row = StatusHistory(
            application_id=app.id, state=target, at=moment, actor=actor, note=note, reason_code=reason_code, recorded_at=now
        )
        session.add(row)
        app.state = target
        app.state_at = moment
        app.updated_at = now
        app.due_date = self.workflow.kept_due(target, due_date, note)
        await session.flush()
        audit(session, now, actor_user_id, "status.change", app.number, source=source, target=target, history_id=row.id, actor=actor)
        await self.notify(session, app, row, recipients)
        return row

    async def recipients(self, session: AsyncSession, app: Application) -> Recipients:
        applicants = await session.execute(
            select(User).join(Binding, Binding.user_id == User.id).where(Binding.application_id == app.id)
        )
        hr = await session.execute(
            select(User).join(HrContact, HrContact.user_id == User.id).where(HrContact.unit_id == app.unit_id)
        )
        return Recipients(applicants=list(applicants.scalars()), hr=list(hr.scalars()))

    async def notify(self, session: AsyncSession, app: Application, row: StatusHistory, recipients: Recipients | None = None) -> int:
        """Write the change notices into the outbox (same transaction). Returns how many were added."""
        recipients = recipients or await self.recipients(session, app)
        now = self.services.clock.now()
        step, due = self.next_step(app)
        values = {
            "number": app.number,
            "name": mask_name(app.applicant_name),
            "state": self.workflow.label(app.state),
            "explanation": self.explanation(app),
            "note": self.t("status.notice.note", note=row.note) if row.note else "",
            "step": step,
            "due": self.t("status.notice.due", due=format_date(due)) if due else "",
        }
        added = 0
        seen: set[int] = set()
        for kind, users in (("applicant", recipients.applicants), ("hr", recipients.hr)):
            for user in users:
                if user.id in seen or user.blocked:
                    continue
                seen.add(user.id)
                text = self.t(f"status.notice.{kind}", **values)
                message = Outbound(text=text)
                key = f"status:{app.number}:{row.id}:{user.id}"
                if await enqueue(session, user=user, message=message, key=key, kind="status", now=now) is not None:
                    added += 1
        self.notices_written += added
        return added

    # ---- binding ----------------------------------------------------------------------------
    def target_hash(self, kind: str, target: str) -> str:
        return keyed_hash(self.salt, "attempt", kind, target.upper())

    def source_hash(self, channel: str, external_id: str, client_address: str = "") -> str:
        """Who is trying, as the lock counts them; see ``attempt_source``. Stored hashed."""
        return "h:" + keyed_hash(self.salt, "source", attempt_source(channel, external_id, client_address))

    async def hold_attempt_locks(self, session: AsyncSession, kind: str, source: str, target_hash: str | None) -> None:
        """Serialise check-and-record of attempts from this source and on this target across processes.

        Call before ``locked_until`` when an attempt may follow: without it, concurrent transactions
        all read the count below the limit and all record a failure (40 of 40 on PostgreSQL).
        """
        names = [f"attempt:{kind}:source:{source}"]
        if target_hash is not None:
            names.append(f"attempt:{kind}:target:{target_hash}")
        await lock_names(session, *names)

    async def locked_until(self, session: AsyncSession, kind: str, source: str, target_hash: str | None) -> datetime | None:
        """When this source may try again (on this target); None when it may try now.

        The policy (README, "Lock policy"): ``SOURCE_FAILURES`` failures from one source within
        ``LOCK_WINDOW`` lock that source for ``LOCK_DURATION`` after the last of them, whatever the
        numbers. Failures of other sources never lock it, except that once a target has had
        ``TARGET_ALERT`` failures within ``TARGET_WINDOW`` (someone is guessing it from many
        places), a source that already failed on that target is held off it until
        ``TARGET_WINDOW`` after its own last failure there. A source that has not failed on the
        target (the applicant on their own phone) is never held off by anyone else's failures.
        """
        now = self.services.clock.now()
        until = _window_lock_end(
            await self._failure_times(session, kind, now - LOCK_WINDOW - LOCK_DURATION, BindAttempt.chat_key == source),
            SOURCE_FAILURES, LOCK_WINDOW, LOCK_DURATION, now,
        )
        if target_hash is not None and kind == "bind":
            since = now - TARGET_WINDOW
            own = await self._failure_times(session, kind, since, BindAttempt.chat_key == source, BindAttempt.target_hash == target_hash)
            if own and len(await self._failure_times(session, kind, since, BindAttempt.target_hash == target_hash)) >= TARGET_ALERT:
                end = own[-1] + TARGET_WINDOW
                if until is None or end > until:
                    until = end
        return until

    async def _failure_times(self, session: AsyncSession, kind: str, since: datetime, *conditions: Any) -> list[datetime]:
        result = await session.execute(
            select(BindAttempt.at)
            .where(*conditions, BindAttempt.kind == kind, BindAttempt.success.is_(False), BindAttempt.at >= since)
            .order_by(BindAttempt.at)
        )
        return [row[0] for row in result]

    async def record_failure(self, session: AsyncSession, kind: str, source: str, target_hash: str) -> None:
        """Count a failed attempt. Successes are not kept: the lock needs failures only, and a
        success row would say which source bound which number."""
        now = self.services.clock.now()
        # nothing older than the longest window counts: keep the table (and what it says) small
        await session.execute(delete(BindAttempt).where(BindAttempt.at < now - ATTEMPT_RETENTION))
        session.add(BindAttempt(kind=kind, chat_key=source, target_hash=target_hash, success=False, at=now))
        await session.flush()

    async def verify_and_bind(self, session: AsyncSession, user: User, number: str, tail: str, source: str) -> Application | None:
        """Bind when number and ID tail match; the caller checked the lock and the formats."""
        app = await self.find(session, number)
        ok = app is not None and app.id_tail_hash == id_tail_hash(self.salt, number, tail)
        if not ok:
            await self.record_failure(session, "bind", source, self.target_hash("bind", number))
        now = self.services.clock.now()
        audit(session, now, user.id, "status.bind.ok" if ok else "status.bind.fail", number if ok else None)
        if not ok or app is None:
            return None
        exists = await session.execute(
            select(Binding.id).where(Binding.user_id == user.id, Binding.application_id == app.id)
        )
        if exists.first() is None:
            session.add(Binding(user_id=user.id, application_id=app.id, created_at=now))
            await session.flush()
        return app

    # ---- units and HR contacts --------------------------------------------------------------
    async def unit(self, session: AsyncSession, name: str, create: bool = True) -> Unit | None:
        name = name.strip()
        result = await session.execute(select(Unit).where(Unit.name == name))
        unit = result.scalar_one_or_none()
        if unit is None and create:
            unit = Unit(name=name, created_at=self.services.clock.now())
            session.add(unit)
            await session.flush()
        return unit

    async def create_invite(self, session: AsyncSession, unit_name: str) -> tuple[str, datetime, Unit]:
        """A new one-time code for the unit's HR contact (only its hash is stored)."""
        unit = await self.unit(session, unit_name)
        assert unit is not None
        now = self.services.clock.now()
        code = new_invite_code()
        session.add(
            InviteCode(
                code_hash=keyed_hash(self.salt, "invite", code), unit_id=unit.id, created_at=now, expires_at=now + INVITE_VALID
            )
        )
        audit(session, now, None, "status.hr.invite", unit.name, expires_days=INVITE_VALID.days)
        await session.flush()
        return code, now + INVITE_VALID, unit

    async def redeem_invite(self, session: AsyncSession, user: User, code: str, source: str) -> Unit | None:
        code = normalize_invite(code)
        now = self.services.clock.now()
        code_hash = keyed_hash(self.salt, "invite", code)
        result = await session.execute(select(InviteCode).where(InviteCode.code_hash == code_hash))
        invite = result.scalar_one_or_none()
        ok = invite is not None and invite.used_at is None and invite.expires_at > now
        if not ok or invite is None:
            await self.record_failure(session, "hr", source, self.target_hash("hr", code))
            audit(session, now, user.id, "status.hr.fail", None)
            return None
        invite.used_at = now
        invite.used_by_user_id = user.id
        unit = await session.get(Unit, invite.unit_id)
        exists = await session.execute(
            select(HrContact.id).where(HrContact.user_id == user.id, HrContact.unit_id == invite.unit_id)
        )
        if exists.first() is None:
            session.add(HrContact(user_id=user.id, unit_id=invite.unit_id, created_at=now))
        if user.role == "applicant":
            # an explicit statement: the caller's user may be a read-only record of the row
            await session.execute(update(User).where(User.id == user.id).values(role="hr"))
        audit(session, now, user.id, "status.hr.ok", unit.name if unit else None)
        await session.flush()
        return unit

    async def forget(self, session: AsyncSession, user: User) -> None:
        """Drop the user's links (bindings, HR roles, the invite they redeemed, their name on the
        history rows they wrote); the office's application records stay.

        Failed attempts of the last hours stay, keyed by a salted hash of the account: deleting them
        would let a guesser reset the lock with /forget. They expire with the lock window.
        """
        await session.execute(delete(Binding).where(Binding.user_id == user.id))
        await session.execute(delete(HrContact).where(HrContact.user_id == user.id))
        await session.execute(update(InviteCode).where(InviteCode.used_by_user_id == user.id).values(used_by_user_id=None))
        await session.execute(update(StatusHistory).where(StatusHistory.actor == f"user:{user.id}").values(actor=FORGOTTEN_ACTOR))
        # rows written before sources were hashed carry the raw chat key
        await session.execute(delete(BindAttempt).where(BindAttempt.chat_key == f"{user.channel}:{user.chat_id}"))


__all__ = ["StatusService", "StatusInputError", "TransitionRefused", "Recipients", "parse_due", "audit", "rules_for"]
