"""Staff import of statuses from a spreadsheet: validate every row first, then apply.

All rows are checked (format, dates as ``tablefile.parse_moment`` reads them, known level and
state, transition from the stored state, 不予受理 ground, a resubmission due date no earlier than
the day the state began) before anything is written; one bad row means nothing is applied unless
``partial``. A row equal to what is stored is skipped, so importing the same file twice changes
nothing. New applications may start in any state; existing ones must follow the workflow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.clock import LOCAL_TZ
from bot.core.context import Services
from bot.core.sanitize import clean_text
from bot.status.models import Application, StatusHistory, Unit
from bot.status.personal import id_tail_hash, normalize_id_tail
from bot.status.service import NOTE_MAX, StatusChanged, StatusInputError, StatusService
from bot.status.tablefile import (
    COLUMNS,
    REQUIRED,
    DateCellError,
    TableFileError,
    column_for,
    parse_moment,
    read_table,
)
from bot.status.workflow import StaffRefusal, TransitionRefused
from bot.storage.locks import lock_names
from bot.storage.models import AuditEntry, add_audit

Progress = Callable[[int, int], None]
#: the lock every import holds while it plans and writes
IMPORT_LOCK = "status.import"
CHUNK = 500


@dataclass(frozen=True)
class Wording:
    """An import problem as a text of ``status.import_errors`` and its values: worded when it is
    shown, in the language of whoever reads the report (a staff member may read English)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, t: Callable[..., str]) -> str:
        return t(f"status.import_errors.{self.key}", **self.values)


def worded(reason: str, wording: Wording | None, t: Callable[..., str]) -> str:
    """``wording`` in the reader's language when the problem has one, else the stored reason."""
    return wording.render(t) if wording is not None else reason


@dataclass
class RowError:
    """One problem of one row; ``column`` is the template's header (empty when the row as a whole).
    ``reason`` is the default-language wording (logs, the console), ``wording`` what it is made of."""

    row: int
    column: str
    reason: str
    wording: Wording | None = None
    #: a change the workflow refused, which words itself in a language
    refusal: StaffRefusal | None = None

    def render(self, t: Callable[..., str], lang: str | None = None) -> str:
        """The report line, worded by ``status.import.error_line`` in dialogs/texts_status.yaml."""
        reason = self.refusal.in_language(lang) if self.refusal is not None else worded(self.reason, self.wording, t)
        if self.column:
            return t("status.import.error_line", row=self.row, column=self.column, reason=reason)
        return t("status.import.error_line_no_column", row=self.row, reason=reason)


@dataclass
class ImportReport:
    file_error: str | None = None
    #: what ``file_error`` is made of, to word it in the reader's language
    file_wording: Wording | None = None
    total: int = 0
    created: int = 0
    changed: int = 0
    updated: int = 0
    unchanged: int = 0
    notices: int = 0
    applied: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    @property
    def error_rows(self) -> int:
        """How many rows have at least one error (a row may have several)."""
        return len({error.row for error in self.errors})

    def figures(self) -> dict[str, Any]:
        """The report's counts; ``errors`` counts rows, as the texts say (“其中{errors}行有错误”):
        ``len(errors)`` is the number of problems, which the error list's header gives."""
        return {
            "total": self.total,
            "created": self.created,
            "changed": self.changed,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.error_rows,
            "applied": self.applied,
            "notices": self.notices,
        }


@dataclass
class ParsedRow:
    row: int
    number: str
    name: str
    id_tail: str
    unit: str
    level: str
    state: str
    at: datetime | None
    note: str
    due: date | None


@dataclass
class PreparedImport:
    """A file read and its rows checked on their own (``Importer.prepare``), ready to be applied."""

    report: ImportReport
    rows: list[ParsedRow]


#: one row's plan: the row, its stored application (None: new), the ID tail's hash, a state change
PlanItem = tuple[ParsedRow, Application | None, str, bool]


