"""Staff console page times: each page rendered N times over HTTP by a signed-in admin.

Runs the console application in-process on 127.0.0.1 over a fresh database (SQLite by default,
``--postgres`` for a throw-away schema on the PostgreSQL of ``TEST_PG_URL``) seeded with
``--applications`` applications (each with a history row, in 200 units with HR contacts and
invites), ``--questions`` logged questions (per-day counts and their unanswered share as distinct
scrubbed questions), 20,000 outbox rows, ``--audit`` audit entries, the knowledge page's data
(100,000 distinct unanswered questions, candidate phrasings, votes) and 30 broadcasts (one still
sending to 2,000 recipients, a tenth of whom read English; every third broadcast with an English
version). It signs in like a browser (CSRF token from the form, session cookie), then requests
every page in ``PAGES`` ``--rounds`` times one after another, and the broadcast preview (a POST
counting all recipients by channel and language), and prints the median and p95 per page. It also times the import's dry run of a 10,000-row file (upload and
report: work on a file, not a page), and failed sign-ins of real logins (wrong password) against
unknown logins: the two medians should be close (an unknown login is checked against a dummy
hash), so timing does not tell which logins exist.

    .venv/bin/python -m benchmarks.console [--rounds 50] [--applications 10000] [--questions 100000] [--postgres]

Target: p95 ≤ 200 ms per page on this machine. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    "/", "/audit", "/audit?action=sign_in", "/accounts",
    "/applications", "/applications?state=accepted&level=intermediate", "/applications?unit=7&since={since}",
    "/applications?number=SD2024-0042", "/applications?page=180", "/applications?sort=number&page=150",
    "/applications/SD2024-004321", "/units",
    "/import", "/broadcast", "/broadcast/30", "/broadcast/30/progress", "/knowledge",
]
#: the broadcast preview, timed as a POST of a draft to every user (by channel and by language)
PREVIEW = "/broadcast/preview"
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
#: the HR contacts' user ids, above the broadcast recipients' (which take the table's own ids)
HR_IDS = 100_001


async def seed_status(bot_app, applications: int, questions: int) -> None:
    """Applications with their history, units, HR contacts and invites, the question counts and
    unanswered questions, and outbox rows, inserted in bulk."""
    from sqlalchemy import insert

    from bot.knowledge.daily import OUTCOMES, local_day
    from bot.knowledge.models import QuestionDay, UnansweredQuestion
    from bot.outbox.models import OutboxMessage
    from bot.status.lockout import salt_of
    from bot.status.models import Application, HrContact, InviteCode, StatusHistory, Unit
    from bot.status.personal import id_tail_hash, keyed_hash
    from bot.status.service import StatusService
    from bot.storage.models import User

    now = bot_app.services.clock.now()
    workflow = StatusService.of(bot_app.services).workflow
    states = [s.id for s in workflow.data.states]
    levels = list(workflow.levels)
    salt = salt_of(bot_app.services)
    async with bot_app.db.session() as session:
        await session.execute(insert(Unit), [{"id": u + 1, "name": f"青岛测试单位{u:03d}有限公司", "created_at": now} for u in range(200)])
        await session.execute(insert(User), [
            {"id": HR_IDS + i, "channel": "telegram", "external_id": str(5_000_000 + i), "chat_id": str(5_000_000 + i),
             "role": "hr", "language": "zh", "active": True, "blocked": False, "created_at": now, "last_seen_at": now}
            for i in range(300)])
        await session.execute(insert(HrContact), [{"user_id": HR_IDS + i, "unit_id": i % 200 + 1, "created_at": now} for i in range(300)])
        await session.execute(insert(InviteCode), [
            {"code_hash": keyed_hash(salt, "invite", f"BENCH{i:05d}"), "unit_id": i % 200 + 1, "created_at": now,
             "expires_at": now + timedelta(days=7 - i % 10)} for i in range(400)])
        for start in range(0, applications, 2000):
            batch = range(start, min(start + 2000, applications))
            rows = []
            for i in batch:
                changed = now - timedelta(minutes=13 * i)
                number = f"SD2024-{i:06d}"
                rows.append({"id": i + 1, "number": number, "level": levels[i % len(levels)], "unit_id": i % 200 + 1,
                             "applicant_name": "张三明", "id_tail_hash": id_tail_hash(salt, number, "123X"),
                             "state": states[i % len(states)], "state_at": changed, "due_date": None,
                             "created_at": changed, "updated_at": changed})
            await session.execute(insert(Application), rows)
            await session.execute(insert(StatusHistory), [
                {"application_id": r["id"], "state": r["state"], "at": r["state_at"], "actor": "import", "note": "",
                 "reason_code": None, "recorded_at": r["state_at"]} for r in rows])
        # questions over 60 days: 60 % answered, 25 % suggestions, 15 % fallback
        days = 60
        today = local_day(now)
        shares = {"answer": 0.60, "suggest": 0.25, "fallback": 0.15}
        await session.execute(insert(QuestionDay), [
            {"day": today - timedelta(days=d), "outcome": o, "count": round(questions / days * shares[o] * (0.6 + (d * 7 % 9) / 10))}
            for d in range(days) for o in OUTCOMES])
        unanswered = int(questions * 0.4)
        distinct = max(1, unanswered // 3)
        await session.execute(insert(UnansweredQuestion), [
            {"key": f"问题{i:06d}怎么办理", "text": f"问题{i:06d}怎么办理？", "outcome": ("suggest", "fallback")[i % 2],
             "top_entry_id": None, "count": 1 + (unanswered - distinct) * (i % 97 == 0) // max(1, distinct // 97),
             "first_at": now - timedelta(days=30), "last_at": now - timedelta(minutes=i)} for i in range(distinct)])
        out_states = ("sent", "sent", "sent", "sent", "blocked", "failed", "pending")
        await session.execute(insert(OutboxMessage), [
            {"idempotency_key": f"bench:{i}", "user_id": HR_IDS + i % 300, "channel": "telegram", "chat_id": str(5_000_000 + i % 300),
             "kind": "status", "payload": {"text": "x"}, "state": out_states[i % len(out_states)], "urgent": False,
             "attempts": 1, "not_before": now, "created_at": now} for i in range(20_000)])


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
             "language": "en" if i % 10 == 0 else "zh", "active": True, "blocked": False, "created_at": now,
             "last_seen_at": now}
            for i in range(RECIPIENTS)])
        for b in range(1, BROADCASTS + 1):
            running = b == BROADCASTS
            broadcast = Broadcast(text=f"通知{b}", text_en=f"Notice {b}" if b % 3 == 0 else None, segment={"kind": "all", "value": None}, segment_label="全部用户",
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


async def timed(rounds: int, label: str, request) -> dict[str, float]:  # noqa: ANN001 - () -> awaitable response
    """Median and p95 of ``rounds`` requests made one after another (each must answer 200), printed."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = await request()
        await response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, f"{label}: {response.status}"
    times.sort()
    figure = {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}
    print(f"{label:52s} median {figure['median_ms']:7.1f} ms   p95 {figure['p95_ms']:7.1f} ms")
    return figure


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


