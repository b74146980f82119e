"""Store votes and unanswered questions, without personal data.

``scrub`` removes what could identify the asker before anything is stored (``mask_personal`` of the
core: digit runs that look like phone, ID or account numbers, whatever separates the groups, and
e-mail addresses). Years and small numbers (2024, 5个工作日) stay.

A vote counts only for an answer the bot gave in that chat. Button data comes from the client
(Telegram's callback data, the web page's request), so an entry id in it proves nothing: anybody
could post ``kb:up:<any entry>``. The 👍/👎 buttons under an answer therefore carry a *vote token*,
a keyed hash (under the deployment's secret, ``HASH_SALT``) of the chat, the entry and the day the
answer was given, cut to ``VOTE_TOKEN_LENGTH`` characters so that the data still fits Telegram's 64
bytes. Only the server can make one; a token for another chat (another browser session, another
Telegram chat), another entry or older than ``VOTE_MAX_AGE`` does not verify and the press records
nothing. The token carries no user id and nothing of it is stored with the vote. A voter's own
tokens are remembered for the same period in a short note of theirs (``VOTES_NOTE``), so pressing
the same answer's buttons again (or replaying the request) counts once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.sanitize import mask_personal
from bot.knowledge.models import AnswerFeedback, UnansweredQuestion
from bot.storage.base import UTCDateTime
from bot.storage.user_notes import get_note, set_note

if TYPE_CHECKING:
    from bot.core.context import Context

TEXT_LIMIT = 300
KEY_LIMIT = 200
#: a 👍/👎 press on an answer older than this records nothing (as a question reference of that
#: age is gone, ``learning.REF_MAX_AGE``)
VOTE_MAX_AGE = timedelta(days=30)
#: characters of the vote token in the button data (URL-safe base64: 42 bits; guessing one for a
#: chosen chat and entry takes about 2**41 requests, far beyond any rate limit). With the prefix,
#: the entry id (``schema.ENTRY_ID_MAX``) and a question reference, 👎's data is at most 64 bytes.
VOTE_TOKEN_LENGTH = 7
#: the user note remembering which answers this user already voted on (tokens only)
VOTES_NOTE = "kb_votes"
#: at most this many of a user's votes are remembered (the oldest go first)
VOTES_KEPT = 200

#: runs one ``text()`` clause with its parameters (``ctx.uow.execute`` or ``AsyncSession.execute``)
RunText = Callable[[Any, dict[str, Any]], Awaitable[Any]]


def scrub(text: str) -> str:
    """The question with e-mail addresses and long digit runs replaced by ＊."""
    text = mask_personal(text)
    return " ".join(text.split())[:TEXT_LIMIT]


def question_key(question: str, normalized: str) -> tuple[str, str]:
    """(key, text): the scrubbed normalised question, under which rephrasings that normalise alike
    add up, and the scrubbed question as typed."""
    text_ = scrub(question)
    return scrub(normalized or question)[:KEY_LIMIT] or text_[:KEY_LIMIT], text_


async def record_vote(session: AsyncSession, entry_id: str, vote: int, now: datetime) -> None:
    session.add(AnswerFeedback(entry_id=entry_id, vote=1 if vote > 0 else -1, at=now))
    await session.flush()


def vote_secret(salt: str | None) -> bytes:
    """The key of the vote tokens: the deployment's keyed-hash secret (``HASH_SALT``, the same for
    every process on one database, so a token made by one process verifies in another). Without
    one (a tool that built its services by hand) a random key of this process."""
    return salt.encode("utf-8") if salt else secrets.token_bytes(32)


def vote_day(now: datetime) -> int:
    """The day an answer was given, as a number (UTC days: the same in every process)."""
    return now.astimezone(UTC).date().toordinal()


def vote_token(secret: bytes, chat: str, entry_id: str, day: int) -> str:
    """The token of the answer ``entry_id`` given in ``chat`` (``<channel>:<chat id>``) on ``day``."""
    message = "\x1f".join(("kb-vote", chat, entry_id, str(day))).encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:VOTE_TOKEN_LENGTH]


def vote_issued_on(secret: bytes, chat: str, entry_id: str, token: str, now: datetime) -> int | None:
    """The day the token was issued for this chat and entry within ``VOTE_MAX_AGE``, or None (made
    up, another chat's or entry's, or too old). Tries each day of the window: about 30 hashes, once
    per press."""
    if len(token) != VOTE_TOKEN_LENGTH:
        return None
    today = vote_day(now)
    for day in range(today, today - VOTE_MAX_AGE.days - 1, -1):
        if hmac.compare_digest(vote_token(secret, chat, entry_id, day), token):
            return day
    return None


def vote_data(prefix: str, action: str, entry_id: str, token: str, ref: str | None = None) -> str:
    """A vote button's data: ``<prefix>:<up|dn>:<entry>:<token>`` and, on 👎 after a question the
    learning loop keeps, ``:<question reference>``."""
    return f"{prefix}:{action}:{entry_id}:{token}" + (f":{ref}" if ref else "")


async def first_vote(ctx: Context, token: str, day: int) -> bool:
    """Whether this is the user's first vote on that answer (its token); if so it is remembered.

    Only the vote path reads or writes the note, so asking questions costs nothing more. The note
    lives as long as a token can verify, and forgets tokens that no longer can."""
    note = await get_note(ctx, VOTES_NOTE) or {}
    stamp = f"{day}.{token}"
    oldest = vote_day(ctx.now) - VOTE_MAX_AGE.days
    kept = [v for v in note.get("votes", []) if isinstance(v, str) and _stamp_day(v) >= oldest]
    if stamp in kept:
        return False
    kept = (kept + [stamp])[-VOTES_KEPT:]
    await set_note(ctx, VOTES_NOTE, {"votes": kept}, VOTE_MAX_AGE + timedelta(days=1))
    return True


def _stamp_day(stamp: str) -> int:
    """The day of a remembered ``<day>.<token>`` (0 for anything malformed: the note is data from
    the database, and a malformed stamp is simply dropped as too old)."""
    day, _, _ = stamp.partition(".")
    return int(day) if day.isdigit() else 0


_COUNT_UNANSWERED = text(
    "INSERT INTO kb_unanswered (key, text, outcome, top_entry_id, count, first_at, last_at) "
    "VALUES (:key, :text, :outcome, :top_entry_id, 1, :now, :now) "
    "ON CONFLICT (key) DO UPDATE SET count = kb_unanswered.count + 1, last_at = excluded.last_at, "
    "outcome = excluded.outcome, top_entry_id = excluded.top_entry_id"
).bindparams(bindparam("now", type_=UTCDateTime()))


async def record_unanswered(
    run: RunText, question: str, normalized: str, outcome: str, top_entry_id: str | None, now: datetime
) -> None:
    """Count the question under its normalised, scrubbed form.

    One upsert (atomic on SQLite and PostgreSQL, so two processes counting the same question at once
    both count). ``run`` executes a ``text()`` clause: ``ctx.uow.execute`` in the bot (no ORM
    session needed) or a session's ``execute``.
    """
    key, text_ = question_key(question, normalized)
    if not key:
        return
    await run(_COUNT_UNANSWERED, {"key": key, "text": text_, "outcome": outcome, "top_entry_id": top_entry_id, "now": now})


async def top_gaps(session: AsyncSession, limit: int = 20) -> tuple[list[UnansweredQuestion], int]:
    """The most frequent unanswered questions, fallbacks before suggestions at equal counts."""
    rows = (
        await session.execute(
            select(UnansweredQuestion)
            .order_by(
                UnansweredQuestion.count.desc(),
                (UnansweredQuestion.outcome == "fallback").desc(),
                UnansweredQuestion.last_at.desc(),
            )
            .limit(limit)
        )
    ).scalars().all()
    total = (await session.execute(select(func.count()).select_from(UnansweredQuestion))).scalar_one()
    return list(rows), int(total)


async def vote_totals(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """entry id → (👍, 👎) counts."""
    rows = await session.execute(
        select(AnswerFeedback.entry_id, AnswerFeedback.vote, func.count()).group_by(
            AnswerFeedback.entry_id, AnswerFeedback.vote
        )
    )
    out: dict[str, tuple[int, int]] = {}
    for entry_id, vote, count in rows:
        up, down = out.get(entry_id, (0, 0))
        out[entry_id] = (up + count, down) if vote > 0 else (up, down + count)
    return out