@dataclass(frozen=True)
class PreviewRow:
    """What applying would do to one good row: ``create``, ``change`` (state), ``update`` (level,
    unit, name or ID tail), ``same``; ``notify`` when someone is bound to hear of the change."""

    row: int
    number: str
    action: str
    source: str | None
    target: str
    notify: bool = False


@dataclass
class ImportPreview:
    """The dry run of an import: the report (file and row errors, nothing applied) and the good rows."""

    report: ImportReport
    rows: list[PreviewRow]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def notices(self) -> int:
        """State changes with someone to notify (each may notify several people)."""
        return sum(1 for row in self.rows if row.notify)


def render_report(report: ImportReport, t: Callable[..., str], max_errors: int | None = None, lang: str | None = None) -> str:
    """The staff-facing report: outcome, figures, ignored columns and the row-by-row errors, in the
    language of ``t`` (``lang`` names it for the refusals, which word themselves)."""
    if report.file_error:
        return t("status.import.file_error", reason=worded(report.file_error, report.file_wording, t))
    head = "status.import.applied" if report.applied else "status.import.not_applied"
    lines = [t(head, **report.figures())]
    if report.ignored_columns:
        lines.append(t("status.import.ignored_columns", columns="、".join(report.ignored_columns)))
    if report.errors:
        lines.append(t("status.import.errors_header", count=len(report.errors)))
        shown = report.errors if max_errors is None else report.errors[:max_errors]
        lines.extend(e.render(t, lang) for e in shown)
        if len(shown) < len(report.errors):
            lines.append(t("status.import.more_errors", count=len(report.errors) - len(shown)))
        if not report.applied:
            lines.append(t("status.import.fix_hint"))
    return "\n".join(lines)


#: how a spreadsheet formula starts: no person's or unit's name does (=HYPERLINK(…) would become a
#: unit of its own, listed in the console and offered for broadcasts)
FORMULA_STARTS = ("=", "+", "-", "@")


def _text(value: Any) -> str:
    """A cell as text, without control and invisible formatting characters: a right-to-left
    override in a unit's name would make a second unit no invite ever matches."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


def clean_unit_name(typed: str) -> str:
    """A unit name typed for an invite (console, command line) cleaned as an import's cell is, its
    spaces collapsed: a zero-width space or a direction mark pasted with it would make a second unit
    that looks the same, whose HR contact hears of none of the real unit's applications."""
    return " ".join(_text(typed).split())


#: how far ahead a resubmission due date may lie (a later one is a typo in the year)
DUE_HORIZON = timedelta(days=3650)
#: the earliest year a status time or due date of this review may name
FIRST_YEAR = 2000


