"""Update throughput and latency: our bot versus a bare echo bot, per framework, same emulator, same run.

``python -m benchmarks.updates [--messages 2000] [--users 50] [--frameworks aiogram,ptb] [--rounds 3]``

Each of ``--users`` simulated users sends questions one after another (the next when the previous
one is answered), ``--messages`` in total, through the in-process Bot API emulator to the real bot
process (``python -m bot run`` on a temporary SQLite file; the questions go to the knowledge-base
free-text path, the typical case) and then to the bare echo bot (``benchmarks/echo_bot.py``) of the
same framework, ``--rounds`` times in rotating order (the machine's speed drifts; each round runs
every side back to back). The echo bot runs twice per round: stock (the baseline of the target ratio)
and with our adapters' HTTP layer (``--transport ours``: aiohttp for PTB, JSON bodies for both), which
separates what the core adds from what our transport saves. Latency is from the update being queued
to the first reply reaching the emulator.
Prints one line per bot (with the bot process's CPU time per message during the 50-user run, from
/proc), then per framework the median over the rounds of each ratio ours/bare (and ours/bare with our
HTTP layer), and last one JSON object with all figures. A second, one-user run gives the latency without queueing (``--single``).
``--profile DIR`` records our bot with py-spy (if installed) during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.botproc import BotProcess  # noqa: E402
from tests.support.emulator import BotApiEmulator  # noqa: E402

QUESTIONS = [
    "评审费多少钱？",
    "网上申报什么时候截止？",
    "纸质材料交到哪里？",
    "中级职称需要什么学历？",
    "申报需要准备哪些材料",
    "评审结果什么时候公示",
    "没有职称可以直接申报副高吗",
    "继续教育学时有什么要求",
]


async def count_replies(emu: BotApiEmulator, user: int, text: str, settle: float = 1.5) -> int:
    """How many messages the bot sends for one question (waits until it has been quiet for ``settle``)."""
    queue = emu.message_queue(user)
    emu.send_text(user, text)
    await asyncio.wait_for(queue.get(), 60)
    n = 1
    while True:
        try:
            await asyncio.wait_for(queue.get(), settle)
            n += 1
        except TimeoutError:
            return n


async def drive(emu: BotApiEmulator, users: list[int], per_user: int, replies: int) -> tuple[list[float], float]:
    """Closed loop: every user asks, waits for the whole answer, asks again. Returns latencies and wall time."""
    latencies: list[float] = []

    async def one(user: int) -> None:
        queue = emu.message_queue(user)
        for i in range(per_user):
            sent = time.perf_counter()
            emu.send_text(user, QUESTIONS[(user + i) % len(QUESTIONS)])
            first, _ = await asyncio.wait_for(queue.get(), 60)
            for _ in range(replies - 1):
                await asyncio.wait_for(queue.get(), 60)
            latencies.append(first - sent)

    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in users))
    return latencies, time.perf_counter() - started


def summary(latencies: list[float], wall: float) -> dict:
    ordered = sorted(latencies)
    return {
        "messages": len(latencies),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "throughput_per_s": round(len(latencies) / wall, 1),
    }


async def measure(emu: BotApiEmulator, proc: BotProcess, label: str, base_user: int, args, profile_dir: Path | None) -> dict:
    per_user = max(1, args.messages // args.users)
    await proc.start(timeout=120)
    try:
        replies = await count_replies(emu, base_user, QUESTIONS[0])
        warm = [base_user + 1 + i for i in range(args.users)]
        await drive(emu, warm, 2, replies)  # warm-up: connections, caches, first queries
        users = [base_user + 1000 + i for i in range(args.users)]
        spy = _start_profiler(proc, profile_dir, label) if profile_dir else None
        cpu_before = _process_cpu_seconds(proc)
        latencies, wall = await drive(emu, users, per_user, replies)
        cpu_used = _process_cpu_seconds(proc) - cpu_before
        if spy is not None:
            spy.wait(60)
        # One user alone: the latency of a message when nothing queues in front of it.
        alone, _ = await drive(emu, [base_user + 999], args.single, replies)
    finally:
        await proc.stop()
    result = {**summary(latencies, wall), "replies_per_message": replies,
              "single_user_median_ms": round(statistics.median(alone) * 1000, 2),
              "bot_cpu_ms_per_message": round(cpu_used * 1000 / len(latencies), 3) if cpu_used >= 0 else None}
    print(f"{label:>16}: median {result['median_ms']:7.2f} ms  p95 {result['p95_ms']:7.2f} ms  "
          f"throughput {result['throughput_per_s']:7.1f} msg/s  single user {result['single_user_median_ms']:6.2f} ms  "
          f"bot CPU {result['bot_cpu_ms_per_message']} ms/msg  "
          f"({replies} repl{'y' if replies == 1 else 'ies'}/msg)", flush=True)
    return result


def _process_cpu_seconds(proc: BotProcess) -> float:
    """CPU time the bot process has used so far (all threads; Linux /proc, else -1)."""
    if proc.proc is None:
        return -1.0
    try:
        total = 0
        for task in Path(f"/proc/{proc.proc.pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9
    except (OSError, ValueError):
        return -1.0


def _start_profiler(proc: BotProcess, out_dir: Path, label: str) -> subprocess.Popen | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists() or proc.proc is None:
        print("py-spy is not installed; skipping the profile", file=sys.stderr)
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{label.replace(' ', '_')}.txt"
    return subprocess.Popen([spy, "record", "--pid", str(proc.proc.pid), "--duration", "8", "--format", "raw",
                             "--output", str(target), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def round_ratios(ours: list[dict], bare: list[dict], key: str, invert: bool = False) -> list[float]:
    """ours/bare (or bare/ours) of one figure, per round; rounds where either side lacks it are left out."""
    pairs = zip(ours, bare, strict=True)
    return [round((b[key] / o[key]) if invert else (o[key] / b[key]), 3) for o, b in pairs if o[key] and b[key]]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def compare(framework: str, ours: list[dict], bare: list[dict], bare_our_http: list[dict]) -> dict:
    """Per-round ratios (all sides of a round measured back to back) and their medians over the rounds."""
    latency = round_ratios(ours, bare, "median_ms")
    throughput = round_ratios(ours, bare, "throughput_per_s", invert=True)
    single = round_ratios(ours, bare, "single_user_median_ms")
    cpu = round_ratios(ours, bare, "bot_cpu_ms_per_message")
    core_latency = round_ratios(ours, bare_our_http, "median_ms")
    core_cpu = round_ratios(ours, bare_our_http, "bot_cpu_ms_per_message")
    summary_line = {
        "ratio": _median(latency),
        "throughput_ratio": _median(throughput),
        "single_user_ratio": _median(single),
        "cpu_per_message_ratio": _median(cpu),
        "ratio_same_http": _median(core_latency),
        "cpu_per_message_ratio_same_http": _median(core_cpu),
    }
    print(f"{framework:>16}: median over {len(latency)} rounds of ours/bare: median latency {summary_line['ratio']} "
          f"(target <= 1.5; per round {latency}); throughput {summary_line['throughput_ratio']}; "
          f"single user {summary_line['single_user_ratio']}; bot CPU per message {summary_line['cpu_per_message_ratio']}",
          flush=True)
    print(f"{framework:>16}: against the echo bot with our HTTP layer (what the core adds): median latency "
          f"{summary_line['ratio_same_http']} (per round {core_latency}); bot CPU per message "
          f"{summary_line['cpu_per_message_ratio_same_http']}", flush=True)
    return {"ours": ours, "bare": bare, "bare_our_http": bare_our_http,
            "per_round": {"latency": latency, "throughput": throughput, "single_user": single, "cpu_per_message": cpu,
                          "latency_same_http": core_latency, "cpu_per_message_same_http": core_cpu},
            **summary_line}


#: What runs on each side: our bot, the stock echo bot (the issue's baseline), and the echo bot with our
#: adapters' HTTP layer (so the core's own share is visible apart from the transport).
SIDES: dict[str, tuple[str, ...]] = {
    "ours": ("bot", "run"),
    "bare": ("benchmarks.echo_bot",),
    "bare-our-http": ("benchmarks.echo_bot", "--transport", "ours"),
}


async def main(args) -> dict:
    emu = BotApiEmulator()
    await emu.start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-updates-"))
    env = {"LOG_LEVEL": "WARNING", "MAX_CONCURRENT_UPDATES": "32"}
    results: dict = {"messages": args.messages, "users": args.users, "rounds": args.rounds}
    try:
        runs = 0
        for framework in args.frameworks:
            rounds: dict[str, list[dict]] = {side: [] for side in SIDES}
            for r in range(args.rounds):
                # rotate who goes first, so drift in the machine's speed hits every side alike
                order = list(SIDES)[r % len(SIDES):] + list(SIDES)[:r % len(SIDES)]
                for side in order:
                    runs += 1
                    name = f"{side}-{framework}-{r}"
                    proc = BotProcess(emu, framework, tmp / f"{name}.db", tmp / f"{name}.log", extra_env=env,
                                      module=SIDES[side])
                    profile = Path(args.profile) if args.profile and side == "ours" and r == 0 else None
                    result = await measure(emu, proc, f"{framework} {side} #{r + 1}", 1_000_000 * runs, args, profile)
                    rounds[side].append(result)
            results[framework] = compare(framework, rounds["ours"], rounds["bare"], rounds["bare-our-http"])
    finally:
        await emu.stop()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--frameworks", default="aiogram,ptb", type=lambda s: [f for f in s.split(",") if f])
    parser.add_argument("--single", type=int, default=100, help="messages for the one-user latency run")
    parser.add_argument("--rounds", type=int, default=3, help="ours/bare pairs per framework (order alternates)")
    parser.add_argument("--profile", default=None, help="directory for py-spy raw profiles of our bot")
    results = asyncio.run(main(parser.parse_args()))
    print(json.dumps(results, ensure_ascii=False))
