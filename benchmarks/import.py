"""Status import throughput: 10,000 rows from an .xlsx into a fresh SQLite database.

``python -m benchmarks.import [--rows 10000] [--format xlsx|csv] [--database-url URL]``
(or ``python benchmarks/import.py``).

Times three runs of the real importer (the same code as ``python -m bot status import``): the first
import (every row new), the same file again (every row unchanged: nothing written) and a file that
moves every application one state on (every row a checked transition with history and audit).
Target: the first import of 10,000 rows in under 10 seconds on SQLite. Prints one line per run and
last one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = ["申报编号", "姓名", "身份证后四位", "单位", "申报级别", "状态", "状态时间", "备注"]
LEVELS = ["正高级", "副高级", "中级", "助理级"]
TARGET_SECONDS = 10.0


def make_rows(count: int, state: str) -> list[list[str]]:
    surnames = "王李张刘陈杨赵黄周吴"
    return [
        [
            f"SD2024-{i:06d}",
            f"{surnames[i % 10]}{'晓小海建'[i % 4]}{'明华军丽'[(i // 4) % 4]}",
            f"{i % 1000:03d}{'X' if i % 11 == 0 else i % 10}",
            f"青岛示例企业{i % 300:03d}有限公司",
            LEVELS[i % 4],
            state,
            "2024-07-01 09:00",
            "",
        ]
        for i in range(1, count + 1)
    ]


def to_bytes(rows: list[list[str]], fmt: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def timed_import(app, name: str, content: bytes) -> tuple[float, dict]:  # noqa: ANN001
    from bot.status.importer import Importer

    importer = Importer(app.services, actor="benchmark", actor_user_id=None)
    started = time.perf_counter()
    async with app.db.session() as session:
        report = await importer.run(session, name, content)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"import failed: {report.file_error or report.errors[:3]}")
    return elapsed, report.figures()


async def main(rows: int, fmt: str, database_url: str | None) -> dict:
    from datetime import datetime

    from bot.app import build_app
    from bot.clock import LOCAL_TZ, FakeClock
    from bot.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        clock = FakeClock(datetime(2024, 7, 2, 10, tzinfo=LOCAL_TZ))
        app = build_app(load_settings(database_url=url), clock=clock)
        await app.start()
        try:
            name = f"statuses.{fmt}"
            first = to_bytes(make_rows(rows, "评委会办事机构审核"), fmt)
            later = to_bytes(make_rows(rows, "审核受理"), fmt)
            results = {}
            for label, content in (("first", first), ("same_again", first), ("transitions", later)):
                seconds, figures = await timed_import(app, name, content)
                results[label] = {"seconds": round(seconds, 3), "rows_per_second": round(rows / seconds), **figures}
                print(f"{label:12s} {rows} rows in {seconds:6.2f} s = {rows / seconds:8.0f} rows/s  {figures}")
        finally:
            await app.close()
    summary = {
        "benchmark": "status_import",
        "format": fmt,
        "backend": url.split(":", 1)[0],
        "rows": rows,
        "file_bytes": len(first),
        "seconds": results["first"]["seconds"],
        "rows_per_second": results["first"]["rows_per_second"],
        "target_seconds": TARGET_SECONDS,
        "meets_target": results["first"]["seconds"] < TARGET_SECONDS,
        "runs": results,
    }
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.format, args.database_url)), ensure_ascii=False))
