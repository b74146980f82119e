"""The SQL of short-lived per-user notes (``user_notes``); ``bot.core.notes`` runs it on the
update's transaction, so the core itself needs no database library."""

from __future__ import annotations

from sqlalchemy import bindparam, text

from bot.storage.base import UTCDateTime

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
