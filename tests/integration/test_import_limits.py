"""Import limits hold while a file is read: bombs are refused quickly, in Chinese, without the memory.

Each hostile file is built here (``tests/integration/bombs.py``); ``benchmarks/import_bombs.py`` prints the time
and memory each one costs. The limits come from rules/status.yaml (``import_limits``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from bot.paths import PROJECT_ROOT
from bot.status.tablefile import TableFileError, read_table
from bot.status.workflow import load_workflow
from tests.integration import bombs
from tests.support.helpers import ChatUser
from tests.support.status_helpers import STAFF_ID, csv_bytes, row, sapp, send_file, staff  # noqa: F401

LIMITS = load_workflow(PROJECT_ROOT).import_limits
read_table("warm.xlsx", bombs.xlsx_parts([bombs.inline_row(1, bombs.HEADER)]), LIMITS)  # imports out of the figures


def refusal(name: str, content: bytes) -> tuple[str, int]:
    """The refusal's key and the peak memory (bytes) spent reading ``content``."""
    tracemalloc.start()
    try:
        read_table(name, content, LIMITS)
    except TableFileError as exc:
        return exc.key, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError(f"{name} was accepted")


def test_limits_are_data_not_code():
    assert LIMITS.max_file_bytes == 20 * 1024 * 1024 and LIMITS.max_rows == 100_000


