"""What hostile spreadsheets cost the importer now, and whether other users wait meanwhile.

``python -m benchmarks.import_bombs [--skip-chat]``

Part 1: each file (built by ``tests/integration/bombs.py``, plus a legitimate 100,000-row .xlsx for scale) is
written to a temporary file and read by ``Importer.prepare`` in a fresh child process, which
reports the outcome, the wall time and the memory: the Python heap peak while reading
(tracemalloc) and the growth of the process's peak RSS over its size before reading.

Part 2: in one process, as in the bot, a staff member sends the slowest accepted file (100,000 rows)
and the shared-strings bomb through the conversation core, while another user sends /help every
100 ms; prints the /help latencies (median and worst, counted from when each was due, so a blocked
event loop counts) during the import, and the same without any import as the baseline. The
100,000-row file is then also written, in one transaction (on SQLite the writer turn /help needs).

Prints one line per figure and last one JSON object. Measured on whatever machine runs it: say
which (a loaded shared machine gives larger and noisier figures).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = ("declared_dimension", "zip_bomb_1gb", "many_parts", "shared_strings", "empty_rows_xlsx",
         "empty_rows_csv", "rows_100k_xlsx")


def build(case: str) -> tuple[str, bytes]:
    from tests.integration import bombs

    if case == "declared_dimension":
        return "d.xlsx", bombs.declared_dimension_bomb()
    if case == "zip_bomb_1gb":
        return "z.xlsx", bombs.zip_bomb(1024)
    if case == "many_parts":
        return "m.xlsx", bombs.many_parts_bomb(1000)
    if case == "shared_strings":
        return "s.xlsx", bombs.shared_strings_bomb(3_000_000)
    if case == "empty_rows_xlsx":
        return "e.xlsx", bombs.empty_rows_xlsx(1_000_000)
    if case == "empty_rows_csv":
        return "e.csv", bombs.empty_rows_csv(1_000_000)
    legit = importlib.import_module("benchmarks.import")
    return "r.xlsx", legit.to_bytes(legit.make_rows(100_000, "审核受理"), "xlsx")


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure_one(path: str) -> dict:
    """In the child: read the file as the bot does and report the cost."""
    import tracemalloc

    from bot.app import build_app
    from bot.settings import load_settings
    from bot.status.importer import Importer

    app = build_app(load_settings(database_url="sqlite+aiosqlite:///:memory:"))
    importer = Importer(app.services, actor="benchmark", actor_user_id=None)
    content = Path(path).read_bytes()
    from tests.integration.bombs import declared_dimension_bomb

    importer.prepare("warm.xlsx", declared_dimension_bomb())  # imports and caches out of the figures
    importer.prepare("warm.csv", "申报编号\n1\n".encode())
    before_peak = _rss_kb("VmHWM")
    started = time.perf_counter()
    prepared = importer.prepare(Path(path).name, content)
    elapsed = time.perf_counter() - started
    rss_growth = max(0, _rss_kb("VmHWM") - before_peak)
    report = prepared.report
    del prepared
    tracemalloc.start()  # a second read for the heap figure (tracemalloc slows reading and adds memory)
    importer.prepare(Path(path).name, content)
    heap_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "outcome": report.file_error or f"accepted: {report.total} rows, {len(report.errors)} row errors",
        "seconds": round(elapsed, 3),
        "heap_peak_mb": round(heap_peak / 2**20, 1),
        "rss_peak_growth_mb": round(rss_growth / 1024, 1),
        "file_kb": round(len(content) / 1024, 1),
    }


def part_one() -> dict:
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            name, content = build(case)
            path = Path(tmp) / name
            path.write_bytes(content)
            del content
            child = subprocess.run([sys.executable, "-m", "benchmarks.import_bombs", "--one", str(path)],
                                   capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
            if child.returncode != 0:
                raise SystemExit(f"{case}: {child.stderr[-2000:]}")
            figures[case] = json.loads(child.stdout.strip().splitlines()[-1])
            path.unlink()
            f = figures[case]
            print(f"{case:20s} {f['file_kb']:>9.1f} KB  {f['seconds']:>7.3f} s  heap peak {f['heap_peak_mb']:>6.1f} MB  "
                  f"RSS peak +{f['rss_peak_growth_mb']:>6.1f} MB  {f['outcome']}", flush=True)
    return figures


async def help_latencies(app, stop: asyncio.Event) -> list[float]:  # noqa: ANN001
    from tests.support.helpers import ChatUser

    other = ChatUser(app, "5151")
    out: list[float] = []
    due = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await other.say("/help")
        # counted from when the question was due: a blocked event loop shows as lateness too
        out.append(time.perf_counter() - due)
        due = max(due + 0.1, time.perf_counter())
    return out


async def part_two() -> dict:
    from bot.app import build_app
    from bot.core.messages import Attachment, Inbound
    from bot.settings import load_settings
    from tests.integration import bombs

    legit = importlib.import_module("benchmarks.import")
    files = {"rows_100k_xlsx": ("r.xlsx", legit.to_bytes(legit.make_rows(100_000, "审核受理"), "xlsx")),
             "shared_strings": ("s.xlsx", bombs.shared_strings_bomb(3_000_000))}
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(load_settings(database_url=f"sqlite+aiosqlite:///{tmp}/bot.db", staff_ids=["bench:1"]))
        await app.start()
        try:
            stop = asyncio.Event()
            probe = asyncio.create_task(help_latencies(app, stop))
            await asyncio.sleep(2.0)
            stop.set()
            baseline = await probe
            figures["no_import"] = _summary(baseline, 2.0)
            print(f"{'no import':20s} /help median {figures['no_import']['median_ms']} ms, "
                  f"worst {figures['no_import']['worst_ms']} ms ({len(baseline)} asked)", flush=True)
            for n, (case, (name, content)) in enumerate(files.items()):
                stop = asyncio.Event()
                probe = asyncio.create_task(help_latencies(app, stop))
                started = time.perf_counter()
                inbound = Inbound(channel="bench", user_id="1", chat_id="1", kind="document", update_id=f"doc{n}",
                                  attachment=Attachment(file_name=name, content=content, size=len(content)))
                replies = await app.conversation.handle(inbound)
                took = time.perf_counter() - started
                stop.set()
                latencies = await probe
                figures[case] = _summary(latencies, took) | {"reply": replies[0].text.splitlines()[0][:60]}
                f = figures[case]
                print(f"{case:20s} import {f['import_seconds']} s; /help median {f['median_ms']} ms, worst "
                      f"{f['worst_ms']} ms ({len(latencies)} asked meanwhile); reply: {f['reply']}", flush=True)
        finally:
            await app.close()
    return figures


def _summary(latencies: list[float], took: float) -> dict:
    ms = sorted(x * 1000 for x in latencies) or [0.0]
    return {"import_seconds": round(took, 2), "median_ms": round(statistics.median(ms), 1), "worst_ms": round(ms[-1], 1),
            "asked": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--skip-chat", action="store_true", help="only part 1 (cost of each file)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one), ensure_ascii=False))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    result = {"files": part_one()}
    if not args.skip_chat:
        result["chat"] = asyncio.run(part_two())
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
