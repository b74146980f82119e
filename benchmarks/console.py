"""Staff console page times: each page rendered N times over HTTP by a signed-in admin.

Runs the console application in-process on 127.0.0.1 over a fresh SQLite database seeded with
``--audit`` audit entries, signs in like a browser (CSRF token from the form, session cookie), then
requests every page in ``PAGES`` ``--rounds`` times one after another and prints the median and p95
per page (knowledge: 100,000 distinct unanswered questions; broadcasts: 30 in the history, one still
sending to 2,000 recipients). Later phases add their pages to ``PAGES`` and their data to ``seed``.
It also times the import's dry run of a 10,000-row file (upload and report), which is not a page
render but work on a file. It also times failed
sign-ins of real logins (wrong password) against unknown logins: the two medians should be close
(an unknown login is checked against a dummy hash), so timing does not tell which logins exist.

    .venv/bin/python -m benchmarks.console [--rounds 50] [--audit 10000]

Target (issue): p95 ≤ 200 ms per page on this machine. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/audit", "/audit?action=sign_in", "/accounts", "/applications", "/import", "/broadcast",
         "/broadcast/30", "/broadcast/30/progress", "/knowledge"]
#: the knowledge page's data: distinct unanswered questions, candidate phrasings, votes
UNANSWERED = 100_000
CANDIDATES = 500
VOTES = 10_000
#: broadcasts in the history (the last one still sending) and recipients of each
BROADCASTS = 30
RECIPIENTS = 2_000
#: rows of the file the import dry run is timed on
IMPORT_ROWS = 10_000
PASSWORD = "harbour-lights-at-dusk"


async def seed(bot_app, audit_rows: int) -> None:
    from bot.console import accounts, audit

    now = bot_app.services.clock.now()
    async with bot_app.db.session() as session:
        _account, token = await accounts.add(session, "bench", "admin", now)
        await accounts.choose_password(session, token, PASSWORD, PASSWORD, now)
        for i in range(20):
            _account, token = await accounts.add(session, f"staff{i:02d}", "staff", now)
            await accounts.choose_password(session, token, PASSWORD, PASSWORD, now)
        for i in range(audit_rows):
            audit.record(session, f"staff{i % 20:02d}", ("sign_in", "account_add", "audit_export")[i % 3],
                         now - timedelta(minutes=i), f"t{i}", {"n": i}, f"10.0.{i % 250}.{i % 7}")
    await seed_knowledge_and_broadcasts(bot_app)


async def seed_knowledge_and_broadcasts(bot_app) -> None:  # noqa: ANN001
    """Unanswered questions, candidates and votes (knowledge page); broadcasts with one outbox row per
    recipient, the last still sending (broadcast pages count it live from the outbox)."""
    from sqlalchemy import insert

    from bot.knowledge.models import AnswerFeedback, PhrasingCandidate, UnansweredQuestion
    from bot.outbox.models import OutboxMessage
    from bot.reminders.models import Broadcast
    from bot.storage.models import User

    now = bot_app.services.clock.now()
    async with bot_app.db.session() as session:
        rows = [{"key": f"问题{i}", "text": f"问题{i}怎么办", "outcome": ("suggest", "fallback")[i % 2],
                 "top_entry_id": None, "count": 1 + i % 97, "first_at": now, "last_at": now - timedelta(minutes=i)}
                for i in range(UNANSWERED)]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(UnansweredQuestion), rows[start:start + 5000])
        await session.execute(insert(PhrasingCandidate), [
            {"key": f"说法{i}", "entry_id": "fee-how-to-pay", "text": f"说法{i}", "count": 1 + i % 13,
             "first_at": now, "last_at": now} for i in range(CANDIDATES)])
        await session.execute(insert(AnswerFeedback), [
            {"entry_id": ("fee-amounts", "fee-how-to-pay", "fee-invoice")[i % 3], "vote": (1, -1)[i % 2], "at": now}
            for i in range(VOTES)])
        await session.execute(insert(User), [
            {"channel": "telegram", "external_id": str(9000 + i), "chat_id": str(9000 + i), "role": "applicant",
             "language": "zh", "active": True, "blocked": False, "created_at": now, "last_seen_at": now}
            for i in range(RECIPIENTS)])
        for b in range(1, BROADCASTS + 1):
            running = b == BROADCASTS
            broadcast = Broadcast(text=f"通知{b}", segment={"kind": "all", "value": None}, segment_label="全部用户",
                                  state="sending" if running else "done", created_by=None, source="console",
                                  created_at=now - timedelta(days=BROADCASTS - b), total=RECIPIENTS,
                                  sent=RECIPIENTS - 3, blocked=2, failed=1, cancelled=0, reasons={},
                                  finished_at=None if running else now, last_progress_pct=0 if running else 100)
            session.add(broadcast)
            await session.flush()
            if running:
                await session.execute(insert(OutboxMessage), [
                    {"user_id": 1 + i, "channel": "telegram", "chat_id": str(9000 + i), "kind": "broadcast",
                     "idempotency_key": f"bc:{broadcast.id}:{i}", "payload": {"text": broadcast.text},
                     "state": ("sent", "pending")[i % 2], "attempts": 0, "not_before": now, "created_at": now,
                     "broadcast_id": broadcast.id} for i in range(RECIPIENTS)])


async def import_dry_run_ms(client, csrf: str) -> float:  # noqa: ANN001 - a TestClient
    """Upload an ``IMPORT_ROWS``-row file and get its row-by-row report (read, checked, planned)."""
    import io

    from aiohttp import FormData

    out = io.StringIO()
    out.write("申报编号,姓名,身份证后四位,单位,申报级别,状态\n")
    for i in range(IMPORT_ROWS):
        out.write(f"SD2024-{i:06d},张三,123X,单位{i % 300},中级,审核受理\n")
    form = FormData()
    form.add_field("file", out.getvalue().encode(), filename="bench.csv")
    started = time.perf_counter()
    upload = await client.post("/import/upload", data=form, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    report = await client.get(upload.headers["HX-Redirect"])
    body = await report.text()
    elapsed = (time.perf_counter() - started) * 1000
    assert report.status == 200 and f"共 {IMPORT_ROWS} 行" in body, report.status
    return round(elapsed, 1)


async def sign_in_times(client) -> dict[str, float]:  # noqa: ANN001 - a TestClient
    """Median time of a failed sign-in: 3 per real account (below the delay), 60 unknown logins;
    each from its own address so that no limit answers early."""
    form = await (await client.get("/signin")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    attempts = [(f"staff{i:02d}", "real") for i in range(20) for _ in range(3)] + [(f"ghost{i:03d}", "unknown") for i in range(60)]
    times: dict[str, list[float]] = {"real": [], "unknown": []}
    for n, (login, kind) in enumerate(sorted(attempts, key=lambda a: hash(a[0]))):
        started = time.perf_counter()
        response = await client.post("/signin", data={"csrf": csrf, "login": login, "password": "wrong-password-123"},
                                     headers={"X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"})
        await response.read()
        assert response.status == 401, f"{login}: {response.status}"
        times[kind].append((time.perf_counter() - started) * 1000)
    return {f"{kind}_ms": round(statistics.median(values), 1) for kind, values in times.items()}


async def main(rounds: int, audit_rows: int) -> dict[str, object]:
    from aiohttp import CookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import build_app
    from bot.console.server import ConsoleConfig, create_app
    from bot.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", hash_salt="benchmark-salt-0123456789abcdef")
        bot_app = build_app(settings, serving=True)
        await bot_app.start()
        await seed(bot_app, audit_rows)
        client = TestClient(TestServer(create_app(bot_app, ConsoleConfig(trust_proxy=True)), host="127.0.0.1"), cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        try:
            sign_in = await sign_in_times(client)
            print(f"failed sign-in median: real login {sign_in['real_ms']:.1f} ms, unknown login {sign_in['unknown_ms']:.1f} ms")
            form = await (await client.get("/signin")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            signed = await client.post("/signin", data={"csrf": csrf, "login": "bench", "password": PASSWORD})
            assert signed.status == 200 and str(signed.url).endswith("/"), "sign-in failed"
            figures: dict[str, dict[str, float]] = {}
            for path in PAGES:
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = await client.get(path)
                    await response.read()
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status == 200, f"{path}: {response.status}"
                times.sort()
                figures[path] = {"median_ms": round(statistics.median(times), 1),
                                 "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}
                print(f"{path:28s} median {figures[path]['median_ms']:7.1f} ms   p95 {figures[path]['p95_ms']:7.1f} ms")
            page_csrf = re.search(r'name="csrf" value="([^"]+)"', await (await client.get("/import")).text()).group(1)
            dry_run = await import_dry_run_ms(client, page_csrf)
            print(f"import dry run of a {IMPORT_ROWS}-row file (upload and report): {dry_run:.0f} ms")
        finally:
            await client.close()
            await bot_app.close()
    return {"rounds": rounds, "audit_rows": audit_rows, "pages": figures, "failed_sign_in": sign_in,
            "worst_p95_ms": max(f["p95_ms"] for f in figures.values()), "import_dry_run_ms": dry_run}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--audit", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds, args.audit)), ensure_ascii=False))
