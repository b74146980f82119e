"""Hostile spreadsheets, built in memory: for the import-limit tests and ``benchmarks/import_bombs.py``.

Each is small when sent and large when read naively: a sheet declaring A1:XFD1048576, a zip bomb,
a shared-strings bomb, a million empty rows. ``xlsx_parts`` writes an .xlsx from raw XML parts, so
a test controls exactly what the file says.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["申报编号", "姓名", "身份证后四位", "单位", "申报级别", "状态", "状态时间", "备注"]
ROW = ["SD2024-000001", "张三明", "123X", "青岛示例科技有限公司", "中级", "审核受理", "2024-07-01 09:00", ""]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_row(number: int, cells: list[str]) -> str:
    columns = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    inner = "".join(f'<c r="{columns[i]}{number}" t="inlineStr"><is><t>{_escape(v)}</t></is></c>'
                    for i, v in enumerate(cells) if v)
    return f'<row r="{number}">{inner}</row>'


def xlsx_parts(sheet_body: Iterable[str], dimension: str = "A1:H2", shared: Iterable[str] = ()) -> bytes:
    """An .xlsx whose sheet XML is ``sheet_body`` (row elements, streamed into the zip)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
            _write_chunked(part, (f"<si><t>{_escape(s)}</t></si>" for s in shared))
            part.write(b"</sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
                       f'<dimension ref="{dimension}"/><sheetData>'.encode())
            _write_chunked(part, sheet_body)
            part.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _write_chunked(part, pieces: Iterable[str], chunk: int = 1 << 20) -> None:  # noqa: ANN001
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= chunk:
            part.write("".join(buffer).encode())
            buffer, size = [], 0
    if buffer:
        part.write("".join(buffer).encode())


def declared_dimension_bomb() -> bytes:
    """A few KB: a header and one row, but the sheet declares A1:XFD1048576 (17 billion cells)."""
    return xlsx_parts([inline_row(1, HEADER), inline_row(2, ROW)], dimension="A1:XFD1048576")


def zip_bomb(unpacked_mb: int = 1024) -> bytes:
    """A sheet that unpacks to ``unpacked_mb`` MB of blank space (about 1 MB packed per GB)."""
    blank = " " * (1 << 20)
    return xlsx_parts(_repeat(blank, unpacked_mb))


def _repeat(piece: str, times: int) -> Iterator[str]:
    for _ in range(times):
        yield piece


def shared_strings_bomb(count: int = 3_000_000) -> bytes:
    """A shared string table of ``count`` distinct short strings (they compress only about 3:1)."""
    return xlsx_parts([inline_row(1, HEADER)], shared=(os.urandom(4).hex() for _ in range(count)))


def empty_rows_xlsx(count: int = 1_000_000) -> bytes:
    """A header, one row and ``count`` empty rows."""
    rows = (f'<row r="{n}"/>' for n in range(3, count + 3))
    return xlsx_parts([inline_row(1, HEADER), inline_row(2, ROW), *rows], dimension=f"A1:H{count + 2}")


def empty_rows_csv(count: int = 1_000_000) -> bytes:
    return (",".join(HEADER) + "\n" + ",".join(ROW) + "\n" + "\n" * count).encode()


def many_parts_bomb(parts: int = 300) -> bytes:
    """Many extra parts just under the ratio check's 1 MB floor, together far over the unpacked limit."""
    out = io.BytesIO(xlsx_parts([inline_row(1, HEADER), inline_row(2, ROW)]))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf:
        filler = b" " * ((1 << 20) - 1)
        for i in range(parts):
            zf.writestr(f"xl/media/pad{i}.bin", filler)
    return out.getvalue()
