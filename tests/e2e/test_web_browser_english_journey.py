"""The English journey in the web chat, in headless Chromium at phone width (390×844) and on a
desktop: the English page, two questions with English source lines, the self-check to a verdict,
binding to an application and its status card. Screenshots of each step go to test-output/web-en/;
nothing on the page may overflow sideways, and every button stays inside its message."""

from __future__ import annotations

import pytest

from bot.core.language import detect_language
from tests.e2e.english import SELF_CHECK_LAST_ANSWER, SELF_CHECK_TO_ENGINEER
from tests.e2e.test_web_browser import (  # noqa: F401
    DESKTOP,
    OUTPUT,
    PHONE_CONTEXT,
    ask,
    last_bot,
    open_page,
    press,
    pytestmark,
)
from tests.support import browser as chromium
from tests.support.browser import expect
from tests.support.helpers import ChatUser, make_app
from tests.support.status_helpers import STAFF_ID, row, send_file, xlsx_bytes

__all__ = ["pytestmark"]

SHOTS = OUTPUT / "web-en"
OVERFLOW_JS = """
() => {
  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  const outside = [...document.querySelectorAll('#log .msg.bot')].flatMap((msg) => {
    const box = msg.getBoundingClientRect();
    return [...msg.querySelectorAll('button')].filter((b) => {
      const r = b.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1 || b.scrollWidth > b.clientWidth + 1;
    }).map((b) => b.textContent);
  });
  return {page, outside};
}
"""


@pytest.fixture
async def staff_app(tmp_path, clock):
    """The bot on SQLite with a staff user who has imported two applications."""
    app = await make_app("sqlite", tmp_path, clock=clock, staff_ids=[f"test:{STAFF_ID}"])
    staff = ChatUser(app, user_id=STAFF_ID)
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000201", "张三明", "123X", state="审核受理")]))
    assert "导入完成" in staff.text
    try:
        async with chromium.web_chat_server(app) as server:
            yield app, server
    finally:
        await app.close()


async def layout_is_clean(page) -> None:
    found = await page.evaluate(OVERFLOW_JS)
    assert found["page"] <= 0 and found["outside"] == [], found


def reads_chinese(text: str) -> bool:
    """A whole message the detector takes for Chinese (an English one may quote glossed names)."""
    return detect_language(text) == "zh"


@pytest.mark.parametrize("context", [PHONE_CONTEXT, {"viewport": DESKTOP}], ids=["phone", "desktop"])
async def test_the_english_journey_in_the_browser(browser, staff_app, context):  # noqa: F811
    app, site = staff_app
    name = "phone" if context is PHONE_CONTEXT else "desktop"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = await open_page(browser, site, "en-US", **context)
    await expect(page.locator("#menu button").first).to_have_text("Q&A")
    await page.screenshot(path=str(SHOTS / f"{name}-1-start.png"))

    await ask(page, "how much is the review fee for engineer")
    await expect(last_bot(page).locator(".text")).to_contain_text("intermediate: 160 yuan")
    await expect(last_bot(page).locator(".source")).to_contain_text("West Coast New Area")
    spoken = await last_bot(page).locator(".source").text_content()
    assert spoken.startswith("Source") and "依据" not in spoken and spoken.count("Source") == 1, spoken
    await ask(page, "when is the online application deadline")
    await expect(last_bot(page)).to_contain_text("takes online applications up to 30 August 2024")
    await layout_is_clean(page)
    await page.screenshot(path=str(SHOTS / f"{name}-2-questions.png"))

    await press(page, "Eligibility", "#menu")
    for answer in SELF_CHECK_TO_ENGINEER:
        if answer.isdigit():
            await ask(page, answer)
        else:
            await press(page, answer)
    await press(page, SELF_CHECK_LAST_ANSWER)
    verdict = page.locator("#log .msg.bot", has_text="From your answers, you can apply for")
    await expect(verdict).to_contain_text("Engineer (工程师)")
    await expect(verdict).to_contain_text("(the New Area's intermediate review committee")
    await expect(page.locator("#log .msg.bot").last).to_contain_text("This result is a guide only")
    await layout_is_clean(page)
    await verdict.scroll_into_view_if_needed()
    await page.screenshot(path=str(SHOTS / f"{name}-3-verdict.png"))

    await ask(page, "/bind SD2024-000201")
    await expect(last_bot(page)).to_contain_text("last four characters")
    await ask(page, "123x")
    card = page.locator("#log .msg.bot", has_text="Current status: Accepted")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("(Room 401, Building 2, Citizen Service Center")  # the address glossed
    await layout_is_clean(page)
    await page.screenshot(path=str(SHOTS / f"{name}-4-status.png"))

    for text in await page.locator("#log .msg.bot").all_text_contents():
        assert not reads_chinese(text), text
    assert page.errors == []
