"""Uploaded import files kept on the server between the dry-run report and "apply".

The client uploads a file once; the report page then carries only a random token. The token is
bound to the session that uploaded the file (a token seen by another session finds nothing) and
expires, so a file never outlives the staff member's work on it. One file per session: a new upload
replaces the previous one. The files stay in this process's memory only (the console is one
process; a restart simply asks for the file again), within a total budget: past it, the oldest are
dropped first.
"""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

#: how long a report can be applied after its upload
KEEP_FOR = timedelta(minutes=30)
#: all kept files together (each is at most the import's size limit)
BUDGET_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class KeptUpload:
    token: str
    owner: str
    file_name: str
    content: bytes
    expires_at: datetime


class UploadStore:
    """Kept uploads by token; ``owner`` is the session's id hash (``SignedIn.id_hash``)."""

    def __init__(self, keep_for: timedelta = KEEP_FOR, budget_bytes: int = BUDGET_BYTES) -> None:
        self.keep_for = keep_for
        self.budget_bytes = budget_bytes
        self._files: OrderedDict[str, KeptUpload] = OrderedDict()

    def keep(self, owner: str, file_name: str, content: bytes, now: datetime) -> str:
        """Keep ``content`` for ``owner`` (replacing their previous file); returns the token."""
        self._expire(now)
        for token in [t for t, kept in self._files.items() if kept.owner == owner]:
            del self._files[token]
        token = secrets.token_urlsafe(24)
        self._files[token] = KeptUpload(token, owner, file_name, content, now + self.keep_for)
        while sum(len(k.content) for k in self._files.values()) > self.budget_bytes and len(self._files) > 1:
            self._files.popitem(last=False)
        return token

    def get(self, owner: str, token: str, now: datetime) -> KeptUpload | None:
        """The file under ``token`` if it belongs to ``owner`` and has not expired."""
        self._expire(now)
        kept = self._files.get(token)
        if kept is None or not hmac.compare_digest(kept.owner, owner):
            return None
        return kept

    def drop(self, token: str) -> None:
        self._files.pop(token, None)

    def __len__(self) -> int:
        return len(self._files)

    def _expire(self, now: datetime) -> None:
        for token in [t for t, kept in self._files.items() if kept.expires_at <= now]:
            del self._files[token]
