"""Masking and salted hashing of the little personal data the status feature touches.

The ID tail is hashed together with the application number so equal tails of different people do
not give equal hashes; invite codes and attempt targets are hashed so the table is useless to a
reader of a database dump.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

ID_TAIL_RE = re.compile(r"^[0-9]{3}[0-9Xx]$")
#: no 0/O/1/I/L: codes are read aloud and typed on phones
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 10


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 欧阳娜娜 → 欧**娜; never shows more than first and last character."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def normalize_id_tail(value: str) -> str | None:
    """The four last ID characters, upper-cased, or None when they are not 3 digits + digit/X."""
    value = unicodedata.normalize("NFKC", value or "").strip().replace(" ", "")
    # Spreadsheets turn 0123 into the number 123: restore the leading zeros.
    if value.isdigit() and len(value) < 4:
        value = value.zfill(4)
    return value.upper() if ID_TAIL_RE.match(value) else None


def keyed_hash(salt: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts (joined by a separator no part contains) under the salt."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(salt.encode("utf-8"), message, hashlib.sha256).hexdigest()


def id_tail_hash(salt: str, number: str, tail: str) -> str:
    return keyed_hash(salt, "id-tail", number.upper(), tail.upper())


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalize_invite(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()
