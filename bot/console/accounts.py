"""Staff accounts: creation, setup links, password choice, sign-in check, disable and reset.

Every function works inside the caller's transaction (``AsyncSession``) and takes ``now`` from the
caller's clock, so the command line, the pages and the tests share one implementation.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.models import ConsoleSession, StaffAccount, StaffSetupToken
from bot.console.passwords import hash_password, policy_problem, verify_password

ROLES = ("staff", "admin")
SETUP_LIFETIME = timedelta(hours=24)
LOGIN_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


class AccountError(Exception):
    """An expected refusal; ``key`` is the text key of the message shown or printed."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class AccountView:
    """What pages and the command line show about an account (never the hash)."""

    id: int
    login: str
    role: str
    disabled: bool
    has_password: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, row: StaffAccount) -> AccountView:
        return cls(row.id, row.login, row.role, row.disabled, row.password_hash is not None,
                   row.created_at, row.last_sign_in_at)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_login(login: str) -> bool:
    return bool(LOGIN_PATTERN.match(login))


async def find(session: AsyncSession, login: str) -> StaffAccount | None:
    return (await session.execute(select(StaffAccount).where(StaffAccount.login == login))).scalar_one_or_none()


async def get(session: AsyncSession, account_id: int) -> StaffAccount | None:
    return await session.get(StaffAccount, account_id)


async def list_accounts(session: AsyncSession) -> list[AccountView]:
    rows = (await session.execute(select(StaffAccount).order_by(StaffAccount.login))).scalars()
    return [AccountView.of(row) for row in rows]


async def add(session: AsyncSession, login: str, role: str, now: datetime) -> tuple[StaffAccount, str]:
    """A new account without a password, and the token of its setup link."""
    login = login.strip().lower()
    if not valid_login(login):
        raise AccountError("console.accounts.bad_login")
    if role not in ROLES:
        raise AccountError("console.accounts.bad_role")
    if await find(session, login) is not None:
        raise AccountError("console.accounts.exists", login=login)
    account = StaffAccount(login=login, role=role, disabled=False, created_at=now)
    session.add(account)
    await session.flush()
    return account, await new_setup_token(session, account, now)


async def new_setup_token(session: AsyncSession, account: StaffAccount, now: datetime) -> str:
    """A fresh one-time setup token; earlier unused ones of the account stop working."""
    await session.execute(delete(StaffSetupToken).where(StaffSetupToken.account_id == account.id))
    token = secrets.token_urlsafe(32)
    session.add(StaffSetupToken(token_hash=token_hash(token), account_id=account.id, created_at=now,
                                expires_at=now + SETUP_LIFETIME))
    await session.flush()
    return token


async def disable(session: AsyncSession, login: str, acting: str | None = None) -> StaffAccount:
    """Disable the account and end its sessions and setup links at once.

    Refused for the acting admin's own account (``acting``: the signed-in login; None for the
    command line) and for the last active admin (enabled, with a password): with none left nobody
    could manage accounts from the console. The admin rows are locked first (``FOR UPDATE`` on PostgreSQL), so two admins
    disabling each other at the same moment cannot both succeed."""
    account = await _existing(session, login)
    if acting is not None and account.login == acting.strip().lower():
        raise AccountError("console.accounts.not_yourself")
    if await _is_last_active_admin(session, account):
        raise AccountError("console.accounts.last_admin", login=account.login)
    account.disabled = True
    await _end_access(session, account.id)
    return account


async def _is_last_active_admin(session: AsyncSession, account: StaffAccount) -> bool:
    """Whether no other admin could sign in without ``account``. The admin rows are locked first
    (``FOR UPDATE`` on PostgreSQL), so two admins acting on each other at the same moment cannot
    both succeed."""
    if account.role != "admin":
        return False
    admins = (await session.execute(
        select(StaffAccount).where(StaffAccount.role == "admin").order_by(StaffAccount.id)
        .with_for_update().execution_options(populate_existing=True)
    )).scalars().all()
    return is_active(account) and not any(other.id != account.id and is_active(other) for other in admins)


def is_active(account: StaffAccount) -> bool:
    """Enabled and with a password: the account can sign in now."""
    return not account.disabled and account.password_hash is not None


