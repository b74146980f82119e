"""Reading the staff's spreadsheets (.xlsx, .csv in UTF-8 or GB18030/GBK) into plain rows, within limits.

Staff export from Excel or WPS, so CSV files arrive in GBK as often as in UTF-8, and headers carry
stray spaces or English names. Anything that is not a readable table becomes ``TableFileError`` with
a Chinese sentence, never an exception from a library.

A hostile or broken file must not cost more than a legitimate one: every limit (``Limits``, from
``import_limits`` in rules/status.yaml) is checked while reading, before anything is allocated for
it. An .xlsx is a zip of XML: the zip's declared sizes and compression ratios are checked before
any member is opened, members are read through a byte budget, and the sheet is parsed as a stream
(``iterparse``) that never trusts the sheet's declared dimension (a 5 KB file may declare
A1:XFD1048576), pads no row and stops at the first limit crossed. Shared strings are counted and
capped as they are read.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, iterparse

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
MB = 1024 * 1024
#: zip members smaller than this may compress as well as they like (tiny XML parts do)
RATIO_FLOOR = 1 * MB
#: workbook parts read whole (workbook.xml, its relations, styles.xml) get this budget
SMALL_PART = 4 * MB
#: encodings accepted for CSV besides UTF-8 (charset-normalizer's names)
GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "hz"})
#: byte-order marks of UTF-16 (little and big endian); UTF-32's little-endian one starts like UTF-16's
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF32_LE_BOM = b"\xff\xfe\x00\x00"
#: share of the Chinese characters a GBK file's text has in GB2312 (the 6,763 common ones); Big5
#: or Shift-JIS bytes read as GBK land mostly outside it
GB2312_SHARE = 0.9
#: how charset-normalizer's names read to staff
ENCODING_NAMES = {
    "big5": "Big5（繁体中文）", "big5hkscs": "Big5-HKSCS（繁体中文）", "cp950": "Big5（繁体中文）",
    "shift_jis": "Shift-JIS（日文）", "cp932": "Shift-JIS（日文）", "euc_jp": "EUC-JP（日文）",
    "euc_jis_2004": "EUC-JP（日文）", "iso2022_jp": "ISO-2022-JP（日文）",
    "euc_kr": "EUC-KR（韩文）", "cp949": "EUC-KR（韩文）",
}


@dataclass(frozen=True)
class Limits:
    """What one import may hold; the values live in rules/status.yaml (``import_limits``)."""

    max_file_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_shared_strings: int
    max_blank_rows: int


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


def too_big(size: int, limits: Limits) -> TableFileError | None:
    """The refusal for a file of ``size`` bytes, or None; callers check before reading the file."""
    if size > limits.max_file_bytes:
        return TableFileError("too_big", mb=limits.max_file_bytes // MB)
    return None


def read_file_bounded(stream: IO[bytes], limits: Limits) -> bytes:
    """Read at most the size limit from a file or pipe (``/dev/zero`` never ends); refuse more."""
    content = stream.read(limits.max_file_bytes + 1)
    if (error := too_big(len(content), limits)) is not None:
        raise error
    return content


def read_table(file_name: str, content: bytes, limits: Limits) -> Table:
    """Parse an .xlsx or .csv file; raises TableFileError with the reason."""
    name = (file_name or "").lower()
    if not content:
        raise TableFileError("empty")
    if (error := too_big(len(content), limits)) is not None:
        raise error
    if name.endswith(".xlsx"):
        raw = _read_xlsx(content, limits)
    elif name.endswith(".csv"):
        raw = _read_csv(content, limits)
    elif name.endswith(".xls"):
        raise TableFileError("old_xls")
    else:
        raise TableFileError("wrong_type")
    return _table(raw, limits)


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


def _table(raw: Iterator[tuple[int, list[Any]]], limits: Limits) -> Table:
    """Non-empty rows of ``raw`` (row number, cells): the first is the header; limits on rows,
    columns, cell size and blank rows are checked row by row, so reading stops at the first one."""
    header: tuple[int, list[Any]] | None = None
    rows: list[tuple[int, list[Any]]] = []
    blank = 0
    for number, cells in raw:
        if not any(_present(c) for c in cells):
            blank += 1
            if blank > limits.max_blank_rows:
                raise TableFileError("too_many_blank_rows", limit=limits.max_blank_rows)
            continue
        while cells and not _present(cells[-1]):
            cells.pop()
        if len(cells) > limits.max_columns:
            raise TableFileError("too_many_columns", row=number, limit=limits.max_columns)
        for index, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise TableFileError("cell_too_long", row=number, column=index + 1, limit=limits.max_cell_chars)
        if header is None:
            header = (number, cells)
        elif len(rows) >= limits.max_rows:
            raise TableFileError("too_many_rows", limit=limits.max_rows)
        else:
            rows.append((number, cells))
    if header is None:
        raise TableFileError("no_content")
    header_row, headers = header
    return Table(header_row=header_row, headers=[str(h).strip() if h is not None else "" for h in headers], rows=rows)


# ---- .xlsx -----------------------------------------------------------------------------------------
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


class _Budget(io.RawIOBase):
    """A zip member read through a byte budget shared by the whole workbook."""

    def __init__(self, source: IO[bytes], budget: list[int]) -> None:
        self.source = source
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(min(len(buffer), 1 << 16))
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise TableFileError("xlsx_too_large_inside")
        buffer[: len(data)] = data
        return len(data)


class _Workbook:
    """The few parts of an .xlsx the import needs, each read within the limits."""

    def __init__(self, content: bytes, limits: Limits) -> None:
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(content))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise TableFileError("not_xlsx") from None
        self.members = {info.filename: info for info in infos}
        total = sum(info.file_size for info in infos)
        if total > limits.max_uncompressed_bytes:
            raise TableFileError("xlsx_too_large_inside")
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and ratio > limits.max_compression_ratio:
                raise TableFileError("xlsx_compression", ratio=int(ratio))
        self.budget = [limits.max_uncompressed_bytes]

    def open(self, name: str) -> IO[bytes] | None:
        if name not in self.members:
            return None
        try:
            return io.BufferedReader(_Budget(self.zip.open(name), self.budget))
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError):
            raise TableFileError("xlsx_unreadable", kind="zip") from None

    def elements(self, name: str, tag: str) -> Iterator[Element]:
        """``tag`` elements of a part as they end (each cleared after use by the caller's loop)."""
        stream = self.open(name)
        if stream is None:
            return
        with stream:
            root: Element | None = None
            for event, element in iterparse(stream, events=("start", "end")):
                if root is None:
                    root = element
                elif event == "end" and element.tag == tag:
                    yield element
                    root.clear()  # drop what was read: the tree must not grow with the part

    def small(self, name: str) -> list[Element]:
        """All elements of a small part (the workbook, its relations, styles)."""
        info = self.members.get(name)
        if info is None:
            return []
        if info.file_size > SMALL_PART:
            raise TableFileError("xlsx_too_large_inside")
        stream = self.open(name)
        assert stream is not None
        with stream:
            return [element for _event, element in iterparse(stream, events=("end",))]


def _relations(book: _Workbook, part: str, kind: str = "") -> dict[str, str]:
    """Relation id → member path, for the relations of ``part`` (only those whose type ends with
    ``kind`` when given)."""
    folder, base = posixpath.split(part)
    out: dict[str, str] = {}
    for element in book.small(posixpath.join(folder, "_rels", base + ".rels")):
        if element.tag == f"{_PKG_REL}Relationship" and element.get("Id") and element.get("Target"):
            if kind and not element.get("Type", "").endswith(kind):
                continue
            target = element.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[element.get("Id", "")] = path
    return out


def _sheet_and_strings(book: _Workbook) -> tuple[str, str | None, bool]:
    """The active sheet's member path, the shared strings' path, and whether dates count from 1904."""
    workbook = next(iter(_relations(book, "", "/officeDocument").values()), "xl/workbook.xml")
    elements = book.small(workbook)
    if not elements:
        raise TableFileError("xlsx_unreadable", kind="workbook")
    relations = _relations(book, workbook)
    listed = [e for e in elements if e.tag == f"{_MAIN}sheet"]
    sheets = [e.get(f"{_REL}id", "") for e in listed]
    if not sheets:
        raise TableFileError("no_sheet")
    # a hidden sheet is never the one read: a file written by a program (not Excel, which moves the
    # active tab off a sheet it hides) may name one as active, and its rows (an old list kept out of
    # sight) are not what the person who uploads the file sees
    visible = [i for i, e in enumerate(listed) if e.get("state", "visible") not in ("hidden", "veryHidden")]
    active = 0
    epoch_1904 = False
    for element in elements:
        if element.tag == f"{_MAIN}workbookView" and (element.get("activeTab") or "0").isdigit():
            active = int(element.get("activeTab") or 0)
        if element.tag == f"{_MAIN}workbookPr" and element.get("date1904") in ("1", "true"):
            epoch_1904 = True
    if active not in visible:
        active = visible[0] if visible else len(sheets)
    sheet = relations.get(sheets[active]) if active < len(sheets) else None
    if sheet is None or sheet not in book.members:
        raise TableFileError("no_sheet")
    strings = next((path for path in relations.values() if path.endswith("sharedStrings.xml")), None)
    return sheet, strings, epoch_1904


def _text_of(element: Element) -> str:
    """The text of a shared or inline string: its ``t`` runs, without phonetic guides (``rPh``)."""
    direct = element.find(f"{_MAIN}t")
    if direct is not None:
        return direct.text or ""
    return "".join(run.findtext(f"{_MAIN}t") or "" for run in element.iter(f"{_MAIN}r"))


def _shared_strings(book: _Workbook, path: str | None) -> list[str]:
    """The shared string table, capped in count; a string too long for a cell is kept as a marker
    (refused only if a cell of the sheet uses it)."""
    strings: list[str] = []
    if path is None:
        return strings
    limit, chars = book.limits.max_shared_strings, book.limits.max_cell_chars
    for element in book.elements(path, f"{_MAIN}si"):
        if len(strings) >= limit:
            raise TableFileError("too_many_strings", limit=limit)
        text = _text_of(element)
        strings.append(text if len(text) <= chars else _TOO_LONG)
    return strings


_TOO_LONG = "\x00too long\x00"


def _date_styles(book: _Workbook) -> set[int]:
    """Indexes of the cell formats (``s`` of a cell) that show a number as a date or time."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    elements = book.small("xl/styles.xml")
    custom = {int(e.get("numFmtId", "0")): e.get("formatCode", "") for e in elements
              if e.tag == f"{_MAIN}numFmt" and (e.get("numFmtId") or "").isdigit()}
    dates: set[int] = set()
    cell_formats = next((e for e in elements if e.tag == f"{_MAIN}cellXfs"), None)
    if cell_formats is None:
        return dates
    for index, xf in enumerate(cell_formats.findall(f"{_MAIN}xf")):
        number_format = int(xf.get("numFmtId", "0")) if (xf.get("numFmtId") or "0").isdigit() else 0
        code = custom.get(number_format) or BUILTIN_FORMATS.get(number_format) or ""
        if code and is_date_format(code):
            dates.add(index)
    return dates


def _column_index(reference: str | None, fallback: int) -> int:
    """0-based column of a cell reference like ``C7`` (the next column when there is none)."""
    match = _CELL_REF.match(reference or "")
    if match is None:
        return fallback
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _read_xlsx(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise TableFileError("not_xlsx")
    book = _Workbook(content, limits)
    try:
        sheet, strings_path, epoch_1904 = _sheet_and_strings(book)
        strings = _shared_strings(book, strings_path)
        dates = _date_styles(book)
    except ParseError:
        raise TableFileError("xlsx_unreadable", kind="XML") from None
    return _sheet_rows(book, sheet, strings, dates, epoch_1904)


def _sheet_rows(book: _Workbook, sheet: str, strings: list[str], dates: set[int],
                epoch_1904: bool) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the sheet as it is parsed; cells beyond the column limit that hold
    something stop the import, empty ones are not stored."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    epoch = CALENDAR_MAC_1904 if epoch_1904 else CALENDAR_WINDOWS_1900
    limits = book.limits
    row_tag, cell_tag = f"{_MAIN}row", f"{_MAIN}c"
    value_tag, inline_tag = f"{_MAIN}v", f"{_MAIN}is"
    stream = book.open(sheet)
    assert stream is not None
    previous = 0
    try:
        with stream:
            parent: Element | None = None
            for event, element in iterparse(stream, events=("start", "end")):
                if event == "start":
                    if element.tag == f"{_MAIN}sheetData":
                        parent = element
                    continue
                if element.tag != row_tag:
                    continue
                number = int(element.get("r") or previous + 1) if (element.get("r") or "").isdigit() else previous + 1
                previous = number
                cells: list[Any] = []
                for cell in element.iter(cell_tag):
                    index = _column_index(cell.get("r"), len(cells))
                    value = _cell_value(cell, strings, dates, epoch, value_tag, inline_tag, from_excel)
                    if value is None or value == "":
                        continue
                    if index >= limits.max_columns:
                        raise TableFileError("too_many_columns", row=number, limit=limits.max_columns)
                    if value is _TOO_LONG or (isinstance(value, str) and len(value) > limits.max_cell_chars):
                        raise TableFileError("cell_too_long", row=number, column=index + 1, limit=limits.max_cell_chars)
                    if index >= len(cells):
                        cells.extend([None] * (index + 1 - len(cells)))
                    cells[index] = value
                if parent is not None:
                    parent.clear()  # drop the rows read so far: the tree must not grow with the sheet
                yield number, cells
    except ParseError:
        raise TableFileError("xlsx_unreadable", kind="XML") from None
    except (zipfile.BadZipFile, EOFError, OSError):
        raise TableFileError("xlsx_unreadable", kind="zip") from None


def _cell_value(cell: Element, strings: list[str], dates: set[int], epoch: datetime, value_tag: str,
                inline_tag: str, from_excel: Any) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(inline_tag)
        return _text_of(inline) if inline is not None else None
    raw = cell.findtext(value_tag)
    if raw is None:
        return None
    if kind == "s":
        index = int(raw) if raw.isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else None
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return raw == "1"
    try:
        number = float(raw)
    except ValueError:
        return raw
    style = cell.get("s")
    if style is not None and style.isdigit() and int(style) in dates:
        try:
            return from_excel(number, epoch)
        except (ValueError, OverflowError):
            return raw
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


# ---- .csv ------------------------------------------------------------------------------------------
def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with its BOM (Excel's and WPS's "Unicode 文本", tab
    separated) or GB18030/GBK; anything else is refused with its likely name.

    Big5 and Shift-JIS bytes mostly decode as GB18030 too, into nonsense; charset-normalizer names
    the likely encoding, and the text's share of common simplified characters (GB2312) confirms a
    GBK reading, which short files leave ambiguous.
    """
    if content.startswith(UTF16_BOMS) and not content.startswith(UTF32_LE_BOM):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise TableFileError("csv_encoding_named", encoding="UTF-16") from None
        if "\x00" in text[:4096]:
            raise TableFileError("csv_binary")
        return text
    if b"\x00" in content[:4096]:
        raise TableFileError("csv_binary")
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableFileError("csv_encoding") from None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content[: 256 * 1024]).best()
    guess = best.encoding if best is not None else None
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise TableFileError("csv_encoding_named", encoding=_encoding_name(guess)) from None
    if guess in GB_FAMILY or _common_simplified_share(text) >= GB2312_SHARE:
        return text
    raise TableFileError("csv_encoding_named", encoding=_encoding_name(guess))


