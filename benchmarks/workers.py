"""Scale-out benchmark: 1 and 2 worker processes of each kind on one PostgreSQL database.

    .venv/bin/python -m benchmarks.workers [--users 50] [--per-user 20] [--workers 1,2] [--framework aiogram]
                                           [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

For each worker count N, on a fresh schema: N ``python -m bot run --webhook-url …`` processes behind a
local round-robin proxy receive the Bot API emulator's webhook deliveries, and N ``python -m bot web``
processes behind another proxy serve the chat page's API (``tests/e2e/cluster.py``). ``--users`` Telegram
users, and as many browsers, each ask ``--per-user`` questions one after another (the next when the
answer has arrived); Telegram first, then the web. Printed per N and channel: messages per second,
median and 95th-percentile latency (Telegram: from the update being queued at the emulator to the
reply reaching it; web: the POST's round trip through the proxy), and the processes' CPU time per
message (from /proc). The web limits are set high enough not to refuse anyone, so their shared
counters are still updated on every message. The last line is one JSON object.

Throughput grows with N only while there are idle cores: every process, the emulator, the proxies
and PostgreSQL share the machine (2 cores on the development machine, shared with other jobs, so the
load average is printed too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.broadcast import _drop_schema, _fresh_schema  # noqa: E402
from benchmarks.updates import QUESTIONS, count_replies  # noqa: E402
from tests.e2e.cluster import Cluster, WebVisitor  # noqa: E402
from tests.support.emulator import BotApiEmulator  # noqa: E402

HIGH_LIMITS = ("--session-limit", "1000000", "--ip-limit", "1000000")


def figures(latencies: list[float], wall: float, cpu: float, driver_cpu: float, postgres_cpu: float,
            machine_busy: float) -> dict:
    ordered = sorted(latencies)
    return {
        "messages": len(ordered),
        "throughput_per_s": round(len(ordered) / wall, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "cpu_ms_per_message": round(cpu * 1000 / len(ordered), 2),
        # this process: the emulator, the proxy and the simulated users (a saturated driver caps the figures)
        "driver_cpu_share": round(driver_cpu / wall, 2),
        # every PostgreSQL backend on the machine (other jobs' sessions included)
        "postgres_cpu_ms_per_message": round(postgres_cpu * 1000 / len(ordered), 2),
        # share of all cores busy during the run (other jobs included): near 1.0, no worker count helps
        "machine_busy": round(machine_busy, 2),
    }


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class Meter:
    """CPU of the given processes, of this process, of PostgreSQL and of the machine over one phase."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.pg = postgres_pids()
        self.start = (cpu_seconds(pids), time.process_time(), cpu_seconds(self.pg), machine_busy_ticks())

    def figures(self, latencies: list[float], wall: float) -> dict:
        cpu, driver, pg, (busy, total) = self.start
        busy_now, total_now = machine_busy_ticks()
        return figures(latencies, wall, cpu_seconds(self.pids) - cpu, time.process_time() - driver,
                       cpu_seconds(self.pg) - pg, (busy_now - busy) / max(1, total_now - total))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (and their children), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
    return total


async def telegram(emu: BotApiEmulator, users: list[int], per_user: int, replies: dict[str, int]) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def one(user: int) -> None:
        queue = emu.message_queue(user)
        for i in range(per_user):
            question = QUESTIONS[(user + i) % len(QUESTIONS)]
            sent = time.perf_counter()
            emu.send_text(user, question)
            first, _ = await asyncio.wait_for(queue.get(), 120)
            for _ in range(replies[question] - 1):
                await asyncio.wait_for(queue.get(), 120)
            latencies.append(first - sent)

    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in users))
    return latencies, time.perf_counter() - started


