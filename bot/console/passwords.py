"""Password policy and hashing for staff accounts (Argon2id through argon2-cffi).

The policy is short on purpose (NIST SP 800-63B): a minimum length and a refusal of passwords
everybody tries first; no composition rules, which only push people to ``Password1!``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 128  # Argon2 takes any length; a cap keeps a megabyte "password" from costing CPU

_hasher = PasswordHasher()
#: verified when the login does not exist, so that an unknown login costs the same time as a wrong
#: password and the response time does not tell which logins exist
_DUMMY_HASH = _hasher.hash("not-a-password: timing equaliser")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), one a line."""
    text = resources.files("bot.console").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def policy_problem(password: str, login: str = "") -> str | None:
    """The text key of why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "console.password.too_short"
    if len(password) > MAX_LENGTH:
        return "console.password.too_long"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) <= 2:
        return "console.password.too_common"
    if login and login.lower() in lowered:
        return "console.password.contains_login"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; without a stored hash a dummy one is checked (same cost)."""
    try:
        if stored_hash is None or len(password) > MAX_LENGTH:  # the same cost as a real check
            _hasher.verify(_DUMMY_HASH, password[:MAX_LENGTH])
            return False
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
