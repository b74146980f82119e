"""Short-lived per-user notes (``user_notes``): context a feature needs on the user's next step.

A note is small JSON under a ``kind`` (one per user and kind) with an expiry: the knowledge base keeps
"this user just pressed 👎 on that answer" for a few minutes, a personal-case answer keeps the facts
its question told so that the self-check can start prefilled. Nothing here outlives its expiry in
use; expired rows are deleted whenever a note is written, and all of a user's rows go with /forget
(explicitly, and by the foreign key's cascade). Plain statements on the update's transaction, so a
question does not open an ORM session.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.core.context import Context
from bot.storage import user_notes as sql


async def get_note(ctx: Context, kind: str) -> dict[str, Any] | None:
    """The user's unexpired note of this kind, or None (without a query when the update began
    with no note of the user and none was written since)."""
    if not ctx.has_notes:
        return None
    rows = await ctx.fetch_text(sql.GET, {"user_id": ctx.user.id, "kind": kind, "now": ctx.now})
    if not rows:
        return None
    try:
        data = json.loads(rows[0][0])
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


async def set_note(ctx: Context, kind: str, data: dict[str, Any], ttl: timedelta) -> None:
    """Write (or replace) the note; expired notes of every user are dropped on the way."""
    await ctx.run_text(sql.PRUNE, {"now": ctx.now})
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    await ctx.run_text(sql.SET, {"user_id": ctx.user.id, "kind": kind, "data": payload, "expires_at": ctx.now + ttl})
    ctx.has_notes = True


async def clear_note(ctx: Context, kind: str) -> None:
    await ctx.run_text(sql.DELETE, {"user_id": ctx.user.id, "kind": kind})


async def note_kinds(ctx: Context) -> list[str]:
    """Kinds of the user's unexpired notes (for /privacy)."""
    if not ctx.has_notes:
        return []
    return sorted(r[0] for r in await ctx.fetch_text(sql.COUNT, {"user_id": ctx.user.id, "now": ctx.now}))


async def forget_notes(ctx: Context) -> None:
    await ctx.run_text(sql.FORGET, {"user_id": ctx.user.id})