def _encoding_name(guess: str | None) -> str:
    if guess is None:
        return "无法识别"
    return ENCODING_NAMES.get(guess, guess.upper().replace("_", "-"))


def _common_simplified_share(text: str) -> float:
    """Share of the Chinese characters of ``text`` that are among GB2312's common ones (1.0 when none)."""
    han = [c for c in text[:100_000] if unicodedata.category(c) == "Lo" and c > "\u2e80"]
    if not han:
        return 1.0
    common = 0
    for char in han:
        try:
            char.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(han)


def _read_csv(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    text = decode_text(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    return _csv_rows(text, delimiter, limits)


def _csv_rows(text: str, delimiter: str, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    longest = limits.max_columns * (limits.max_cell_chars + 3)  # a line no table within the limits has

    def lines() -> Iterator[str]:
        for number, line in enumerate(io.StringIO(text), 1):
            if len(line) > longest:
                raise TableFileError("line_too_long", row=number)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, 1):
            yield number, list(row)
    except csv.Error as exc:
        raise TableFileError("csv_malformed", detail=str(exc)[:200]) from None


# ---- dates in cells ----------------------------------------------------------------------------
#: the day Excel's (1900 system) serial 0 stands for: 1899-12-30, because Excel counts a 29 February
#: 1900 that never was, so every serial from 61 on is one more than the days since 1899-12-31
EXCEL_EPOCH = datetime(1899, 12, 30)
#: the serials taken for dates: 2000-01-01 … 2099-12-31. A bare number outside is no date of this
#: review (an ID tail, a count, a mistyped year), so it is refused rather than read as a day in 1960
SERIAL_FIRST_DAY = date(2000, 1, 1)
SERIAL_LAST_DAY = date(2099, 12, 31)
_YEAR_FIRST = re.compile(r"(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})")
_YEAR_FIRST_CN = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?")
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
#: what may follow a date: a time as 9:30, 09:30:15(.000), 9时30分(15秒), 9点30分, optionally after
#: a ``T`` and with a UTC offset (ISO 8601 as databases export it)
_TIME = re.compile(
    r"(?:T\s*)?(?P<h>\d{1,2})\s*(?:"
    r"[:：]\s*(?P<m1>\d{1,2})(?:\s*[:：]\s*(?P<s1>\d{1,2})(?:\.\d+)?)?"
    r"|[时点]\s*(?:(?P<m2>\d{1,2})\s*分\s*(?:(?P<s2>\d{1,2})\s*秒)?)?"
    r")\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
#: forms whose order of day, month and year cannot be told: 11/7/2024 (11 July or 7 November?),
#: 24/7/11 (a two-digit year first or last?), 24年7月11日, and a day without a year (7月11日, 7/11)
_AMBIGUOUS = (
    re.compile(r"\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}(?!\d)"),
    re.compile(r"\d{2}\s*年\s*\d{1,2}\s*月"),
)
#: a month and a day with no year at all (7月11日, 7/11): refused with its own reason
_NO_YEAR = (
    re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"),
    re.compile(r"\d{1,2}\s*[-/]\s*\d{1,2}"),
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class DateCellError(Exception):
    """A cell meant as a date or time that cannot be taken as one. ``key`` names the text
    ``status.import_errors.<key>`` (the row's report line says which row and column); ``values``
    fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def parse_moment(value: Any) -> datetime | None:
    """A cell as a moment: None when empty; a naive datetime (local time) or an aware one (when the
    text carries a UTC offset); ``DateCellError`` when it is no date or could be read two ways.

    Accepted, as staff's spreadsheets write them: 2024-07-11, 2024/7/11, 2024.7.11, 2024年7月11日,
    20240711, each with an optional time (9:30, 09:30:00, 9时30分); a spreadsheet's own date cell;
    and an Excel serial number (45484, 45484.5 for noon) from 2000 to 2099 — a CSV saved from Excel
    keeps a date cell formatted as a number that way. A date without a time is midnight, which is
    how the status card knows to show the day alone. Day-first or month-first forms (11/7/2024),
    two-digit years and days without a year are refused: guessing would put a deadline months off.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise DateCellError("time_unreadable", value=str(value))
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return _from_serial(float(value), _shown(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    shown = text[:40]
    if _NUMBER.fullmatch(text) and not _COMPACT.fullmatch(text):
        return _from_serial(float(text), shown)
    for pattern in (_YEAR_FIRST, _YEAR_FIRST_CN, _COMPACT):
        found = pattern.match(text)
        if found is None:
            continue
        rest = text[found.end():].strip()
        clock = _TIME.fullmatch(rest) if rest else None
        if rest and clock is None:
            break  # a date followed by something that is no time: unreadable (or ambiguous) below
        try:
            day = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            raise DateCellError("time_invalid_date", value=shown) from None
        return _at(day, clock, shown)
    if any(pattern.match(text) for pattern in _AMBIGUOUS):
        raise DateCellError("time_ambiguous", value=shown)
    if any(pattern.match(text) for pattern in _NO_YEAR):
        raise DateCellError("time_no_year", value=shown)
    raise DateCellError("time_unreadable", value=shown)


def _shown(number: float | int) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _from_serial(serial: float, shown: str) -> datetime:
    """An Excel serial (1900 date system) within ``SERIAL_FIRST_DAY``…``SERIAL_LAST_DAY``."""
    first = (datetime.combine(SERIAL_FIRST_DAY, datetime.min.time()) - EXCEL_EPOCH).days
    last = (datetime.combine(SERIAL_LAST_DAY, datetime.min.time()) - EXCEL_EPOCH).days
    if not first <= serial < last + 1:
        raise DateCellError("time_serial_range", value=shown, first=first, last=last,
                            first_day=SERIAL_FIRST_DAY.isoformat(), last_day=SERIAL_LAST_DAY.isoformat())
    days = int(serial)
    seconds = round((serial - days) * 86400)
    return EXCEL_EPOCH + timedelta(days=days, seconds=seconds)


def _at(day: date, clock: re.Match[str] | None, shown: str) -> datetime:
    """``day`` at the time ``clock`` names (midnight without one)."""
    if clock is None:
        return datetime(day.year, day.month, day.day)
    hour = int(clock["h"])
    minute = int(clock["m1"] or clock["m2"] or 0)
    second = int(clock["s1"] or clock["s2"] or 0)
    try:
        moment = datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        raise DateCellError("time_invalid_time", value=shown) from None
    offset = clock["tz"]
    if offset:
        if offset == "Z":
            return moment.replace(tzinfo=UTC)
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return moment.replace(tzinfo=zone)
    return moment