def test_a_declared_giant_dimension_is_ignored():
    """5 KB declaring A1:XFD1048576: read as the two rows it has, with next to no memory."""
    content = bombs.declared_dimension_bomb()
    assert len(content) < 5_000
    tracemalloc.start()
    table = read_table("d.xlsx", content, LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert table.headers == bombs.HEADER and [cells for _, cells in table.rows] == [bombs.ROW[:-1]]
    assert peak < 5 * 1024 * 1024


def test_a_zip_bomb_is_refused_before_unpacking():
    content = bombs.zip_bomb(unpacked_mb=150)
    assert len(content) < 1024 * 1024
    key, peak = refusal("z.xlsx", content)
    assert key == "xlsx_compression" and peak < 5 * 1024 * 1024


def test_many_small_parts_are_refused_by_the_unpacked_total():
    key, peak = refusal("m.xlsx", bombs.many_parts_bomb(parts=220))
    assert key == "xlsx_too_large_inside" and peak < 5 * 1024 * 1024


def test_a_shared_strings_bomb_stops_at_the_cap():
    content = bombs.shared_strings_bomb(count=LIMITS.max_shared_strings + 10)
    assert len(content) < LIMITS.max_file_bytes
    key, peak = refusal("s.xlsx", content)
    assert key == "too_many_strings"
    assert peak < 150 * 1024 * 1024  # the capped table itself; without the cap it grew with the file


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_million_empty_rows_are_refused(kind):
    content = bombs.empty_rows_xlsx(1_000_000) if kind == "xlsx" else bombs.empty_rows_csv(1_000_000)
    key, peak = refusal(f"e.{kind}", content)
    assert key in {"too_many_blank_rows", "xlsx_compression"}
    assert peak < 60 * 1024 * 1024


def test_blank_rows_are_counted_while_streaming_the_sheet():
    """Empty rows that compress poorly enough to pass the ratio check still stop at the blank-row cap."""
    rows = (f'<row r="{n}" spans="1:8" customHeight="1" ht="{n % 97}.{n % 89}"/>' for n in range(3, 20_000))
    content = bombs.xlsx_parts([bombs.inline_row(1, bombs.HEADER), bombs.inline_row(2, bombs.ROW), *rows])
    key, _ = refusal("b.xlsx", content)
    assert key == "too_many_blank_rows"


def test_rows_columns_and_cells_are_capped_while_reading():
    many = ("\n".join(",".join(row(f"SD2024-{i:06d}")) for i in range(LIMITS.max_rows + 1)))
    header = ",".join(bombs.HEADER)
    assert refusal("r.csv", f"{header}\n{many}\n".encode())[0] == "too_many_rows"
    wide = header + "," + ",".join(f"x{i}" for i in range(LIMITS.max_columns)) + "\n"
    assert refusal("w.csv", wide.encode())[0] == "too_many_columns"
    long_cell = csv_bytes([row("SD2024-000001", note="长" * (LIMITS.max_cell_chars + 1))])
    assert refusal("l.csv", long_cell)[0] == "cell_too_long"
    sheet = [bombs.inline_row(1, bombs.HEADER), '<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>']
    assert refusal("c.xlsx", bombs.xlsx_parts(sheet))[0] == "too_many_columns"
    endless = header + "," * (LIMITS.max_columns * (LIMITS.max_cell_chars + 3) + 1) + "\n"
    assert refusal("n.csv", endless.encode())[0] == "line_too_long"


async def test_in_chat_a_bomb_gets_a_clear_chinese_refusal(sapp, staff):  # noqa: F811
    await send_file(staff, "e.csv", bombs.empty_rows_csv(200_000))
    assert "空行太多" in staff.text
    await send_file(staff, "big.xlsx", b"PK" + b"\x00" * (LIMITS.max_file_bytes + 1))
    assert "文件太大（超过20MB）" in staff.text
    await send_file(staff, "z.xlsx", bombs.zip_bomb(unpacked_mb=128))
    assert "压缩比异常" in staff.text


async def test_the_file_is_read_in_a_worker_thread_outside_the_transaction(sapp, staff, monkeypatch):  # noqa: F811
    """On SQLite the update's transaction holds the only writer turn: reading a file inside it made
    every other user wait (another user's /help waited 12 s)."""
    from bot.status.importer import Importer

    db = sapp.db
    seen: list[tuple[bool, bool]] = []
    in_transaction = False
    original_tx, original_prepare = type(db).update_transaction, Importer.prepare

    def tracking_tx(self):  # noqa: ANN001, ANN202
        context = original_tx(self)

        class Tracked:
            async def __aenter__(self_inner):  # noqa: ANN001, ANN202, N805
                nonlocal in_transaction
                tx = await context.__aenter__()
                in_transaction = True
                return tx

            async def __aexit__(self_inner, *exc):  # noqa: ANN001, ANN002, ANN202, N805
                nonlocal in_transaction
                in_transaction = False
                return await context.__aexit__(*exc)

        return Tracked()

    def tracking_prepare(self, name, content):  # noqa: ANN001, ANN202
        seen.append((in_transaction, threading.current_thread() is threading.main_thread()))
        return original_prepare(self, name, content)

    monkeypatch.setattr(type(db), "update_transaction", tracking_tx)
    monkeypatch.setattr(Importer, "prepare", tracking_prepare)
    await send_file(staff, "s.csv", csv_bytes([row("SD2024-000001")]))
    assert "导入完成" in staff.text
    assert seen == [(False, False)]


async def test_other_users_are_answered_while_a_large_file_is_read(sapp, staff):  # noqa: F811
    """A slow file in the worker thread does not hold up another user's /help (the figure itself is
    printed by benchmarks/import_bombs.py; here only that /help finishes first)."""
    content = bombs.empty_rows_csv(9_000) + "\n".join(",".join(row(f"SD2024-{i:06d}")) for i in range(40_000)).encode()
    other = ChatUser(sapp, "4242")
    order: list[str] = []

    async def import_file() -> None:
        await send_file(staff, "slow.csv", content)
        order.append("import")

    async def ask_help() -> None:
        await asyncio.sleep(0.05)
        await other.say("/help")
        order.append("help")

    await asyncio.gather(import_file(), ask_help())
    assert order[0] == "help" and "帮助" in other.text


def test_cli_refuses_an_oversized_file_before_reading_it(tmp_path):
    sparse = tmp_path / "huge.csv"
    with sparse.open("wb") as f:
        f.truncate(2 * 1024 * 1024 * 1024)  # 2 GB that takes no disk
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "PYTHONPATH": str(PROJECT_ROOT)}
    for target in (str(sparse), "/dev/zero"):
        result = subprocess.run([sys.executable, "-m", "bot", "status", "import", target], capture_output=True,
                                text=True, env=env, cwd=PROJECT_ROOT, timeout=120)
        assert result.returncode == 1 and "文件太大（超过20MB）" in result.stdout, result.stderr
        assert "Traceback" not in result.stderr + result.stdout and "MemoryError" not in result.stderr
    assert Path("/dev/zero").exists()