def _parse_time(value: Any, latest: datetime, due: bool = False) -> datetime | None:
    """A cell as a moment in Asia/Shanghai (None when empty), no later than ``latest``.

    How cells are read (which forms are taken, which refused as ambiguous) is ``parse_moment``'s;
    this adds the range of a status time, or of a due date when ``due``. Problems are raised as
    ``DateCellError`` whose key names the text, the column's wording for a range."""
    moment = parse_moment(value)
    if moment is None:
        return None
    moment = moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment.astimezone(LOCAL_TZ)
    shown = _moment_text(moment)
    if moment > latest and due:
        raise DateCellError("due_too_far", value=shown, years=DUE_HORIZON.days // 365)
    if moment > latest:
        raise DateCellError("time_in_future", value=shown)
    if moment.year < FIRST_YEAR and due:
        raise DateCellError("due_too_old", value=shown, year=FIRST_YEAR)
    if moment.year < FIRST_YEAR:
        raise DateCellError("time_too_old", value=shown, year=FIRST_YEAR)
    return moment


def _moment_text(moment: datetime) -> str:
    """A local moment as staff write it in the file: the day alone when it is midnight."""
    local = moment.astimezone(LOCAL_TZ)
    return local.strftime("%Y-%m-%d") if local.time() == time(0) else local.strftime("%Y-%m-%d %H:%M")


class Importer:
    """One import run; see the module docstring for the guarantees."""

    def __init__(self, services: Services, actor: str, actor_user_id: int | None, progress: Progress | None = None) -> None:
        self.services = services
        self.service = StatusService.of(services)
        self.workflow = self.service.workflow
        self.actor = actor
        self.actor_user_id = actor_user_id
        self.progress = progress or (lambda done, total: None)

    def _t(self, key: str, **values: Any) -> str:
        """Staff-facing wording of an import problem, from dialogs/texts_status.yaml."""
        return self.services.texts.get(f"status.import_errors.{key}", **values)

    def t_error(self, error: TableFileError) -> str:
        """The wording of a whole-file problem."""
        return self._t(error.key, **error.values)

    def _row_error(self, row: int, column: str, key: str, /, **values: Any) -> RowError:
        return RowError(row, column, self._t(key, **values), Wording(key, values))

    def _refuse_file(self, report: ImportReport, key: str, /, **values: Any) -> None:
        report.file_error = self._t(key, **values)
        report.file_wording = Wording(key, values)

    async def run(self, session: AsyncSession, file_name: str, content: bytes, partial: bool = False) -> ImportReport:
        """Read, check and apply in one go (tests, small files); the bot and the CLI call ``prepare``
        before opening the transaction and ``apply`` inside it."""
        return await self.apply(session, self.prepare(file_name, content), partial)

    def prepare(self, file_name: str, content: bytes) -> PreparedImport:
        """Read the file and check every row on its own, without the database.

        This is the costly part of an import (a hostile file costs at most the limits in
        rules/status.yaml). It needs no transaction, so callers run it before theirs, in a worker
        thread: on SQLite an update's transaction holds the only writer turn, and other users'
        updates wait for it.
        """
        prepared = PreparedImport(ImportReport(), [])
        report = prepared.report
        try:
            table = read_table(file_name, content, self.workflow.import_limits)
        except TableFileError as exc:
            self._refuse_file(report, exc.key, **exc.values)
            return prepared
        columns: dict[str, int] = {}
        for index, header in enumerate(table.headers):
            column = column_for(header)
            if column is None:
                if header:
                    report.ignored_columns.append(header)
            elif column in columns:
                self._refuse_file(report, "column_twice", column=column, first=columns[column] + 1, second=index + 1)
                return prepared
            else:
                columns[column] = index
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            known = "、".join(COLUMNS)
            self._refuse_file(report, "missing_columns", missing="、".join(missing), known=known)
            return prepared
        report.total = len(table.rows)
        prepared.rows = self._parse(table, columns, self.services.clock.now(), report)
        return prepared

    async def apply(self, session: AsyncSession, prepared: PreparedImport, partial: bool = False) -> ImportReport:
        """Check the prepared rows against the database and write them (in the caller's transaction).

        Imports never interleave, whichever process runs them (chat, command line, console): the
        transaction first takes the import lock (PostgreSQL: an advisory lock until it ends; SQLite
        admits one writer anyway), so a second import plans against the first one's result."""
        report = prepared.report
        if report.file_error is None:
            await lock_names(session, IMPORT_LOCK)
            await self._plan_and_apply(session, prepared.rows, report, partial)
        return report

    async def apply_with_preview(self, session: AsyncSession, prepared: PreparedImport,
                                 partial: bool = False) -> tuple[ImportPreview, ImportReport]:
        """``apply`` that also returns what it did row by row (the console's result page).

        One lock hold and one plan: the rows are checked against the database once, under the
        import lock, and the preview is described from that very plan before it is written, so the
        rows shown are exactly the rows applied (and the lock is not taken twice)."""
        report = prepared.report
        if report.file_error is not None:
            return ImportPreview(copy.deepcopy(report), []), report
        await lock_names(session, IMPORT_LOCK)
        plan = await self._plan(session, prepared.rows, report, lock=True)
        preview = await self._preview_of(session, plan, copy.deepcopy(report))
        await self._apply_unless_refused(session, plan, report, partial)
        return preview, report

    async def preview(self, session: AsyncSession, prepared: PreparedImport) -> ImportPreview:
        """The dry run: every row checked against the database as ``apply`` would, nothing written.

        ``prepared`` is left as it was (the report is copied), so it can still be applied."""
        report = copy.deepcopy(prepared.report)
        if report.file_error is not None:
            return ImportPreview(report, [])
        plan = await self._plan(session, prepared.rows, report)
        return await self._preview_of(session, plan, report)

    async def _preview_of(self, session: AsyncSession, plan: list[PlanItem], report: ImportReport) -> ImportPreview:
        """What a plan would do to each row (read before anything of it is written)."""
        names = sorted({row.unit for row, *_ in plan})
        unit_ids: dict[str, int] = {}
        for i in range(0, len(names), CHUNK):
            result = await session.execute(select(Unit.name, Unit.id).where(Unit.name.in_(names[i : i + CHUNK])))
            unit_ids.update(dict(result.tuples().all()))
        changed = [app for _row, app, _hash, change in plan if change and app is not None]
        recipients = await self.service.notices.recipients(session, changed)
        rows: list[PreviewRow] = []
        for row, app, tail_hash, change in plan:
            if app is None:
                rows.append(PreviewRow(row.row, row.number, "create", None, row.state))
                continue
            fields = {"level": row.level, "unit_id": unit_ids.get(row.unit), "applicant_name": row.name,
                      "id_tail_hash": tail_hash}
            differing = any(getattr(app, key) != value for key, value in fields.items())
            action = "change" if change else "update" if differing else "same"
            notify = change and bool(recipients.get(app.id))
            rows.append(PreviewRow(row.row, row.number, action, app.state, row.state, notify))
        return ImportPreview(report, rows)

    # ---- phase 1: each row on its own ---------------------------------------------------------
    def _parse(self, table: Any, columns: dict[str, int], now: datetime, report: ImportReport) -> list[ParsedRow]:
        out: list[ParsedRow] = []
        first_seen: dict[str, int] = {}
        total = len(table.rows)
        for done, (row_no, cells) in enumerate(table.rows, 1):
            if done % CHUNK == 0:
                self.progress(done // 2, total)

            def cell(column: str, cells: list[Any] = cells) -> Any:
                index = columns.get(column)
                return cells[index] if index is not None and index < len(cells) else None

            errors: list[RowError] = []
            number = self.workflow.normalize_number(_text(cell("申报编号")))
            if not number:
                errors.append(self._row_error(row_no, "申报编号", "required"))
            elif not self.workflow.valid_number(number):
                errors.append(self._row_error(row_no, "申报编号", "number_format", hint=self.workflow.data.application_number_hint))
            elif number in first_seen:
                errors.append(self._row_error(row_no, "申报编号", "duplicate_row", row=first_seen[number]))
            name = _text(cell("姓名"))
            if not name:
                errors.append(self._row_error(row_no, "姓名", "required"))
            elif len(name) > 50:
                errors.append(self._row_error(row_no, "姓名", "too_long", limit=50))
            elif name.startswith(FORMULA_STARTS):
                errors.append(self._row_error(row_no, "姓名", "formula"))
            tail = normalize_id_tail(_text(cell("身份证后四位")))
            if tail is None:
                errors.append(self._row_error(row_no, "身份证后四位", "id_tail"))
            unit = _text(cell("单位"))
            if not unit:
                errors.append(self._row_error(row_no, "单位", "required"))
            elif len(unit) > 100:
                errors.append(self._row_error(row_no, "单位", "too_long", limit=100))
            elif unit.startswith(FORMULA_STARTS):
                errors.append(self._row_error(row_no, "单位", "formula"))
            level_text = _text(cell("申报级别"))
            level = self.workflow.level_id(level_text)
            if level is None:
                labels = "、".join(lv.label for lv in self.workflow.data.levels)
                errors.append(self._row_error(row_no, "申报级别", "unknown_level", value=level_text, labels=labels))
            state_text = _text(cell("状态"))
            state = self.workflow.state_id(state_text)
            if state is None:
                errors.append(self._row_error(row_no, "状态", "unknown_state", value=state_text))
            at: datetime | None = None
            try:
                at = _parse_time(cell("状态时间"), now + timedelta(days=1))
            except DateCellError as problem:
                errors.append(self._row_error(row_no, "状态时间", problem.key, **problem.values))
            note = _text(cell("备注"))
            if len(note) > NOTE_MAX:
                errors.append(self._row_error(row_no, "备注", "too_long", limit=NOTE_MAX))
            due: date | None = None
            try:
                parsed_due = _parse_time(cell("补正截止"), now + DUE_HORIZON, due=True)
                due = parsed_due.date() if parsed_due is not None else None
            except DateCellError as problem:
                errors.append(self._row_error(row_no, "补正截止", problem.key, **problem.values))
            if state is not None and self.workflow.states[state].requires_reason and self.workflow.rejection_reason(note) is None:
                errors.append(self._row_error(row_no, "备注", "rejection_reason"))
            if number and number not in first_seen:
                first_seen[number] = row_no
            if not errors and at is not None:
                # the row says when its state began: its due date can be checked now (without a time
                # it depends on the stored application, so ``_plan`` checks it)
                late = self._due_before(row_no, state or "", due, note, at, "given")
                if late is not None:
                    errors.append(late)
            if errors:
                report.errors.extend(errors)
                continue
            out.append(ParsedRow(row_no, number, name, tail or "", unit, level or "", state or "", at, note, due))
        return out

    def _due_before(self, row_no: int, state: str, due: date | None, note: str, since: datetime,
                    basis: str) -> RowError | None:
        """The refusal of a due date earlier than the day its state began, or None.

        Only a due date the change would keep is checked (``Workflow.kept_due``: a resubmission
        state's, from the 补正截止 column or else the note). A date left in the column from an
        earlier return, beside a later state, is dropped on import and blocks nothing. A deadline
        before the return itself is a typo (a wrong month or year) that would tell the applicant
        their time is already up. ``basis`` says where the day came from: ``given`` (the row's
        状态时间), ``import`` (no time: the import's day) or ``stored`` (no time, state unchanged)."""
        kept = self.workflow.kept_due(state, due, note) if state in self.workflow.states else None
        day = since.astimezone(LOCAL_TZ).date()
        if kept is None or kept >= day:
            return None
        column = "补正截止" if due is not None else "备注"
        key = {"given": "due_before_status", "import": "due_before_import", "stored": "due_before_stored"}[basis]
        return self._row_error(row_no, column, key, due=kept.isoformat(), day=day.isoformat())

    # ---- phase 2: against the database ---------------------------------------------------------
    async def _plan_and_apply(self, session: AsyncSession, rows: list[ParsedRow], report: ImportReport, partial: bool) -> None:
        plan = await self._plan(session, rows, report, lock=True)
        await self._apply_unless_refused(session, plan, report, partial)

    async def _apply_unless_refused(self, session: AsyncSession, plan: list[PlanItem], report: ImportReport,
                                    partial: bool) -> None:
        """Write the plan unless a row has an error and only a whole import was asked for."""
        if report.errors and not partial:
            return
        await self._apply(session, plan, report)
        report.applied = True

    async def _plan(self, session: AsyncSession, rows: list[ParsedRow], report: ImportReport,
                    lock: bool = False) -> list[PlanItem]:
        """Each row against the stored application: its transition checked (a refusal becomes a row
        error in ``report``); nothing is written.

        ``lock`` (an apply): the stored rows stay locked until the import commits (PostgreSQL; SQLite
        admits one writer), so a staff change of one of them (/setstatus, the console), which locks
        its row too, either lands before and is planned from, or waits: a transition planned from a
        state that changed meanwhile is never written over it. Taken in number order, as a single
        row's writer cannot deadlock with it."""
        existing: dict[str, Application] = {}
        numbers = sorted({r.number for r in rows})
        for i in range(0, len(numbers), CHUNK):
            query = select(Application).where(Application.number.in_(numbers[i : i + CHUNK]))
            if lock:
                query = query.order_by(Application.number).with_for_update()
            result = await session.execute(query)
            existing.update({a.number: a for a in result.scalars()})
        salt = self.service.salt
        plan: list[PlanItem] = []
        now = self.services.clock.now()
        for row in rows:
            tail_hash = id_tail_hash(salt, row.number, row.id_tail)
            app = existing.get(row.number)
            change = False
            if app is not None and app.state != row.state:
                try:
                    self.service.commands.validate_change(app, row.state, row.note)
                except (TransitionRefused, StatusInputError) as exc:
                    # kept to be worded in the reader's language; its traceback would keep this frame alive
                    report.errors.append(RowError(row.row, "状态", str(exc), refusal=exc.with_traceback(None)))
                    continue
                change = True
            if row.at is None:
                # no 状态时间: a new or changed state begins now, an unchanged one when it was stored
                # (so importing the same file again, after the due date, still changes nothing)
                if app is not None and not change:
                    since, basis = app.state_at, "stored"
                else:
                    since, basis = now, "import"
                late = self._due_before(row.row, row.state, row.due, row.note, since, basis)
                if late is not None:
                    report.errors.append(late)
                    continue
            plan.append((row, app, tail_hash, change))
        report.errors.sort(key=lambda e: e.row)
        return plan

    async def _apply(self, session: AsyncSession, plan: list[PlanItem], report: ImportReport) -> None:
        """Write the plan with executemany statements (10,000 rows must take seconds, not minutes)."""
        now = self.services.clock.now()
        units = await self._units(session, {row.unit for row, *_ in plan})
        new_rows: list[tuple[ParsedRow, int, str]] = []
        changes: list[tuple[ParsedRow, Application]] = []
        for row, app, tail_hash, change in plan:
            unit_id = units[row.unit].id
            if app is None:
                new_rows.append((row, unit_id, tail_hash))
                continue
            fields: dict[str, Any] = {"level": row.level, "unit_id": unit_id, "applicant_name": row.name, "id_tail_hash": tail_hash}
            if not change and (due := self.workflow.kept_due(row.state, row.due, row.note)) is not None:
                # the office moved the resubmission deadline of a state that stays: the reminders
                # and the status card follow the new date (a row without one keeps the stored date)
                fields["due_date"] = due
            differing = [k for k, v in fields.items() if getattr(app, k) != v]
            if differing:
                for key in differing:
                    setattr(app, key, fields[key])
                app.updated_at = now
                report.updated += 1
                add_audit(session, now, self.actor_user_id, "status.import.update", app.number, fields=sorted(differing), actor=self.actor)
            if change:
                changes.append((row, app))
            elif not differing:
                report.unchanged += 1
        await session.flush()
        await self._insert_new(session, new_rows, now, report.total)
        report.created = len(new_rows)
        report.notices = await self._apply_changes(session, changes, now, report.total)
        report.changed = len(changes)
        add_audit(session, now, self.actor_user_id, "status.import", None, actor=self.actor,
              **{k: v for k, v in report.figures().items() if k != "applied"})
        await session.flush()
        self.progress(report.total, report.total)

    async def _insert_new(self, session: AsyncSession, new_rows: list[tuple[ParsedRow, int, str]], now: datetime, total: int) -> None:
        """New applications (any state), their first history row and audit entries, in chunks."""
        apps, history, audits = Application.__table__, StatusHistory.__table__, AuditEntry.__table__
        for start in range(0, len(new_rows), CHUNK):
            chunk = new_rows[start : start + CHUNK]
            await session.execute(
                insert(apps),
                [
                    {
                        "number": row.number, "level": row.level, "unit_id": unit_id, "applicant_name": row.name,
                        "id_tail_hash": tail_hash, "state": row.state, "state_at": row.at or now,
                        "due_date": self.workflow.kept_due(row.state, row.due, row.note),
                        "created_at": now, "updated_at": now,
                    }
                    for row, unit_id, tail_hash in chunk
                ],
            )
            result = await session.execute(select(apps.c.number, apps.c.id).where(apps.c.number.in_([r.number for r, _, _ in chunk])))
            ids = dict(result.tuples().all())
            await session.execute(
                insert(history),
                [
                    {"application_id": ids[row.number], "state": row.state, "at": row.at or now, "actor": self.actor,
                     "note": row.note, "reason_code": self._reason(row), "recorded_at": now}
                    for row, _, _ in chunk
                ],
            )
            await session.execute(
                insert(audits),
                [
                    {"at": now, "actor_user_id": self.actor_user_id, "action": "status.import.create", "subject": row.number,
                     "detail": {"state": row.state, "actor": self.actor}}
                    for row, _, _ in chunk
                ],
            )
            self.progress(total // 2 + (start + len(chunk)) // 4, total)

    async def _apply_changes(self, session: AsyncSession, changes: list[tuple[ParsedRow, Application]], now: datetime, total: int) -> int:
        """State changes of known applications; returns how many notices were written.

        Those with someone to notify get their history rows one by one (the notice key needs the
        history id) and raise ``StatusChanged`` together, handled once for the whole import; the
        rest are written with executemany."""
        if not changes:
            return 0
        recipients = await self.service.notices.recipients(session, [app for _, app in changes])
        apps, history, audits = Application.__table__, StatusHistory.__table__, AuditEntry.__table__
        updates: list[dict[str, Any]] = []
        quiet_history: list[dict[str, Any]] = []
        quiet_audits: list[dict[str, Any]] = []
        loud: list[tuple[Application, dict[str, Any], str]] = []
        for row, app in changes:
            source = app.state
            moment = row.at or now
            due = self.workflow.kept_due(row.state, row.due, row.note)
            updates.append({"b_id": app.id, "b_state": row.state, "b_at": moment, "b_due": due, "b_now": now})
            for key, value in (("state", row.state), ("state_at", moment), ("due_date", due), ("updated_at", now)):
                set_committed_value(app, key, value)  # the UPDATE below is the write; keep the objects in step
            entry = {"application_id": app.id, "state": row.state, "at": moment, "actor": self.actor, "note": row.note,
                     "reason_code": self._reason(row), "recorded_at": now}
            if recipients.get(app.id):
                loud.append((app, entry, source))
            else:
                quiet_history.append(entry)
                quiet_audits.append({"at": now, "actor_user_id": self.actor_user_id, "action": "status.change", "subject": app.number,
                                     "detail": {"source": source, "target": row.state, "actor": self.actor}})
        for start in range(0, len(updates), CHUNK):
            await session.execute(
                update(apps)
                .where(apps.c.id == bindparam("b_id"))
                .values(state=bindparam("b_state"), state_at=bindparam("b_at"), due_date=bindparam("b_due"), updated_at=bindparam("b_now")),
                updates[start : start + CHUNK],
            )
            self.progress(total * 3 // 4 + (start + CHUNK) // 8, total)
        for rows, table in ((quiet_history, history), (quiet_audits, audits)):
            for start in range(0, len(rows), CHUNK):
                await session.execute(insert(table), rows[start : start + CHUNK])
        events: list[StatusChanged] = []
        for app, entry, source in loud:
            record = StatusHistory(**entry)
            session.add(record)
            await session.flush()
            add_audit(session, now, self.actor_user_id, "status.change", app.number, source=source, target=record.state,
                      history_id=record.id, actor=self.actor)
            events.append(StatusChanged(app, record))
        return await self.service.notices.on_changed(session, events, recipients)

    def _reason(self, row: ParsedRow) -> int | None:
        if self.workflow.states[row.state].requires_reason:
            reason = self.workflow.rejection_reason(row.note)
            return reason[0] if reason else None
        return None

    async def _units(self, session: AsyncSession, names: set[str]) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        ordered = sorted(names)
        for i in range(0, len(ordered), CHUNK):
            result = await session.execute(select(Unit).where(Unit.name.in_(ordered[i : i + CHUNK])))
            units.update({u.name: u for u in result.scalars()})
        now = self.services.clock.now()
        for name in ordered:
            if name not in units:
                units[name] = Unit(name=name, created_at=now)
                session.add(units[name])
        await session.flush()
        return units
