"""The console's units page (invite codes through the status commands, HR contacts masked, revoke)
and overview (figures from the database, charts drawn as SVG)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.console import charts
from bot.console.models import ConsoleAudit
from bot.knowledge.daily import DailyTally, count_question, local_day, per_day
from bot.outbox.models import OutboxMessage
from bot.status.models import HrContact, InviteCode, Unit
from bot.storage.models import AuditEntry, User
from tests.support.console_data import add_application, add_many, bound_applicant
from tests.support.console_fixtures import ConsoleBrowser
from tests.support.helpers import ChatUser


async def rows_of(bot_app, model, *where):  # noqa: ANN001, ANN201
    async with bot_app.db.session() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


# ---- units -----------------------------------------------------------------------------------------
async def test_invite_redeem_list_masked_and_revoke(console_app, console_server):
    await add_application(console_app, "SD2024-000001", unit="青岛示例科技有限公司")
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        page = await b.post("/units/invite", {"unit": "  青岛示例科技有限公司 "})
        code = re.search(r'id="invite-code">([A-Z0-9]+)<', page.body_text).group(1)
        assert page.status == 200 and "青岛示例科技有限公司 的邀请码" in page.body_text
        invite = (await rows_of(console_app, InviteCode))[0]
        assert invite.code_hash != code and invite.used_at is None  # only the hash is stored
        hr = ChatUser(console_app, user_id="77001234")
        await hr.say(f"/hr {code}")
        assert (await rows_of(console_app, User, User.external_id == "77001234"))[0].role == "hr"
        listing = await b.get("/units")
        assert "77001234" not in listing.body_text and "test · " in listing.body_text
        contact = (await rows_of(console_app, HrContact))[0]
        done = await b.post(f"/units/contacts/{contact.id}/revoke")
        assert done.status == 200 and "已撤销" in done.body_text
        again = await b.post(f"/units/contacts/{contact.id}/revoke")
        assert again.status == 404
        empty = await b.post("/units/invite", {"unit": "   "})
        assert empty.status == 400 and "请填写单位名称" in empty.body_text
        no_token = await b.post("/units/invite", {"unit": "某单位"}, csrf=False)
        assert no_token.status == 403
    assert not await rows_of(console_app, HrContact)
    assert (await rows_of(console_app, User, User.external_id == "77001234"))[0].role == "applicant"
    actions = [e.action for e in await rows_of(console_app, ConsoleAudit)]
    assert actions.count("invite_create") == 1 and actions.count("hr_revoke") == 1
    assert await rows_of(console_app, AuditEntry, AuditEntry.action == "status.hr.revoke")
    assert len(await rows_of(console_app, InviteCode)) == 1  # the refused forms created nothing


async def test_an_invite_for_a_pasted_name_with_invisible_characters_goes_to_the_real_unit(console_app, console_server):
    """A unit name pasted with a zero-width space or a right-to-left mark is the same unit (as on an
    import row), not a look-alike second unit whose HR contact would hear of none of its applicants;
    a name that looks like a spreadsheet formula is refused, as on an import row."""
    await add_application(console_app, "SD2024-000001", unit="青岛示例科技有限公司")
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        await b.get("/units")
        for pasted in ("青岛示例科技有限公司\u200b", "\u202e青岛示例科技有限公司", "青岛示例\u2060科技有限公司\ufeff"):
            page = await b.post("/units/invite", {"unit": pasted})
            assert page.status == 200 and "青岛示例科技有限公司 的邀请码" in page.body_text
        formula = await b.post("/units/invite", {"unit": '=HYPERLINK("http://example.invalid","点我")'})
        assert formula.status == 400 and "像是表格公式" in formula.body_text
        minus = await b.post("/units/invite", {"unit": "-1+1"})
        assert minus.status == 400
    units = await rows_of(console_app, Unit)
    assert [u.name for u in units] == ["青岛示例科技有限公司"]
    invites = await rows_of(console_app, InviteCode)
    assert len(invites) == 3 and {i.unit_id for i in invites} == {units[0].id}


# ---- overview --------------------------------------------------------------------------------------
async def test_questions_are_counted_per_local_day_and_outcome(console_any_app):
    now = console_any_app.services.clock.now()
    async with console_any_app.db.session() as session:
        for outcome in ("answer", "answer", "suggest", "fallback", "nonsense"):
            await count_question(session.execute, outcome, now)
        await count_question(session.execute, "answer", now - timedelta(days=2))
    async with console_any_app.db.session() as session:
        series = await per_day(session, local_day(now), 3)
    assert series == {"answer": [1, 0, 2], "suggest": [0, 0, 1], "fallback": [0, 0, 1]}


async def test_overview_shows_the_figures_of_the_database(console_app, console_server):
    await add_many(console_app, 9)  # 3 each of office_review, accepted, under_review
    await add_application(console_app, "SD2024-100000", state="office_review")
    await bound_applicant(console_app, "SD2024-100000")
    asker = ChatUser(console_app, user_id="3001")
    await asker.say("评审费多少钱")
    console_app.services.clock.advance(minutes=2)  # a process writes its day counts at most once a minute
    await asker.say("火星上的职称怎么评 13912345678")
    async with console_app.db.session() as session:
        session.add(OutboxMessage(idempotency_key="k1", user_id=None, channel="test", chat_id="1", kind="notice",
                                  payload={"text": "x"}, state="blocked", not_before=console_app.services.clock.now(),
                                  created_at=console_app.services.clock.now()))
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        page = await b.get("/")
    body = page.body_text
    assert page.status == 200 and body.count("<svg") == 2
    assert "共 10 件" in body and "<title>审核受理: 3</title>" in body and "<title>评委会办事机构审核: 4</title>" in body
    assert "合计 2 次" in body  # the two questions asked today
    assert "火星上的职称怎么评" in body and "13912345678" not in body  # stored scrubbed
    blocked = re.search(r'push-blocked"><dt>[^<]+</dt><dd>(\d+)</dd>', body).group(1)
    assert blocked == "1"


async def test_a_process_writes_its_day_counts_once_a_minute_and_loses_none(console_any_app):
    clock = console_any_app.services.clock
    asker = ChatUser(console_any_app, user_id="3002")

    async def answered_today() -> int:
        async with console_any_app.db.session() as session:
            series = await per_day(session, local_day(clock.now()), 1)
        return sum(counts[0] for counts in series.values())

    await asker.say("评审费多少钱")
    assert await answered_today() == 1  # the first question of a process is written at once
    for _ in range(3):
        await asker.say("纸质材料交到哪里")
    assert await answered_today() == 1  # within the minute: kept in memory, no write per question
    clock.advance(seconds=61)
    await asker.say("申报截止时间")
    assert await answered_today() == 5  # the minute is over: all of them, none lost


async def test_tally_writes_a_full_batch_before_the_minute_is_over():
    written: list[dict] = []

    async def run(_statement, values):  # noqa: ANN001, ANN202
        written.append(values)

    tally = DailyTally(batch=3)
    now = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)
    tally.add("answer", now)
    assert tally.due(now)  # the first one
    await tally.flush(run, now)
    assert written == [{"day": local_day(now), "outcome": "answer", "n": 1}] and not tally.due(now)
    tally.add("answer", now)
    tally.add("nonsense", now)
    assert not tally.due(now + timedelta(seconds=5))
    tally.add("fallback", now)
    tally.add("suggest", now)
    assert tally.due(now + timedelta(seconds=5))


def test_charts_scale_escape_and_label():
    assert [charts.nice_top(v) for v in (0, 1, 7, 10, 11, 120, 999)] == [1, 1, 10, 10, 20, 200, 1000]
    assert [charts._ticks(t) for t in (1, 2, 5, 20)] == [[0, 1], [0, 1, 2], [0, 1, 2, 3, 4, 5], [0, 4, 8, 12, 16, 20]]
    bar = str(charts.bar_chart(["<b>", "乙"], [3, 0], "标题"))
    assert "&lt;b&gt;" in bar and "<b>" not in bar and bar.count("<rect") == 2 and 'aria-label="标题"' in bar
    line = str(charts.line_chart(["01", "02", "03"], [charts.Series("直接回答", [0, 5, 10], "#000")], "问"))
    assert 'points="44.0,204.0 290.0,110.0 536.0,16.0"' in line  # 0 on the axis, 10 at the top
    assert "直接回答" in line
