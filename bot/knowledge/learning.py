"""The learning loop in chat: which question a button was shown for, and phrasing candidates.

A suggestion pressed (or a rephrase answered after 👎) tells that the question, as typed, meant that
entry. Such pairs are kept as candidates for staff (``python -m bot kb learn``), without anything
that identifies the asker:

* every question that gets buttons is stored scrubbed (``feedback.scrub``: long digit runs and
  e-mail addresses masked) under a *reference*, a short hash of its scrubbed normalised form, and the
  buttons carry that reference (``kb:a:<entry>:<ref>``, ``kb:dn:<entry>:<vote token>:<ref>``) — an id, never the
  text, and no user id anywhere in the table;
* a candidate is (scrubbed normalised key, entry) with the text as first typed and a count, so the
  same question pressed a hundred times is one row counted a hundred times.

The only per-user piece is the short-lived note "pressed 👎 on that answer" (``bot.storage.user_notes``),
which expires after ``REPHRASE_WINDOW`` and carries the reference, not the user, into the candidate.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text

from bot.core.sanitize import MASK
from bot.knowledge.feedback import RunText
from bot.storage.base import UTCDateTime

#: a reference as buttons carry it (9 base32 characters: 45 bits of the key's hash)
REF_PATTERN = re.compile(r"^[a-z2-7]{9}$")
REF_LENGTH = 9
#: references older than this are deleted (a button pressed later records nothing)
REF_MAX_AGE = timedelta(days=30)
REPHRASE_NOTE = "kb_rephrase"
REPHRASE_WINDOW = timedelta(minutes=10)
#: a question shorter or longer than this (characters, as typed) is not worth a candidate
PHRASING_MIN = 2
PHRASING_MAX = 60


def _now_param(name: str = "now"):  # noqa: ANN202
    return bindparam(name, type_=UTCDateTime())


_REMEMBER = text(
    "INSERT INTO kb_question_refs (ref, key, text, created_at) VALUES (:ref, :key, :text, :now) "
    "ON CONFLICT (ref) DO NOTHING"
).bindparams(_now_param())
_LOOKUP = text("SELECT key, text FROM kb_question_refs WHERE ref = :ref")
_PRUNE = text("DELETE FROM kb_question_refs WHERE created_at < :cutoff").bindparams(_now_param("cutoff"))
_COUNT = text(
    "INSERT INTO kb_candidates (key, entry_id, text, count, first_at, last_at) "
    "VALUES (:key, :entry_id, :text, 1, :now, :now) "
    "ON CONFLICT (key, entry_id) DO UPDATE SET count = kb_candidates.count + 1, last_at = excluded.last_at"
).bindparams(_now_param())

#: reads a ``text()`` query's rows (``ctx.uow.fetch``)
FetchText = Callable[[Any, dict[str, Any]], Awaitable[list[tuple]]]


def ref_for(key: str) -> str:
    """The reference of a question key: stable, so the same question always gets the same one."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:REF_LENGTH]


def valid_ref(ref: str) -> bool:
    return bool(REF_PATTERN.match(ref))


class QuestionRefs:
    """Stores a scrubbed question under its reference, with a memory of the references this
    process stored itself.

    Most questions repeat; once a reference is stored its row stays for ``REF_MAX_AGE``, so asking
    the database again (an ``INSERT … ON CONFLICT DO NOTHING`` on every answered question) is
    needed only after a while. A reference is remembered only when this process inserted its row
    (so its age is known) and for ``REMEMBERED_FOR``, far below ``REF_MAX_AGE``. Other processes
    keep their own memory; the table stays the one place the references live. Should an update
    be rolled back after storing a row, its reply (and buttons) never went out; a later button
    whose row is missing only teaches nothing.
    """

    REMEMBERED_FOR = timedelta(hours=6)
    SIZE = 8192

    def __init__(self) -> None:
        #: question key → (its reference, when this process stored the row)
        self._stored: OrderedDict[str, tuple[str, datetime]] = OrderedDict()

    async def remember(self, run: RunText, key: str, text_: str, now: datetime) -> str | None:
        """Store the question (once) and return its reference; no statement when this process
        stored the row lately."""
        if not key or not text_:
            return None
        stored = self._stored.get(key)
        if stored is not None and timedelta(0) <= now - stored[1] < self.REMEMBERED_FOR:
            return stored[0]
        ref = ref_for(key)
        if await _store(run, ref, key, text_, now):
            self._stored[key] = (ref, now)
            self._stored.move_to_end(key)
            if len(self._stored) > self.SIZE:
                self._stored.popitem(last=False)
        return ref


async def _store(run: RunText, ref: str, key: str, text_: str, now: datetime) -> bool:
    """Insert the reference's row; True when it was new (then the old ones are pruned)."""
    if await run(_REMEMBER, {"ref": ref, "key": key, "text": text_, "now": now}):
        # a question not seen before (or not for a month): drop the references past their age
        await run(_PRUNE, {"cutoff": now - REF_MAX_AGE})
        return True
    return False


async def question_of(fetch: FetchText, ref: str) -> tuple[str, str] | None:
    """(key, text) of a reference, or None when it is unknown or expired."""
    if not valid_ref(ref):
        return None
    rows = await fetch(_LOOKUP, {"ref": ref})
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def worth_learning(text_: str) -> bool:
    """A plausible phrasing: not too short or long, nothing masked in it (a masked number means
    the text was about someone's own data, not a way of asking)."""
    return PHRASING_MIN <= len(text_) <= PHRASING_MAX and MASK not in text_


async def record_candidate(run: RunText, key: str, text_: str, entry_id: str, now: datetime) -> bool:
    """Count (key → entry) as a candidate phrasing."""
    if not key or not worth_learning(text_):
        return False
    await run(_COUNT, {"key": key, "entry_id": entry_id, "text": text_, "now": now})
    return True
