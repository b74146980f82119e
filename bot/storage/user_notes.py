"""Short-lived per-user notes (``user_notes``): context a feature needs on the user's next step.

A note is small JSON under a ``kind`` (one per user and kind) with an expiry: the knowledge base keeps
"this user just pressed 👎 on that answer" for a few minutes, a personal-case answer keeps the facts
its question told so that the self-check can start prefilled. Nothing here outlives its expiry in
use; expired rows are deleted whenever a note is written, and all of a user's rows go with /forget
(explicitly, and by the foreign key's cascade). Plain statements on the update's transaction
(``ctx.uow``), so a question does not open an ORM session.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, text

from bot.storage.base import UTCDateTime

if TYPE_CHECKING:
    from bot.core.context import Context

GET = text(
    "SELECT data FROM user_notes WHERE user_id = :user_id AND kind = :kind AND expires_at > :now"
).bindparams(bindparam("now", type_=UTCDateTime()))
SET = text(
    "INSERT INTO user_notes (user_id, kind, data, expires_at) VALUES (:user_id, :kind, :data, :expires_at) "
    "ON CONFLICT (user_id, kind) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at"
).bindparams(bindparam("expires_at", type_=UTCDateTime()))
PRUNE = text("DELETE FROM user_notes WHERE expires_at <= :now").bindparams(bindparam("now", type_=UTCDateTime()))
DELETE = text("DELETE FROM user_notes WHERE user_id = :user_id AND kind = :kind")
FORGET = text("DELETE FROM user_notes WHERE user_id = :user_id")
COUNT = text("SELECT kind FROM user_notes WHERE user_id = :user_id AND expires_at > :now").bindparams(
    bindparam("now", type_=UTCDateTime())
)


async def get_note(ctx: Context, kind: str) -> dict[str, Any] | None:
    """The user's unexpired note of this kind, or None (without a query when the update began
    with no note of the user and none was written since)."""
    if not ctx.has_notes:
        return None
    rows = await ctx.uow.fetch(GET, {"user_id": ctx.user.id, "kind": kind, "now": ctx.now})
    if not rows:
        return None
    try:
        data = json.loads(rows[0][0])
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


async def set_note(ctx: Context, kind: str, data: dict[str, Any], ttl: timedelta) -> None:
    """Write (or replace) the note; expired notes of every user are dropped on the way."""
    await ctx.uow.execute(PRUNE, {"now": ctx.now})
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    await ctx.uow.execute(SET, {"user_id": ctx.user.id, "kind": kind, "data": payload, "expires_at": ctx.now + ttl})
    ctx.has_notes = True


async def clear_note(ctx: Context, kind: str) -> None:
    await ctx.uow.execute(DELETE, {"user_id": ctx.user.id, "kind": kind})


async def note_kinds(ctx: Context) -> list[str]:
    """Kinds of the user's unexpired notes (for /privacy)."""
    if not ctx.has_notes:
        return []
    return sorted(r[0] for r in await ctx.uow.fetch(COUNT, {"user_id": ctx.user.id, "now": ctx.now}))


async def forget_notes(ctx: Context) -> None:
    await ctx.uow.execute(FORGET, {"user_id": ctx.user.id})