@contextlib.asynccontextmanager
async def database(postgres: bool):  # noqa: ANN201
    """(url, schema): a temporary SQLite file, or a throw-away schema on PostgreSQL."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db", None
        return
    from sqlalchemy import text

    from bot.storage.db import Database

    url = os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    schema = f"bench_console_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def main(rounds: int, audit_rows: int, applications: int, questions: int, postgres: bool) -> dict[str, object]:
    from aiohttp import CookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import build_app
    from bot.console.server import ConsoleConfig, create_app
    from bot.settings import load_settings
    from bot.storage.db import Database

    async with database(postgres) as (url, schema):
        settings = load_settings(database_url=url, hash_salt="benchmark-salt-0123456789abcdef")
        bot_app = build_app(settings, serving=True)
        if schema:
            await bot_app.services.db.dispose()
            bot_app.services.db = Database(url, schema=schema)
        await bot_app.start()
        started = time.perf_counter()
        await seed(bot_app, audit_rows)
        await seed_status(bot_app, applications, questions)
        if schema:  # what autovacuum does soon after a bulk load: planner statistics
            from sqlalchemy import text

            async with bot_app.db.session() as session:
                await session.execute(text("ANALYZE"))
        print(f"seeded in {time.perf_counter() - started:.1f} s ({'PostgreSQL' if postgres else 'SQLite'})")
        since = (bot_app.services.clock.now() - timedelta(days=30)).date().isoformat()
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
            for page in PAGES:
                path = page.format(since=since)
                figures[page] = await timed(rounds, path, lambda path=path: client.get(path))
            page_csrf = re.search(r'name="csrf" value="([^"]+)"', await (await client.get("/import")).text()).group(1)
            draft = {"csrf": page_csrf, "kind": "all", "text": "各位申报人：请核对申报材料。",
                     "text_en": "Dear applicants: please check your application documents."}
            figures[PREVIEW] = await timed(rounds, PREVIEW, lambda: client.post(PREVIEW, data=draft))
            dry_run = await import_dry_run_ms(client, page_csrf)
            print(f"import dry run of a {IMPORT_ROWS}-row file (upload and report): {dry_run:.0f} ms")
        finally:
            await client.close()
            await bot_app.close()
    return {"rounds": rounds, "backend": "postgres" if postgres else "sqlite", "applications": applications,
            "questions": questions, "audit_rows": audit_rows, "pages": figures, "failed_sign_in": sign_in,
            "worst_p95_ms": max(f["p95_ms"] for f in figures.values()), "import_dry_run_ms": dry_run}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--audit", type=int, default=10_000)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="a throw-away schema on TEST_PG_URL instead of SQLite")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds, args.audit, args.applications, args.questions, args.postgres)),
                     ensure_ascii=False))
