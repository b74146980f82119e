"""Broadcast benchmark: N recipients through the local Bot API emulator at its flood-control cap.

    .venv/bin/python -m benchmarks.broadcast [--recipients 3000] [--cap 300] [--chat-cap 1]
                                             [--blocked 0.02] [--kill-runs 5] [--dedup] [--database-url URL]

The emulator (``tests/support/emulator``) enforces a sliding one-second cap (default 300 messages per second
overall and 1 per second per chat) by answering 429 with ``retry_after``, and answers 403 for 2 % of
the recipients. The outbox worker runs as a separate process (``--worker``) with
``TelegramHttpSender``, so the runs after the first can SIGKILL it at 50 % and start a new one
(``--kill-runs`` of them, 5 by default, to show the spread).

Duplicates are measured as a Telegram user sees them: the emulator ignores the ``X-Idempotency-Key``
header, as Telegram does. A send whose request had reached the Bot API but whose outcome the killed
worker had not committed yet is sent again by the next worker, so each kill can duplicate at most the
sends in flight at that moment; the benchmark counts those (outbox rows still ``sending`` whose
chat already got the message, a moment after the kill) and checks the duplicates against them.
``--dedup`` plays a deduplicating proxy in front of the Bot API instead (the only place the header
helps): then a resend is answered from memory and duplicates drop to 0.

Printed per run: achieved rate / cap — recipients settled per second (delivered, or answered 403),
over the time the worker was sending (the restart gap excluded) — and the delivered-only rate (the
emulator's cap counts accepted messages only, so 403s come on top of it), 429s received
and their share of all sends, duplicates (same text delivered twice to one chat), losses (recipients
not blocked who got nothing), blocked users marked in the database, and how many resends after the
crash the emulator recognised by their idempotency key (0 unless ``--dedup``), and per kill the
sends in flight at the kill. Then the spread of the rate over the SIGKILL runs. The last line is one
JSON object.

Targets: rate ≥ 0.95 × cap, ≤ 1 % of sends answered 429, 0 losses in every run; 0 duplicates without a
kill, and per kill at most the sends in flight at the kill. The rate depends on the machine's load
(the worker, the emulator and this script share its cores), so it is printed with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCHMARK-token"


# ---- the worker process ---------------------------------------------------------------------------
async def worker_main(args: argparse.Namespace) -> None:
    """Deliver the outbox until killed (the process under test)."""
    from bot.channels.telegram_sender import TelegramHttpSender
    from bot.clock import SystemClock
    from bot.outbox.config import DeliveryConfig
    from bot.outbox.worker import OutboxWorker
    from bot.storage.db import Database

    db = Database(args.database_url, schema=args.schema or None)
    config = DeliveryConfig(global_rate=args.rate, per_chat_interval=args.chat_interval, lease_seconds=args.lease,
                            quiet_hours=None, poll_seconds=0.05, max_in_flight=args.in_flight)
    sender = TelegramHttpSender(TOKEN, api_url=args.api_url, max_connections=200)
    worker = OutboxWorker(db, {"telegram": sender}, SystemClock(), config)
    print("WORKER_READY", flush=True)
    task = asyncio.create_task(worker.run())
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await sender.close()
        await db.dispose()


# ---- the orchestrator -----------------------------------------------------------------------------
class Run:
    """One broadcast from a fresh outbox to the last settled row."""

    def __init__(self, args: argparse.Namespace, name: str, kill_at: float | None) -> None:
        self.args = args
        self.name = name
        self.kill_at = kill_at
        self.delivery_times: list[float] = []
        self.settled_times: list[float] = []  # deliveries and 403 answers: each one recipient done
        self.kill_time = 0.0  # when the worker was SIGKILLed (monotonic)
        self.segments: list[tuple[float, float, int]] = []  # (first, last, deliveries) per worker process
        self.in_flight_at_kill = 0  # sends that had reached the Bot API, their outcome not committed
        self.claimed_at_kill = 0  # rows the killed worker held (in flight, or waiting for their pacing slot)

    def spawn(self) -> subprocess.Popen:
        a = self.args
        cmd = [sys.executable, "-m", "benchmarks.broadcast", "--worker", "--database-url", a.database_url,
               "--api-url", self.api_url, "--rate", str(a.rate), "--chat-interval", str(a.chat_interval),
               "--lease", str(a.lease), "--in-flight", str(a.in_flight)]
        if a.schema:
            cmd += ["--schema", a.schema]
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
                                env={**os.environ, "LOG_LEVEL": "WARNING"})

    async def execute(self) -> dict:
        from sqlalchemy import func, select

        from bot.clock import SystemClock
        from bot.outbox.models import OutboxMessage
        from bot.reminders.audience import Segment, Subscriptions
        from bot.reminders.broadcast import create_broadcast, figures
        from bot.reminders.definitions import load_reminder_rules
        from bot.storage.db import Database
        from bot.storage.models import User
        from tests.support.emulator.server import BotApiEmulator

        a = self.args
        emu = BotApiEmulator(token=TOKEN, honor_idempotency_key=a.dedup)
        emu.faults.rate_limit(per_second=a.cap, per_chat_per_second=a.chat_cap)
        original = emu.faults.delivered

        original_check = emu.faults.check

        def delivered(chat_id: int, message: dict) -> None:
            self.delivery_times.append(time.monotonic())
            self.settled_times.append(self.delivery_times[-1])
            original(chat_id, message)

        def check(chat_id: int):  # noqa: ANN202 - a 403 settles a recipient too
            fault = original_check(chat_id)
            if fault is not None and fault.error_code == 403:
                self.settled_times.append(time.monotonic())
            return fault

        emu.faults.delivered = delivered  # type: ignore[method-assign]
        emu.faults.check = check  # type: ignore[method-assign]
        self.api_url = await emu.start()

        db = Database(a.database_url, schema=a.schema or None)
        await db.upgrade()
        clock = SystemClock()
        now = clock.now()
        rng = random.Random(7)
        chats = [10_000_000 + i for i in range(a.recipients)]
        blocked = set(rng.sample(chats, round(a.recipients * a.blocked)))
        for chat in blocked:
            emu.faults.block(chat)
        async with db.session() as session:
            session.add_all([
                User(channel="telegram", external_id=str(c), chat_id=str(c), role="applicant", language="zh",
                     active=True, blocked=False, created_at=now, last_seen_at=now)
                for c in chats
            ])
        subs = Subscriptions(load_reminder_rules(ROOT))
        async with db.session() as session:
            broadcast = await create_broadcast(session, text=f"【基准测试】{self.name}：群发通知。", segment=Segment("all"),
                                               segment_label="全部用户", subscriptions=subs, now=now, source="cli")
            broadcast_id, total = broadcast.id, broadcast.total
        print(f"[{self.name}] {total} recipients queued ({len(blocked)} will answer 403); starting the worker",
              flush=True)

        proc = self.spawn()
        killed = False
        restarts = 0
        started = time.monotonic()
        try:
            while True:
                await asyncio.sleep(0.02)
                if not killed and self.kill_at is not None and len(self.delivery_times) >= self.kill_at * total:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    self.kill_time = time.monotonic()
                    mark = len(self.delivery_times)
                    await self.count_in_flight(db, emu, broadcast_id)
                    print(f"[{self.name}] worker SIGKILLed after {mark} deliveries, {self.in_flight_at_kill} sends "
                          f"in flight ({self.claimed_at_kill} rows held); restarting", flush=True)
                    killed = True
                    restarts += 1
                    proc = self.spawn()
                    continue
                # The emulator shares this process: count in the database only when every recipient
                # has been answered, or nothing happened for a second (rows waiting for a retry).
                last = self.settled_times[-1] if self.settled_times else started
                if len(self.settled_times) < total and time.monotonic() - last < 1.0:
                    continue
                async with db.session() as session:
                    fig = await figures(session, broadcast_id)
                if fig.finished:
                    break
                if proc.poll() is not None:
                    raise SystemExit(f"worker exited with {proc.returncode}")
                if time.monotonic() - started > a.timeout:
                    raise SystemExit(f"timeout: {fig}")
                await asyncio.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

        stats = emu.faults.stats
        async with db.session() as session:
            marked = (await session.execute(select(func.count()).select_from(User).where(User.blocked.is_(True)))).scalar_one()
            not_sent = (await session.execute(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.state.notin_(["sent", "blocked"]))
            )).scalar_one()
        await emu.stop()
        await db.dispose()

        times = self.delivery_times
        if os.environ.get("BENCH_TIMELINE"):
            t0 = times[0]
            buckets: dict[int, int] = {}
            for t in times:
                buckets[int((t - t0) * 2)] = buckets.get(int((t - t0) * 2), 0) + 1
            print(f"[{self.name}] deliveries per 0.5 s:", [buckets.get(i, 0) for i in range(max(buckets) + 1)])
            print(f"[{self.name}] 429 by chat:", dict(stats.too_many_requests_by_chat),
                  "deliveries there:", {c: stats.deliveries.get(c) for c in stats.too_many_requests_by_chat})
        losses = sum(1 for c in chats if c not in blocked and stats.deliveries.get(c, 0) == 0)
        requests = stats.total_deliveries + stats.too_many_requests + stats.forbidden
        times = self.delivery_times
        def rate_of(stamps: list[float], cut: int | None) -> tuple[float, float]:
            """Events per second while the worker was sending (the restart gap excluded)."""
            parts = [stamps[:cut], stamps[cut:]] if cut is not None else [stamps]
            spans = [(p[-1] - p[0], len(p) - 1) for p in parts if len(p) > 1]
            if os.environ.get("BENCH_TIMELINE"):
                t0 = stamps[0]
                print(f"[{self.name}] parts (start, end, events):",
                      [(round(p[0] - t0, 2), round(p[-1] - t0, 2), len(p)) for p in parts if p], flush=True)
            active = sum(s for s, _ in spans)
            return (sum(n for _, n in spans) / active if active > 0 else 0.0), active

        def restart_gap(stamps: list[float]) -> int | None:
            """Index of the first event after the restart: the longest pause after the kill.

            Not simply "after the kill": a send already inside the emulator completes after the
            worker died, and counting the pause before it as active time understated the rate.
            """
            if not killed:
                return None
            after = [i for i in range(1, len(stamps)) if stamps[i] > self.kill_time - 0.05]
            return max(after, key=lambda i: stamps[i] - stamps[i - 1]) if after else None

        rate, active = rate_of(self.settled_times, restart_gap(self.settled_times))
        delivered_rate, _ = rate_of(self.delivery_times, restart_gap(self.delivery_times))
        return {
            "run": self.name,
            "recipients": total,
            "delivered": stats.total_deliveries,
            "rate_per_s": round(rate, 1),
            "cap_per_s": a.cap,
            "rate_ratio": round(rate / a.cap, 3),
            "delivered_per_s": round(delivered_rate, 1),
            "delivered_ratio": round(delivered_rate / a.cap, 3),
            "http_429": stats.too_many_requests,
            "share_429": round(stats.too_many_requests / requests, 4) if requests else 0.0,
            "http_403": stats.forbidden,
            "duplicates": stats.duplicates,
            "losses": losses,
            "rows_not_settled_ok": not_sent,
            "blocked_expected": len(blocked),
            "blocked_marked": marked,
            "idempotent_replays": stats.idempotent_replays,
            "worker_restarts": restarts,
            "in_flight_at_kill": self.in_flight_at_kill if killed else None,
            "claimed_at_kill": self.claimed_at_kill if killed else None,
            "active_seconds": round(active, 2),
        }

    async def count_in_flight(self, db, emu, broadcast_id: int) -> None:  # noqa: ANN001
        """Rows the killed worker still held, and those of them whose message had already arrived.

        Called right after the kill, before the next worker starts; a short pause first lets the
        emulator (in this process) finish requests the dead worker had already written to the socket.
        """
        from sqlalchemy import select

        from bot.outbox.models import OutboxMessage

        await asyncio.sleep(0.3)
        async with db.session() as session:
            held = (await session.execute(
                select(OutboxMessage.chat_id)
                .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.state == "sending")
            )).scalars().all()
        self.claimed_at_kill = len(held)
        self.in_flight_at_kill = sum(1 for chat in held if emu.faults.stats.deliveries.get(int(chat), 0) > 0)


def meets(result: dict) -> bool:
    allowed_duplicates = result["in_flight_at_kill"] or 0
    return (result["rate_ratio"] >= 0.95 and result["share_429"] <= 0.01
            and result["duplicates"] <= allowed_duplicates
            and result["losses"] == 0 and result["blocked_marked"] == result["blocked_expected"])


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"min": ordered[0], "median": round(statistics.median(ordered), 3), "max": ordered[-1], "n": len(ordered)}


async def bench(args: argparse.Namespace) -> dict:
    results = []
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other processes slow the "
          f"worker and the emulator alike; figures are best on an idle machine)", flush=True)
    plan = [("normal", None)] + [(f"sigkill_at_50pct_{i + 1}", 0.5) for i in range(args.kill_runs)]
    for name, kill_at in plan:
        folder = None
        if args.database_url.startswith("sqlite"):
            folder = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
            args.database_url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        elif args.pg_url:
            args.schema = await _fresh_schema(args.pg_url)
        try:
            result = await Run(args, name, kill_at).execute()
        finally:
            if args.pg_url:
                await _drop_schema(args.pg_url, args.schema)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        results.append(result)
        print(f"[{name}] rate {result['rate_per_s']}/s of cap {result['cap_per_s']}/s = {result['rate_ratio']:.3f} "
              f"(delivered {result['delivered_per_s']}/s = {result['delivered_ratio']:.3f}, the rest answered 403); "
              f"429s {result['http_429']} ({result['share_429']:.2%} of sends); 403s {result['http_403']}; "
              f"duplicates {result['duplicates']}; losses {result['losses']}; "
              f"blocked marked {result['blocked_marked']}/{result['blocked_expected']}; "
              f"resends recognised by key {result['idempotent_replays']}"
              + (f"; in flight at the kill {result['in_flight_at_kill']}" if kill_at is not None else ""), flush=True)
        if args.database_url.startswith("sqlite"):
            args.database_url = "sqlite"
    killed = [r for r in results if r["in_flight_at_kill"] is not None]
    summary = {"benchmark": "broadcast", "recipients": args.recipients, "cap_per_s": args.cap,
               "chat_cap_per_s": args.chat_cap, "worker_rate_per_s": args.rate,
               "database": "postgresql" if args.pg_url else "sqlite",
               "idempotency_key_honoured": args.dedup,
               "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(), "runs": results}
    if killed:
        summary["after_sigkill"] = {
            "rate_ratio": spread([r["rate_ratio"] for r in killed]),
            "duplicates_per_kill": [r["duplicates"] for r in killed],
            "in_flight_per_kill": [r["in_flight_at_kill"] for r in killed],
        }
        rates = summary["after_sigkill"]["rate_ratio"]
        print(f"after SIGKILL over {rates['n']} runs: rate/cap {rates['min']:.3f}–{rates['max']:.3f} "
              f"(median {rates['median']:.3f}); duplicates per kill {summary['after_sigkill']['duplicates_per_kill']} "
              f"against sends in flight {summary['after_sigkill']['in_flight_per_kill']}", flush=True)
    summary["targets_met"] = all(meets(r) for r in results)
    return summary


async def _fresh_schema(url: str) -> str:
    from sqlalchemy import text

    from bot.storage.db import Database

    name = f"bench_{os.getpid()}_{int(time.time() * 1000) % 10_000_000}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    await admin.dispose()
    return name


async def _drop_schema(url: str, name: str) -> None:
    from sqlalchemy import text

    from bot.storage.db import Database

    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    await admin.dispose()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipients", type=int, default=3000)
    p.add_argument("--cap", type=float, default=300.0, help="emulator cap, messages per second overall")
    p.add_argument("--chat-cap", type=float, default=1.0, help="emulator cap, messages per second per chat")
    p.add_argument("--blocked", type=float, default=0.02, help="share of recipients answering 403")
    p.add_argument("--rate", type=float, default=None, help="worker pacing (default 0.985 × cap)")
    p.add_argument("--chat-interval", type=float, default=1.0)
    p.add_argument("--lease", type=float, default=3.0)
    p.add_argument("--in-flight", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--kill-runs", type=int, default=5, help="runs with a SIGKILL at 50 %% (after the normal run)")
    p.add_argument("--dedup", action="store_true",
                   help="the emulator honours X-Idempotency-Key, as a deduplicating proxy would (Telegram does not)")
    p.add_argument("--database-url", default="sqlite", help="'sqlite' (a temporary file) or a postgresql+asyncpg URL")
    p.add_argument("--schema", default="")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--api-url", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rate is None:
        args.rate = round(args.cap * 0.985, 2)
    args.pg_url = args.database_url if args.database_url.startswith("postgresql") else ""
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.worker:
        import logging

        logging.basicConfig(level=logging.WARNING)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("asyncio.run(worker_main(args))", globals(), {"args": args, "asyncio": asyncio},
                            os.environ["BENCH_PROFILE"])
            return
        asyncio.run(worker_main(args))
        return
    summary = asyncio.run(bench(args))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
