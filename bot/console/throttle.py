"""The growing delay between failed sign-ins, per login (as typed) and per client address.

A key may fail ``FREE_FAILURES`` times freely; after that each further attempt must wait a delay
that doubles with every failure, up to ``MAX_DELAY``. The login key is a hash of what was typed, so
an unknown login is slowed down exactly like a real one and the answers never tell them apart. An
address gets more free failures (an office behind one NAT address shares it). A success clears the
login's count; a day without failures clears any count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.models import ConsoleSignInAttempt
from bot.core.addresses import client_network
from bot.status.personal import keyed_hash

MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Scope:
    name: str
    free_failures: int
    first_delay: timedelta


ACCOUNT = Scope("account", free_failures=4, first_delay=timedelta(seconds=30))
ADDRESS = Scope("address", free_failures=20, first_delay=timedelta(seconds=30))


def delay_after(scope: Scope, failures: int) -> timedelta:
    """How long the next attempt waits after ``failures`` failures in a row."""
    if failures <= scope.free_failures:
        return timedelta(0)
    doubling = min(failures - scope.free_failures - 1, 20)
    return min(scope.first_delay * (2**doubling), MAX_DELAY)


class SignInThrottle:
    """Counts failures in the caller's transaction; keys are keyed hashes under the bot's salt."""

    def __init__(self, salt: str) -> None:
        self.salt = salt

    def keys(self, login: str, address: str) -> list[tuple[Scope, str]]:
        return [
            (ACCOUNT, keyed_hash(self.salt, "console-login", login.strip().lower()[:80])),
            (ADDRESS, keyed_hash(self.salt, "console-address", client_network(address))),
        ]

    async def wait_seconds(self, session: AsyncSession, login: str, address: str, now: datetime) -> int:
        """Whole seconds before this login may be tried from this address (0: now)."""
        wait = timedelta(0)
        for scope, key in self.keys(login, address):
            row = await session.get(ConsoleSignInAttempt, key)
            if row is None or now - row.last_failure_at > FORGET_AFTER:
                continue
            wait = max(wait, row.last_failure_at + delay_after(scope, row.failures) - now)
        return math.ceil(wait.total_seconds()) if wait > timedelta(0) else 0

    async def failed(self, session: AsyncSession, login: str, address: str, now: datetime) -> None:
        """Count one failure on both keys: one upsert each, so two processes never lose a count
        or trip over each other's first insert."""
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        table = ConsoleSignInAttempt.__table__
        for scope, key in self.keys(login, address):
            stmt = insert(table).values(key_hash=key, scope=scope.name, failures=1, last_failure_at=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.key_hash],
                set_={
                    "failures": case((table.c.last_failure_at < now - FORGET_AFTER, 1), else_=table.c.failures + 1),
                    "last_failure_at": now,
                },
            )
            await session.execute(stmt)
        session.expire_all()  # rows read before are stale now

    async def succeeded(self, session: AsyncSession, login: str, address: str) -> None:
        account_key = self.keys(login, address)[0][1]
        await session.execute(delete(ConsoleSignInAttempt).where(ConsoleSignInAttempt.key_hash == account_key))


async def purge(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(ConsoleSignInAttempt).where(
        ConsoleSignInAttempt.last_failure_at < now - FORGET_AFTER))
    return int(result.rowcount or 0)
