"""Status commands: every write of the status feature (state changes, binding, units and HR
invites, /forget), each inside the caller's transaction.

A state change writes its history row and audit entry, then raises ``StatusChanged``; the notices
handler writes the outbox rows in the same transaction, so the change and its notices commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.localized import pick
from bot.core.context import Services
from bot.core.unit_of_work import UserRecord
from bot.outbox.models import OutboxMessage
from bot.status.lockout import Lockout, salt_of
from bot.status.models import Application, BindAttempt, Binding, HrContact, InviteCode, StatusHistory, Unit
from bot.status.notices import Recipients, StatusChanged, digest_unit_of_key, is_digest_key, number_of_key
from bot.status.personal import id_tail_hash, keyed_hash, new_invite_code, normalize_invite
from bot.status.queries import StatusQueries
from bot.status.workflow import StaffRefusal, Workflow
from bot.storage.models import User, add_audit

INVITE_VALID = timedelta(days=7)
NOTE_MAX = 500
#: what stands where a forgotten user's id stood (history rows, audit details)
FORGOTTEN_ACTOR = "forgotten"

#: the handler a command hands its ``StatusChanged`` events to; returns how many notices it wrote
ChangeHandler = Callable[[AsyncSession, Sequence[StatusChanged], Mapping[int, Recipients] | None], Awaitable[int]]


class StatusInputError(StaffRefusal):
    """Input the workflow cannot accept (e.g. 不予受理 without one of the six grounds); ``str()`` is
    the Chinese message, ``in_language`` the staff member's."""


#: ids per DELETE statement (SQLite's bound-parameter limit is far above this)
DELETE_CHUNK = 500

@dataclass(frozen=True)
class ChangeOutcome:
    """What one state change did: its event, and how many notices the handler wrote for it."""

    event: StatusChanged
    notices: int


