"""The applications table of the console: filters, sort and paging as one indexed query, and the
export of the filtered table to .csv and .xlsx.

Read-only; a state change goes through ``StatusService.commands.change_state`` (the one write
path, with its history row, audit entry and notices). Names leave this module masked only.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.console.audit import safe_cell, to_csv
from bot.status.calendar import format_status_time
from bot.status.models import Application, Unit
from bot.status.personal import mask_name
from bot.status.workflow import Workflow

PAGE_SIZE = 50
EXPORT_LIMIT = 20_000
NUMBER_MAX = 40
#: sort key → (column, descending); the first is the default (latest changes first)
SORTS: dict[str, tuple[Any, bool]] = {
    "updated": (Application.updated_at, True),
    "updated_asc": (Application.updated_at, False),
    "number": (Application.number, False),
    "number_desc": (Application.number, True),
    "state_at": (Application.state_at, True),
}


@dataclass(frozen=True)
class AppFilter:
    """What the table shows; every field is optional and the empty filter shows everything."""

    state: str = ""
    level: str = ""
    unit_id: int | None = None
    number: str = ""  # a prefix of the 申报编号 (normalised like every number)
    since: date | None = None  # changed on or after this local day
    sort: str = "updated"
    page: int = 0

    def apply(self, query: Select) -> Select:
        if self.state:
            query = query.where(Application.state == self.state)
        if self.level:
            query = query.where(Application.level == self.level)
        if self.unit_id is not None:
            query = query.where(Application.unit_id == self.unit_id)
        if self.number:
            escaped = self.number.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Application.number.like(escaped + "%", escape="\\"))
        if self.since is not None:
            query = query.where(Application.updated_at >= datetime.combine(self.since, time(), LOCAL_TZ))
        return query

    def query_string(self, **changes: Any) -> str:
        """The filter as URL parameters (for paging, sorting and export links)."""
        from urllib.parse import urlencode

        values = {"state": self.state, "level": self.level, "unit": "" if self.unit_id is None else str(self.unit_id),
                  "number": self.number, "since": self.since.isoformat() if self.since else "", "sort": self.sort,
                  "page": str(self.page)}
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "0")})


#: the days a date filter takes: a typed 0001-01-01 (a date field filled from the keyboard) would
#: overflow when its local midnight is turned into UTC, and 9999-12-31 when its next day is taken
FILTER_YEARS = range(2000, 2100)


def filter_day(value: str) -> date | None:
    """A filter's day (YYYY-MM-DD within ``FILTER_YEARS``), or None: a bad one is dropped, never an error."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and day.year in FILTER_YEARS else None


def parse_filter(query: Mapping[str, str], workflow: Workflow) -> AppFilter:
    """The filter a query string asks for; values that are not valid are dropped, never an error."""
    state = query.get("state", "")
    level = query.get("level", "")
    unit = query.get("unit", "")
    number = workflow.normalize_number(query.get("number", ""))[:NUMBER_MAX]
    since = filter_day(query.get("since", ""))
    sort = query.get("sort", "")
    page = query.get("page", "0")
    return AppFilter(
        state=state if state in workflow.states else "",
        level=level if level in workflow.levels else "",
        unit_id=int(unit) if unit.isdigit() and len(unit) < 10 else None,
        number=number if all(c.isalnum() or c == "-" for c in number) else "",
        since=since,
        sort=sort if sort in SORTS else "updated",
        page=min(int(page), 1_000_000) if page.isdigit() and len(page) < 8 else 0,
    )


@dataclass
class Row:
    number: str
    name: str  # masked
    level: str
    unit: str
    state: str
    state_at: datetime
    updated_at: datetime


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int
    filter: AppFilter
    units: list[tuple[int, str]] = field(default_factory=list)


def _select(where: AppFilter) -> Select:
    column, descending = SORTS[where.sort]
    order = [column.desc() if descending else column.asc(), Application.id.desc() if descending else Application.id.asc()]
    query = select(Application, Unit.name).join(Unit, Unit.id == Application.unit_id)
    return where.apply(query).order_by(*order)


def _row(app: Application, unit: str, workflow: Workflow) -> Row:
    return Row(app.number, mask_name(app.applicant_name), workflow.level_label(app.level), unit,
               workflow.label(app.state), app.state_at, app.updated_at)


async def page_of(session: AsyncSession, where: AppFilter, workflow: Workflow, size: int = PAGE_SIZE) -> Page:
    """One page of the filtered, sorted table and the number of matching applications."""
    total = int((await session.execute(where.apply(select(func.count()).select_from(Application)))).scalar_one())
    pages = max(1, -(-total // size))
    page = min(where.page, pages - 1)
    result = await session.execute(_select(where).offset(page * size).limit(size))
    rows = [_row(app, unit, workflow) for app, unit in result]
    return Page(rows, total, page, pages, where)


async def units(session: AsyncSession) -> list[tuple[int, str]]:
    return [(i, n) for i, n in await session.execute(select(Unit.id, Unit.name).order_by(Unit.name))]


async def export_rows(session: AsyncSession, where: AppFilter, workflow: Workflow, limit: int | None = None) -> list[Row]:
    """The filtered rows, at most ``limit`` (default ``EXPORT_LIMIT``, read at call time) plus one:
    a longer list tells the caller the export has to be cut."""
    limit = EXPORT_LIMIT if limit is None else limit
    result = await session.execute(_select(where).limit(limit + 1))
    return [_row(app, unit, workflow) for app, unit in result]


def build_export(kind: str, header: Sequence[str], rows: Sequence[Row], cut_note: str = "") -> bytes:
    """The .csv or .xlsx file of ``rows``, with ``cut_note`` as a last row when the export was cut.

    CPU-bound for thousands of rows (the .xlsx above all): callers serving requests run it in a
    worker thread, so other pages keep answering while it is built."""
    body: list[Sequence[object]] = list(table(rows))
    if cut_note:
        body.append([cut_note])
    if kind == "csv":
        return to_csv(header, body).encode("utf-8")
    return to_xlsx(header, body)


def local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def status_time(moment: datetime) -> str:
    """When a state began, as the chat's status card shows it: the day alone when the import gave
    no time of day (2024-07-11, not 2024-07-11 00:00)."""
    return format_status_time(moment)


def table(rows: Iterable[Row]) -> Iterable[list[str]]:
    for r in rows:
        yield [r.number, r.name, r.level, r.unit, r.state, status_time(r.state_at), local(r.updated_at)]


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An .xlsx whose every cell is a plain string (never a formula), escaped like the CSV."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("applications")

    def cells(values: Sequence[object]) -> list[WriteOnlyCell]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            cell.data_type = "s"  # a string, even when it looks like a formula or a number
            out.append(cell)
        return out

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