async def reset(session: AsyncSession, login: str, now: datetime, from_console: bool = False) -> tuple[StaffAccount, str]:
    """Forget the password (it may be known to someone else), end the sessions, issue a new link.

    A disabled account is enabled again by a reset: the new link is how an administrator hands an
    account back. From the console the last active admin is not reset: until the new password is
    set nobody could sign in to manage accounts, and a link lost with a closed tab would lock the
    console; ``python -m bot staff reset`` on the server still does it."""
    account = await _existing(session, login)
    if from_console and await _is_last_active_admin(session, account):
        raise AccountError("console.accounts.last_admin_reset", login=account.login)
    account.password_hash = None
    account.disabled = False
    await _end_access(session, account.id)
    return account, await new_setup_token(session, account, now)


async def setup_account(session: AsyncSession, token: str, now: datetime) -> StaffAccount | None:
    """The account a setup link is for, while the link is valid (unused, not expired, not disabled)."""
    if not _TOKEN_PATTERN.match(token or ""):
        return None
    row = await session.get(StaffSetupToken, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    account = await get(session, row.account_id)
    return None if account is None or account.disabled else account


async def choose_password(session: AsyncSession, token: str, password: str, repeated: str, now: datetime) -> StaffAccount:
    """Set the password through a setup link; the link is used up only when the password is taken.

    Hashing takes a good fraction of a second on purpose: callers serving requests use
    ``check_new_password`` + ``hash_password`` in a worker thread + ``store_password`` instead, so
    that neither the event loop nor a database transaction waits for it."""
    account = await check_new_password(session, token, password, repeated, now)
    return await store_password(session, token, hash_password(password), now) or account


async def check_new_password(session: AsyncSession, token: str, password: str, repeated: str, now: datetime) -> StaffAccount:
    """The setup link's account when ``password`` may be chosen; else AccountError."""
    account = await setup_account(session, token, now)
    if account is None:
        raise AccountError("console.setup.invalid_link")
    if password != repeated:
        raise AccountError("console.password.mismatch")
    problem = policy_problem(password, account.login)
    if problem is not None:
        raise AccountError(problem)
    return account


async def store_password(session: AsyncSession, token: str, password_hash: str, now: datetime) -> StaffAccount:
    """Store a hash computed from a password ``check_new_password`` accepted; uses the link up."""
    account = await setup_account(session, token, now)
    if account is None:  # used or expired while the hash was computed
        raise AccountError("console.setup.invalid_link")
    used = await session.execute(
        update(StaffSetupToken)
        .where(StaffSetupToken.token_hash == token_hash(token), StaffSetupToken.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # another request used the link first
        raise AccountError("console.setup.invalid_link")
    account.password_hash = password_hash
    await _end_access(session, account.id, keep_tokens=True)
    return account


async def sign_in_candidate(session: AsyncSession, login: str) -> tuple[int | None, str | None]:
    """(account id, password hash) of an enabled account with a password, else (None, None).

    The caller verifies the password outside the transaction with ``verify_password``: with a None
    hash it checks a dummy one, so an unknown, disabled or password-less login answers no faster
    than a wrong password."""
    login = login.strip().lower()
    account = await find(session, login) if valid_login(login) else None
    if account is None or account.disabled or account.password_hash is None:
        return None, None
    return account.id, account.password_hash


async def check_sign_in(session: AsyncSession, login: str, password: str) -> StaffAccount | None:
    """The account when login and password match an enabled account, else None (tests, tools)."""
    account_id, stored = await sign_in_candidate(session, login)
    ok = verify_password(stored, password)
    return await get(session, account_id) if ok and account_id is not None else None


async def _existing(session: AsyncSession, login: str) -> StaffAccount:
    account = await find(session, login.strip().lower())
    if account is None:
        raise AccountError("console.accounts.unknown", login=login)
    return account


async def _end_access(session: AsyncSession, account_id: int, keep_tokens: bool = False) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account_id))
    if not keep_tokens:
        await session.execute(delete(StaffSetupToken).where(StaffSetupToken.account_id == account_id))