class StatusCommands:
    """The writes; stateless between calls (built once with the rest of ``StatusService``)."""

    def __init__(
        self, services: Services, workflow: Workflow, queries: StatusQueries, lockout: Lockout, on_changed: ChangeHandler
    ) -> None:
        self.services = services
        self.workflow = workflow
        self.queries = queries
        self.lockout = lockout
        self.on_changed = on_changed

    # ---- changing ---------------------------------------------------------------------------
    def validate_change(self, app: Application, target: str, note: str) -> int | None:
        """Raise TransitionRefused / StatusInputError; returns the rejection ground code if any."""
        self.workflow.check_transition(app.state, target, app.level)
        t = self.services.t
        if len(note) > NOTE_MAX:
            raise StatusInputError(lambda lang: t("status.errors.note_too_long", lang, limit=NOTE_MAX))
        if self.workflow.states[target].requires_reason:
            reason = self.workflow.rejection_reason(note)
            if reason is None:
                raise StatusInputError(lambda lang: self._reason_required(target, lang))
            return reason[0]
        return None

    def _reason_required(self, target: str, lang: str) -> str:
        """Which grounds a refusal state needs, in ``lang`` (the grounds' own English labels too)."""
        t = self.services.t
        grounds = t("status.errors.grounds_separator", lang).join(
            t("status.errors.ground", lang, code=r.code, label=pick(r, "label", lang)) for r in self.workflow.data.rejection_reasons
        )
        return t("status.errors.reason_required", lang, state=self.workflow.label(target, lang), grounds=grounds)

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
    ) -> ChangeOutcome:
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
        add_audit(session, now, actor_user_id, "status.change", app.number, source=source, target=target, history_id=row.id, actor=actor)
        event = StatusChanged(app, row)
        return ChangeOutcome(event, await self.on_changed(session, [event], None))

    # ---- binding ----------------------------------------------------------------------------
    async def verify_and_bind(self, session: AsyncSession, user: UserRecord, number: str, tail: str, source: str) -> Application | None:
        """Bind when number and ID tail match; the caller checked the lock and the formats."""
        app = await self.queries.find(session, number)
        ok = app is not None and app.id_tail_hash == id_tail_hash(salt_of(self.services), number, tail)
        if not ok:
            await self.lockout.record_failure(session, "bind", source, self.lockout.target_hash("bind", number))
        now = self.services.clock.now()
        add_audit(session, now, user.id, "status.bind.ok" if ok else "status.bind.fail", number if ok else None)
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
    async def unit(self, session: AsyncSession, name: str) -> Unit:
        """The unit called ``name``, created when new."""
        unit = await self.queries.unit_named(session, name)
        if unit is None:
            unit = Unit(name=name.strip(), created_at=self.services.clock.now())
            session.add(unit)
            await session.flush()
        return unit

    async def create_invite(self, session: AsyncSession, unit_name: str) -> tuple[str, datetime, Unit]:
        """A new one-time code for the unit's HR contact (only its hash is stored)."""
        unit = await self.unit(session, unit_name)
        now = self.services.clock.now()
        code = new_invite_code()
        session.add(
            InviteCode(
                code_hash=keyed_hash(salt_of(self.services), "invite", code), unit_id=unit.id, created_at=now,
                expires_at=now + INVITE_VALID,
            )
        )
        add_audit(session, now, None, "status.hr.invite", unit.name, expires_days=INVITE_VALID.days)
        await session.flush()
        return code, now + INVITE_VALID, unit

    async def redeem_invite(self, session: AsyncSession, user: UserRecord, code: str, source: str) -> Unit | None:
        code = normalize_invite(code)
        now = self.services.clock.now()
        code_hash = keyed_hash(salt_of(self.services), "invite", code)
        result = await session.execute(select(InviteCode).where(InviteCode.code_hash == code_hash))
        invite = result.scalar_one_or_none()
        ok = invite is not None and invite.used_at is None and invite.expires_at > now
        if not ok or invite is None:
            await self.lockout.record_failure(session, "hr", source, self.lockout.target_hash("hr", code))
            add_audit(session, now, user.id, "status.hr.fail", None)
            return None
        # claimed in one statement: of two users sending the same code at once, only one gets it
        claimed = await session.execute(
            update(InviteCode)
            .where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
            .values(used_at=now, used_by_user_id=user.id)
        )
        if claimed.rowcount != 1:
            add_audit(session, now, user.id, "status.hr.fail", None)
            return None
        unit = await session.get(Unit, invite.unit_id)
        exists = await session.execute(
            select(HrContact.id).where(HrContact.user_id == user.id, HrContact.unit_id == invite.unit_id)
        )
        if exists.first() is None:
            session.add(HrContact(user_id=user.id, unit_id=invite.unit_id, created_at=now))
        if user.role == "applicant":
            # an explicit statement: the caller's user may be a read-only record of the row
            await session.execute(update(User).where(User.id == user.id).values(role="hr"))
        add_audit(session, now, user.id, "status.hr.ok", unit.name if unit else None)
        await session.flush()
        return unit

    async def revoke_hr(self, session: AsyncSession, contact_id: int, actor: str) -> tuple[Unit, User] | None:
        """Take a unit's HR contact role away from a chat user (None when the link does not exist).

        A user left without any unit is an applicant again, so the HR commands stop working for them
        at their next message.
        """
        contact = await session.get(HrContact, contact_id)
        if contact is None:
            return None
        unit = await session.get(Unit, contact.unit_id)
        user = await session.get(User, contact.user_id)
        if unit is None or user is None:
            return None
        await session.delete(contact)
        await session.flush()
        await self._drop_unsent_unit_notices(session, unit, user)
        remaining = await session.execute(select(HrContact.id).where(HrContact.user_id == user.id).limit(1))
        if remaining.first() is None and user.role == "hr":
            await session.execute(update(User).where(User.id == user.id).values(role="applicant"))
        add_audit(session, self.services.clock.now(), None, "status.hr.revoke", unit.name, actor=actor)
        return unit, user

    @staticmethod
    async def _drop_unsent_unit_notices(session: AsyncSession, unit: Unit, user: User) -> None:
        """A removed HR contact gets none of the unit's notices still queued (quiet hours hold them
        back for the night): they name the unit's applicants, and the summary of an import tells the
        unit's progress. Notices on the person's own bound application stay, and what is already
        being sent cannot be called back.

        A summary queued before summaries named their unit may cover any of the contact's units: it
        goes too, as nothing in it can be kept apart."""
        numbers = set((await session.execute(select(Application.number).where(Application.unit_id == unit.id))).scalars())
        own = set(
            (
                await session.execute(
                    select(Application.number).join(Binding, Binding.application_id == Application.id).where(Binding.user_id == user.id)
                )
            ).scalars()
        )
        queued = await session.execute(
            select(OutboxMessage.id, OutboxMessage.idempotency_key).where(
                OutboxMessage.user_id == user.id, OutboxMessage.kind == "status", OutboxMessage.state == "pending"
            )
        )
        drop = [
            row_id for row_id, key in queued
            if number_of_key(key) in numbers - own or (is_digest_key(key) and digest_unit_of_key(key) in (unit.id, None))
        ]
        for start in range(0, len(drop), DELETE_CHUNK):
            await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(drop[start : start + DELETE_CHUNK])))

    async def forget(self, session: AsyncSession, user: UserRecord) -> None:
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
