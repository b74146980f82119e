"""The console's overview, applications and units pages in headless Chromium, with 1280×800
screenshots in ``test-output/console/``: charts drawn, filters through htmx, an export download,
a state change on the detail page (the applicant's notice queued), invite create and revoke."""

from __future__ import annotations

import csv
import io
import re

from playwright.async_api import expect
from sqlalchemy import select

from bot.outbox.models import OutboxMessage
from bot.status.models import HrContact
from bot.status.service import StatusService
from tests.e2e.test_console_browser import new_page, pytestmark, shot, sign_in  # noqa: F401
from tests.support.console_data import add_application, add_many, bound_applicant
from tests.support.helpers import ChatUser

__all__ = ["pytestmark"]


async def no_overflow(page) -> None:  # noqa: ANN001
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


async def test_overview_draws_both_charts_and_the_figures(browser, console_server, console_app):  # noqa: F811
    await add_many(console_app, 40)
    asker = ChatUser(console_app, user_id="3001")
    for question in ("评审费多少钱", "网上申报截止时间", "火星上的职称怎么评", "申报需要哪些材料"):
        await asker.say(question)
    page = await new_page(browser, console_server)
    await sign_in(page, "chief")
    states = StatusService.of(console_app.services).workflow.data.states
    await expect(page.locator("#overview-states svg.chart rect")).to_have_count(len(states))
    await expect(page.locator("#overview-questions svg.chart polyline")).to_have_count(3)
    await expect(page.locator("#overview-unanswered")).to_contain_text("火星上的职称怎么评")
    box = await page.locator("#overview-states svg.chart").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 120
    await no_overflow(page)
    await page.screenshot(path=shot("overview-charts"), full_page=True)
    assert page.errors == []


async def test_filter_export_and_change_a_state_on_the_detail_page(browser, console_server, console_app):  # noqa: F811
    texts = console_app.services.texts
    await add_many(console_app, 75)
    await add_application(console_app, "SD2024-900001", state="office_review", unit="青岛示例科技有限公司")
    applicant = await bound_applicant(console_app, "SD2024-900001")
    page = await new_page(browser, console_server)
    await sign_in(page, "clerk")
    await page.click(f"nav.side >> text={texts.get('console.nav.applications')}")
    await expect(page.locator("#app-count")).to_contain_text("共 76 件")
    await page.evaluate("window.__samePage = true")
    await page.select_option("select[name=state]", "accepted")  # htmx swaps the table on change
    await expect(page.locator("#app-count")).to_contain_text("共 25 件")
    assert await page.evaluate("window.__samePage === true")
    await expect(page).to_have_url(re.compile(r"state=accepted"))
    await no_overflow(page)
    await page.screenshot(path=shot("applications"))
    async with page.expect_download() as info:
        await page.click("#export-csv")
    download = await info.value
    rows = list(csv.reader(io.StringIO(open(await download.path(), encoding="utf-8-sig").read())))  # noqa: SIM115
    assert len(rows) == 26 and {r[4] for r in rows[1:]} == {"审核受理"}

    await page.goto("/applications?number=SD2024-9000")
    await page.click("#app-table a >> text=SD2024-900001")
    await expect(page.locator("h1")).to_contain_text("SD2024-900001")
    await page.select_option("select[name=target]", "accepted")
    await page.fill("textarea[name=note]", "材料齐全，请按时提交纸质材料")
    await page.screenshot(path=shot("application-detail"))
    await page.click("#change-form button[type=submit]")
    await expect(page.locator("#change-done")).to_contain_text("已排队发送 1 条通知")
    await expect(page.locator("#current-state")).to_have_text("审核受理")
    await expect(page.locator("#history tbody tr").first).to_contain_text("clerk")
    await page.screenshot(path=shot("application-detail-changed"))
    async with console_app.db.session() as session:
        queued = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "status"))).scalars().all()
    assert [(m.chat_id, m.state) for m in queued] == [(applicant.user_id, "pending")]
    assert "材料齐全" in queued[0].payload["text"]
    assert page.errors == []


async def test_create_an_invite_and_revoke_the_contact(browser, console_server, console_app):  # noqa: F811
    await add_application(console_app, "SD2024-000001", unit="青岛示例科技有限公司")
    page = await new_page(browser, console_server)
    await sign_in(page, "clerk")
    await page.goto("/units")
    await page.fill("#invite-form input[name=unit]", "青岛示例科技有限公司")
    await page.click("#invite-form button")
    code = (await page.locator("#invite-code").inner_text()).strip()
    assert re.fullmatch(r"[A-Z0-9]{10}", code)
    await page.screenshot(path=shot("units-invite"))
    hr = ChatUser(console_app, user_id="88001234")
    await hr.say(f"/hr {code}")
    await page.goto("/units")
    await expect(page.locator("#contacts-table tbody tr")).to_have_count(1)
    await expect(page.locator("#contacts-table")).not_to_contain_text("88001234")
    await expect(page.locator("#units-table")).to_contain_text("青岛示例科技有限公司")
    await no_overflow(page)
    await page.screenshot(path=shot("units"))
    page.on("dialog", lambda dialog: dialog.accept())
    await page.click("#contacts-table form.revoke button")
    await expect(page.locator("#units-done")).to_contain_text("已撤销")
    await expect(page.locator("#contacts-table tbody tr")).to_have_count(1)  # the "no contacts" row
    await expect(page.locator("#contacts-table")).to_contain_text("还没有人事联系人")
    async with console_app.db.session() as session:
        assert (await session.execute(select(HrContact))).first() is None
    assert page.errors == []
