"""CSV encodings: UTF-8 (with or without BOM) and GB18030/GBK are read; Big5, Shift-JIS and the like
are refused with the encoding named, instead of importing mojibake with exit 0."""

from __future__ import annotations

import pytest

from bot.paths import PROJECT_ROOT
from bot.status.tablefile import TableFileError, decode_text
from bot.status.workflow import load_workflow
from tests.support.status_helpers import csv_bytes, row, sapp  # noqa: F401

LIMITS = load_workflow(PROJECT_ROOT).import_limits
TRADITIONAL = ["申報編號", "姓名", "身份證後四位", "單位", "申報級別", "狀態"]
ENGLISH = ["number", "name", "id4", "unit", "level", "status"]


def traditional_row() -> list[str]:
    return ["SD2024-000001", "張三明", "123X", "青島示例科技有限公司", "中級", "審核受理"]


@pytest.mark.parametrize(
    ("encoding", "header", "cells", "named"),
    [
        ("big5", TRADITIONAL, traditional_row(), "Big5"),
        ("big5", ENGLISH, traditional_row(), "Big5"),
        ("shift_jis", ENGLISH, ["SD2024-000001", "山田太郎", "123X", "株式会社サンプル", "中級", "審査受理"], "Shift-JIS"),
        ("shift_jis", ENGLISH[:2], ["SD2024-000001", "山田太郎"], "Shift-JIS"),
    ],
)
def test_other_cjk_encodings_are_refused_with_their_name(encoding, header, cells, named):
    content = csv_bytes([cells], header=header, encoding=encoding)
    content.decode("gb18030")  # the trap: it "decodes" as GBK, into nonsense
    with pytest.raises(TableFileError) as refused:
        decode_text(content)
    assert refused.value.key == "csv_encoding_named" and named in str(refused.value.values["encoding"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_and_gb_encodings_are_read(encoding):
    cells = row("SD2024-000001", "张三", "123X", unit="青岛港湾机械有限公司")
    assert decode_text(csv_bytes([cells], encoding=encoding)).lstrip("\ufeff").startswith("申报编号")
    short = csv_bytes([["SD2024-000001", "张三"]], header=ENGLISH[:2], encoding=encoding)
    assert "张三" in decode_text(short)


async def test_a_big5_file_is_not_imported(sapp):  # noqa: F811
    from bot.status.importer import Importer

    content = csv_bytes([traditional_row()], header=ENGLISH, encoding="big5")
    importer = Importer(sapp.services, actor="test", actor_user_id=None)
    async with sapp.db.session() as session:
        report = await importer.run(session, "big5.csv", content)
    assert not report.applied and report.file_error and "Big5" in report.file_error and "UTF-8" in report.file_error


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_its_byte_order_mark_is_read(encoding):
    """Excel's and WPS's "Unicode 文本" is UTF-16 with a BOM and tabs: read, not called "not text"."""
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    text = "申报编号\t姓名\nSD2024-000001\t张三\n"
    assert decode_text(bom + text.encode(encoding)) == text


def test_utf16_without_a_byte_order_mark_or_broken_stays_refused():
    with pytest.raises(TableFileError) as plain:
        decode_text("申报编号,姓名\n".encode("utf-16-le"))  # no BOM: zero bytes, nothing to go by
    assert plain.value.key == "csv_binary"
    with pytest.raises(TableFileError) as broken:
        decode_text(b"\xff\xfe" + "申报编号".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    assert broken.value.key == "csv_encoding_named" and broken.value.values["encoding"] == "UTF-16"
    with pytest.raises(TableFileError) as utf32:
        decode_text("申报编号,姓名\n".encode("utf-32"))
    assert utf32.value.key == "csv_binary"


async def test_a_utf16_tab_separated_file_is_imported(sapp):  # noqa: F811
    from bot.status.importer import Importer

    cells = row("SD2024-000001", "张三", "123X", unit="青岛港湾机械有限公司")
    content = csv_bytes([cells], encoding="utf-8").decode("utf-8").replace(",", "\t").encode("utf-16")
    prepared = Importer(sapp.services, actor="test", actor_user_id=None).prepare("状态.csv", content)
    assert prepared.report.file_error is None and not prepared.report.errors
    assert [(r.number, r.name) for r in prepared.rows] == [("SD2024-000001", "张三")]