async def web(url: str, users: int, per_user: int, base: int) -> tuple[list[float], float]:
    visitors = [WebVisitor(url, f"10.{base % 250}.{i // 250}.{i % 250 + 1}") for i in range(users)]
    latencies: list[float] = []

    async def one(index: int, visitor: WebVisitor) -> None:
        for i in range(per_user):
            sent = time.perf_counter()
            status, body = await visitor.say(QUESTIONS[(index + i) % len(QUESTIONS)])
            if status != 200:
                raise SystemExit(f"web answered {status}: {body}")
            latencies.append(time.perf_counter() - sent)

    try:
        await asyncio.gather(*(v.open() for v in visitors))
        started = time.perf_counter()
        await asyncio.gather(*(one(i, v) for i, v in enumerate(visitors)))
        return latencies, time.perf_counter() - started
    finally:
        await asyncio.gather(*(v.close() for v in visitors))


async def measure(args: argparse.Namespace, n: int, replies: dict[str, int] | None) -> tuple[dict, dict[str, int]]:
    emu = BotApiEmulator()
    await emu.start()
    schema = await _fresh_schema(args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    cluster = Cluster(emu, args.database_url, schema, folder, bots=n, webs=n, framework=args.framework,
                      web_args=HIGH_LIMITS)
    try:
        await cluster.start()
        if replies is None:  # how many messages each question produces (the same for every N)
            replies = {q: await count_replies(emu, 990_000 + i, q) for i, q in enumerate(QUESTIONS)}
        # warm-up: every process has answered once
        await telegram(emu, [991_000 + i for i in range(2 * n)], 1, replies)
        await web(cluster.web_proxy.url, 2 * n, 1, base=200 + n)
        bot_pids = [b.proc.pid for b in cluster.bots]
        web_pids = [w.proc.pid for w in cluster.webs]
        users = [1_000_000 + i for i in range(args.users)]
        meter = Meter(bot_pids)
        lat, wall = await telegram(emu, users, args.per_user, replies)
        tg = meter.figures(lat, wall)
        meter = Meter(web_pids)
        lat, wall = await web(cluster.web_proxy.url, args.users, args.per_user, base=n)
        wb = meter.figures(lat, wall)
    except BaseException:
        print(cluster.logs(), file=sys.stderr)
        raise
    finally:
        await cluster.stop()
        await emu.stop()
        await _drop_schema(args.database_url, schema)
    return {"workers": n, "telegram": tg, "web": wb}, replies


async def bench(args: argparse.Namespace) -> dict:
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the runs "
          f"(shared with other jobs: every process, the emulator, the proxies and PostgreSQL compete for the "
          f"same cores)", flush=True)
    results = []
    replies = None
    for n in args.workers:
        result, replies = await measure(args, n, replies)
        results.append(result)
        for channel in ("telegram", "web"):
            f = result[channel]
            print(f"[{n} worker{'s' if n > 1 else ''}] {channel:8} {f['throughput_per_s']:7.1f} msg/s  "
                  f"median {f['median_ms']} ms  p95 {f['p95_ms']} ms  CPU {f['cpu_ms_per_message']} ms/msg "
                  f"+ PostgreSQL {f['postgres_cpu_ms_per_message']} ms/msg ({f['messages']} messages; driver busy "
                  f"{f['driver_cpu_share']:.0%}, machine busy {f['machine_busy']:.0%})", flush=True)
    out = {"benchmark": "workers", "users": args.users, "per_user": args.per_user, "framework": args.framework,
           "database": "postgresql", "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
           "runs": results}
    if len(results) >= 2:
        base = results[0]
        out["speedup"] = {
            channel: round(results[-1][channel]["throughput_per_s"] / base[channel]["throughput_per_s"], 2)
            for channel in ("telegram", "web")
        }
        print(f"throughput {results[-1]['workers']} vs {base['workers']} workers: telegram ×{out['speedup']['telegram']}, "
              f"web ×{out['speedup']['web']}", flush=True)
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--per-user", type=int, default=20)
    p.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    p.add_argument("--framework", default="aiogram", choices=["aiogram", "ptb"])
    p.add_argument("--database-url", default=os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    args = p.parse_args(argv)
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    return args


def main(argv: list[str] | None = None) -> None:
    summary = asyncio.run(bench(parse(argv)))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
