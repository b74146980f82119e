"""The bind and HR-code lockout: who is trying (hashed), whether they may try now, and counting
failures. The policy is in ``Lockout.locked_until`` (README, "Lock policy")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.addresses import client_network
from bot.core.context import Services
from bot.status.models import BindAttempt
from bot.status.personal import keyed_hash
from bot.storage.locks import lock_names

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


def salt_of(services: Services) -> str:
    """The keyed-hash salt (``build_app`` always fills it, see ``bot.settings.with_hash_salt``)."""
    salt = services.settings.hash_salt
    assert salt is not None, "build_app fills hash_salt (bot.settings.with_hash_salt)"
    return salt.get_secret_value()


def attempt_source(channel: str, external_id: str, client_address: str = "") -> str:
    """Whom the lock counts: the client's address where the channel gives one (the web: a new cookie
    must not reset the count; an IPv6 client owns a whole /64, so the /64 counts), else the
    channel's user id (a Telegram account, whichever chat it writes from)."""
    if client_address:
        return f"{channel}:addr:{client_network(client_address)}"
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


class Lockout:
    """Failure counting and lock decisions over the caller's session (stateless, built once)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def target_hash(self, kind: str, target: str) -> str:
        return keyed_hash(salt_of(self.services), "attempt", kind, target.upper())

    def source_hash(self, channel: str, external_id: str, client_address: str = "") -> str:
        """Who is trying, as the lock counts them; see ``attempt_source``. Stored hashed."""
        return "h:" + keyed_hash(salt_of(self.services), "source", attempt_source(channel, external_id, client_address))

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
