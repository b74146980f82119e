"""Reading the staff's spreadsheets (.xlsx via openpyxl, .csv in UTF-8 or GBK) into plain rows.

Staff export from Excel or WPS, so CSV files arrive in GBK as often as in UTF-8, and headers carry
stray spaces or English names. Anything that is not a readable table becomes ``TableFileError`` with
a Chinese sentence, never an exception from a library.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

#: canonical Chinese column → accepted header spellings (compared without case, spaces, _ and -)
COLUMNS: dict[str, tuple[str, ...]] = {
    "申报编号": ("申报编号", "编号", "number", "applicationnumber", "applicationno", "appno", "application_id"),
    "姓名": ("姓名", "申报人", "name", "applicantname"),
    "身份证后四位": ("身份证后四位", "身份证号后四位", "idlast4", "idtail", "idlastfour", "id4"),
    "单位": ("单位", "用人单位", "单位名称", "unit", "employer", "company"),
    "申报级别": ("申报级别", "级别", "level"),
    "状态": ("状态", "当前状态", "status", "state"),
    "状态时间": ("状态时间", "时间", "statustime", "statetime", "time", "updatedat"),
    "备注": ("备注", "说明", "note", "remark", "notes"),
    "补正截止": ("补正截止", "补正截止日期", "截止日期", "duedate", "due"),
}
REQUIRED = ("申报编号", "姓名", "身份证后四位", "单位", "申报级别", "状态")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000


class TableFileError(Exception):
    """The file as a whole cannot be read. ``key`` names the text ``status.import_errors.<key>``
    (the staff-facing Chinese wording lives in dialogs/texts_status.yaml); ``values`` fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class Table:
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-*（）()]", "", str(header or "")).lower()


_ALIASES = {_norm(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def column_for(header: str) -> str | None:
    return _ALIASES.get(_norm(header))


def read_table(file_name: str, content: bytes) -> Table:
    """Parse an .xlsx or .csv file; raises TableFileError with the reason."""
    name = (file_name or "").lower()
    if not content:
        raise TableFileError("empty")
    if len(content) > MAX_BYTES:
        raise TableFileError("too_big", mb=MAX_BYTES // 1024 // 1024)
    if name.endswith(".xlsx"):
        raw = _read_xlsx(content)
    elif name.endswith(".csv"):
        raw = _read_csv(content)
    elif name.endswith(".xls"):
        raise TableFileError("old_xls")
    else:
        raise TableFileError("wrong_type")
    numbered = [(i, row) for i, row in enumerate(raw, 1) if any(_present(c) for c in row)]
    if not numbered:
        raise TableFileError("no_content")
    header_row, headers = numbered[0]
    rows = numbered[1:]
    if len(rows) > MAX_ROWS:
        raise TableFileError("too_many_rows", rows=len(rows), limit=MAX_ROWS)
    return Table(header_row=header_row, headers=[str(h).strip() if h is not None else "" for h in headers], rows=rows)


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


def _read_xlsx(content: bytes) -> list[list[Any]]:
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise TableFileError("not_xlsx")
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
        raise TableFileError("xlsx_unreadable", kind=type(exc).__name__) from None
    try:
        sheet = workbook.active
        if sheet is None:
            raise TableFileError("no_sheet")
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    except TableFileError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise TableFileError("xlsx_unreadable", kind=type(exc).__name__) from None
    finally:
        workbook.close()


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GBK/GB18030; binary data is refused."""
    if b"\x00" in content[:4096]:
        raise TableFileError("csv_binary")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableFileError("csv_encoding")


def _read_csv(content: bytes) -> list[list[Any]]:
    text = decode_text(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise TableFileError("csv_malformed", detail=str(exc)) from None
