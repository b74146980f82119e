"""Browser sessions: an opaque random token in an HttpOnly cookie, and what is derived from it.

The cookie token is the only secret, and only tokens the server issued are sessions
(``bot.channels.web.issued``). The database never sees it: the web user's id (the session key,
used as ``Inbound.user_id``) is a hash of it, so a leaked database does not hand out live sessions.
The session key always starts with ``w`` and contains hex digits, so it can never equal a numeric
Telegram id in ``STAFF_IDS`` (web users are never staff by configuration). The CSRF token is another
hash of the cookie token: a page on another origin can neither read the cookie nor our responses, so
it cannot produce the token our pages send in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

COOKIE_NAME = "zc_session"
#: the cookie's name over HTTPS: browsers accept a ``__Host-`` cookie only with Secure, Path=/ and no
#: Domain, so a sibling subdomain (or a plain-HTTP page) cannot plant or overwrite it
SECURE_COOKIE_NAME = "__Host-" + COOKIE_NAME
COOKIE_MAX_AGE = 30 * 24 * 3600  # seconds; the history is kept as long as the cookie lives
CSRF_HEADER = "X-CSRF-Token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def valid_token(value: str | None) -> bool:
    """Only tokens of our own shape are accepted; anything else is treated as no session."""
    return bool(value) and bool(_TOKEN.match(value or ""))


def session_key(token: str) -> str:
    """The web user's id: ``w`` + 32 hex digits (never all digits, never the token itself)."""
    return "w" + hashlib.blake2b(token.encode(), digest_size=16, person=b"zc-web-user").hexdigest()


def csrf_token(token: str) -> str:
    return hashlib.blake2b(token.encode(), digest_size=16, person=b"zc-web-csrf").hexdigest()


def csrf_ok(token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(token), presented or "")


def update_id(key: str, client_id: str) -> str:
    """A per-session update id for the core's redelivery guard (≤ 64 characters)."""
    return "web-" + hashlib.blake2b(f"{key}:{client_id}".encode(), digest_size=20).hexdigest()
