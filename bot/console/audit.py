"""The audit log: who did what, when and from where; its filters and its CSV export.

Details hold facts about the action (a role, a count), never an applicant's personal data. The
address is masked (IPv4 to its /24, IPv6 to its /48): enough to tell the office from elsewhere,
not enough to single out a machine.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.models import ConsoleAudit

CLI = "cli"
PAGE_SIZE = 100
EXPORT_LIMIT = 50_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def mask_address(address: str) -> str:
    """``192.168.3.x`` style for IPv4, the /48 for IPv6; ``cli`` and unparsable values shortened."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:16]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if isinstance(parsed, ipaddress.IPv4Address):
        return ".".join(str(parsed).split(".")[:3]) + ".x"
    return str(ipaddress.ip_network(f"{parsed}/48", strict=False))


def record(session: AsyncSession, login: str, action: str, now: datetime, target: str = "",
           details: dict[str, Any] | None = None, address: str = "") -> None:
    """Add one entry to the caller's transaction (it is kept only if the action itself is)."""
    session.add(ConsoleAudit(at=now, login=login[:40], action=action[:40], target=target[:80],
                             details=details or {}, address=CLI if address == CLI else mask_address(address)))


@dataclass(frozen=True)
class AuditFilter:
    login: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def apply(self, query):  # noqa: ANN001, ANN201 - a SQLAlchemy Select
        if self.login:
            query = query.where(ConsoleAudit.login == self.login)
        if self.action:
            query = query.where(ConsoleAudit.action == self.action)
        if self.since is not None:
            query = query.where(ConsoleAudit.at >= self.since)
        if self.until is not None:
            query = query.where(ConsoleAudit.at < self.until)
        return query


async def entries(session: AsyncSession, where: AuditFilter, limit: int = PAGE_SIZE, offset: int = 0) -> list[ConsoleAudit]:
    query = where.apply(select(ConsoleAudit)).order_by(ConsoleAudit.at.desc(), ConsoleAudit.id.desc())
    return list((await session.execute(query.limit(limit).offset(offset))).scalars())


async def actions(session: AsyncSession) -> list[str]:
    """The actions that occur in the log (for the filter's choices)."""
    return list((await session.execute(select(ConsoleAudit.action).distinct().order_by(ConsoleAudit.action))).scalars())


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (a formula) gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text (with a BOM, so Excel reads UTF-8) whose every cell went through ``safe_cell``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
