"""The chat page on a phone (touch, narrow screen) in headless Chromium: what a person typing on a
phone would lose or misread — a refused message, a long paste, a long answer, a tapped button, their
own text size.

The server is the real aiohttp application on 127.0.0.1 over a fresh database (as in
``test_web_browser.py``); the rate-limit tests give it a small limit of their own.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from bot.core.conversation import MAX_TEXT_LENGTH
from bot.paths import PROJECT_ROOT
from tests.support import browser as chromium
from tests.support.browser import expect

pytestmark = chromium.NEEDS_CHROMIUM

OUTPUT = PROJECT_ROOT / "test-output"

PHONE = {"width": 375, "height": 667}
PHONE_CONTEXT = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
#: a phone whose conversation window is shorter than a full answer with its source and buttons
SHORT_PHONE = {"viewport": {"width": 320, "height": 400}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@asynccontextmanager
async def chat_server(app, **config):  # noqa: ANN001, ANN003, ANN202
    from aiohttp.test_utils import TestServer

    from bot.channels.web.server import WebConfig, create_app

    server = TestServer(create_app(app, WebConfig(**config)), host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def site(sqlite_app):
    async with chromium.web_chat_server(sqlite_app) as server:
        yield server


async def open_page(browser, site, context=PHONE_CONTEXT, expected_error=None):  # noqa: ANN001, ANN201, B006
    page = await chromium.new_page(browser, "zh-CN", expected_error=expected_error, **context)
    await page.goto(str(site.make_url("/")))
    await expect(page.locator("#log .msg").first).to_be_visible()
    return page


async def ask(page, text: str) -> None:  # noqa: ANN001
    before = await page.locator("#log .msg.bot").count()
    await page.fill("#input", text)
    await page.keyboard.press("Enter")
    await expect(page.locator("#log .msg.bot")).not_to_have_count(before, timeout=15000)
    await expect(page.locator("#typing")).to_be_hidden(timeout=15000)


BOXES_JS = """
() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; };
  const bots = document.querySelectorAll('#log .msg.bot');
  const users = document.querySelectorAll('#log .msg.user');
  return {log: box(document.getElementById('log')), reply: box(bots[bots.length - 1]),
          user: users.length ? box(users[users.length - 1]) : null};
}
"""


async def test_a_message_refused_for_sending_too_fast_is_sent_once_the_wait_is_over(browser, sqlite_app):
    # one message at once, the next a second later: a person typing quickly meets the limit
    async with chat_server(sqlite_app, session_burst=1, session_per_minute=60) as server:
        page = await open_page(browser, server, expected_error="429")
        await ask(page, "评审费多少钱？")
        await ask(page, "纸质表交到哪？")  # refused with Retry-After: 1, then sent again
        await expect(page.locator("#log .msg.user .text")).to_have_text(["评审费多少钱？", "纸质表交到哪？"])
        await expect(page.locator("#log .msg.error")).to_have_count(0)
        await expect(page.locator("#input")).to_have_value("")
        await expect(page.locator("#status")).to_be_empty()
        OUTPUT.mkdir(exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "web-phone-rate-waited.png"))
        assert page.errors == []


async def test_a_refused_message_goes_back_into_the_box(browser, sqlite_app):
    # a limit the page does not wait out (minutes): the refusal is shown and the typed text is kept
    async with chat_server(sqlite_app, session_burst=1, session_per_minute=0.2) as server:
        page = await open_page(browser, server, expected_error="429")
        await ask(page, "评审费多少钱？")
        question = "我2016年本科毕业，2020年取得助理工程师，一直做工业互联网平台开发，今年能申报工程师吗？"
        await page.fill("#input", question)
        await page.keyboard.press("Enter")
        refusal = page.locator("#log .msg.error")
        await expect(refusal).to_have_count(1, timeout=15000)
        await expect(refusal).to_contain_text(sqlite_app.services.texts.get("web.rate_limited", seconds=300)[:6])
        await expect(page.locator("#input")).to_have_value(question)  # nothing to type again
        await expect(page.locator("#log .msg.user .text")).to_have_text(["评审费多少钱？"])
        # trying again replaces the earlier refusal instead of stacking a second one below it
        await page.keyboard.press("Enter")
        await expect(page.locator("#typing")).to_be_hidden(timeout=15000)
        await expect(refusal).to_have_count(1)
        await expect(page.locator("#input")).to_have_value(question)


async def test_a_paste_over_the_limit_stays_whole_and_is_not_sent_cut(browser, site, sqlite_app):
    page = await open_page(browser, site)
    pasted = "请问申报材料" * (MAX_TEXT_LENGTH // 3)  # twice the limit
    await page.fill("#input", pasted)
    # the box keeps all of it (no silent cut at the limit) and says at once that it is too long
    assert len(await page.input_value("#input")) == len(pasted)
    too_long = sqlite_app.services.texts.get("web.too_long", limit=MAX_TEXT_LENGTH)
    await expect(page.locator("#status")).to_have_text(too_long)
    await expect(page.locator("#input")).to_have_attribute("aria-invalid", "true")
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(300)
    await expect(page.locator("#log .msg.user")).to_have_count(0)  # nothing was sent
    assert await page.input_value("#input") == pasted
    # shortened to the limit, the warning goes and the text can be sent
    await page.fill("#input", pasted[:MAX_TEXT_LENGTH])
    await expect(page.locator("#status")).to_be_empty()
    await expect(page.locator("#input")).to_have_attribute("aria-invalid", "false")
    assert page.errors == []


async def test_emoji_count_as_one_character_each_as_the_server_counts_them(browser, site):
    page = await open_page(browser, site)
    smiles = "😀" * (MAX_TEXT_LENGTH - 100)  # within the limit, though twice as many UTF-16 units
    await ask(page, smiles)
    await expect(page.locator("#log .msg.user .text").last).to_have_text(smiles)
    await expect(page.locator("#status")).to_be_empty()
    assert page.errors == []


async def test_a_long_answer_on_a_short_phone_screen_is_shown_from_its_beginning(browser, site):
    page = await open_page(browser, site, SHORT_PHONE)
    await ask(page, "评审费多少钱？")
    boxes = await page.evaluate(BOXES_JS)
    log, reply = boxes["log"], boxes["reply"]
    assert reply["bottom"] - reply["top"] > log["bottom"] - log["top"], boxes  # taller than the window
    # the answer's first line is in view (not its end with the beginning scrolled away)
    assert log["top"] - 1 <= reply["top"] < log["top"] + 60, boxes
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-phone-long-answer.png"))
    # a reply that fits still leaves the conversation at its end
    await page.set_viewport_size(PHONE)
    await ask(page, "/cancel")
    boxes = await page.evaluate(BOXES_JS)
    assert boxes["reply"]["bottom"] <= boxes["log"]["bottom"] + 1, boxes
    assert page.errors == []


async def test_the_pending_message_stays_in_view_while_the_connection_is_down(browser, site):
    page = await open_page(browser, site, SHORT_PHONE, expected_error="ERR_")
    await ask(page, "你好")
    await page.route("**/api/message", lambda route: route.abort("connectionreset"))
    await page.fill("#input", "网上申报什么时候截止？")
    await page.keyboard.press("Enter")
    await expect(page.locator("#status")).not_to_be_empty()  # reconnecting…
    await page.wait_for_timeout(200)
    boxes = await page.evaluate(BOXES_JS)
    # the status line and the typing indicator took room below the conversation: the bubble the
    # user just sent is still wholly visible, not cut off at the bottom
    assert boxes["user"]["bottom"] <= boxes["log"]["bottom"] + 1, boxes
    await page.unroute("**/api/message")


async def test_a_tapped_button_does_not_stay_filled_as_if_chosen(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site)
    # on a touch screen the tapped spot keeps :hover until the next tap elsewhere; a hover colour
    # would leave the tapped menu entry (or the answer that takes a tapped answer's place in the
    # next question) filled, looking selected
    entry = page.locator("#menu").get_by_role("button", name=texts.get("menu.help"), exact=True)
    await entry.tap()
    await expect(page.locator("#typing")).to_be_hidden()
    await page.wait_for_timeout(100)
    style = "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, b.matches(':hover')]"
    tapped = await entry.evaluate(style)
    other = await page.locator("#menu button").first.evaluate(style)
    assert tapped[2], "the tapped button is still :hover, as on a phone"
    assert tapped[:2] == other[:2], (tapped, other)
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-phone-no-sticky-hover.png"))


async def test_the_readers_own_text_size_is_used(browser, site):
    page = await open_page(browser, site)
    cdp = await page.context.new_cdp_session(page)
    # the browser's text size setting (Chromium: Settings → Appearance → Font size "Very large")
    await cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 24, "fixed": 20}})
    await page.reload()
    await expect(page.locator("#log .msg").first).to_be_visible()
    size = await page.evaluate("getComputedStyle(document.querySelector('#log .msg .text')).fontSize")
    assert size == "24px"
    # and the layout still keeps the composer on screen and nothing runs off sideways
    await expect(page.locator("#input")).to_be_in_viewport()
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


async def test_the_open_keyboard_shrinks_the_page_instead_of_covering_the_input(browser, site):
    page = await open_page(browser, site)
    viewport = await page.get_attribute("meta[name=viewport]", "content")
    # Chrome on Android resizes the page for the on-screen keyboard only when asked to
    assert "interactive-widget=resizes-content" in viewport
    await ask(page, "评审费多少钱？")
    await page.focus("#input")
    await page.set_viewport_size({"width": PHONE["width"], "height": 330})  # the keyboard took the rest
    await expect(page.locator("#input")).to_be_in_viewport()
    await expect(page.locator("#log .msg.bot").last.locator(".buttons")).to_be_in_viewport()


async def test_two_tabs_of_one_browser_show_the_same_conversation(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    first = await open_page(browser, site)
    second = await first.context.new_page()  # the same browser: the same session cookie
    await second.goto(str(site.make_url("/")))
    await expect(second.locator("#log .msg").first).to_be_visible()
    await ask(first, "评审费多少钱？")
    # the other tab shows the question and its answer without a reload
    await expect(second.locator("#log .msg.user .text")).to_have_text(["评审费多少钱？"])
    answer = await first.locator("#log .msg.bot .text").last.text_content()
    await expect(second.locator("#log .msg.bot .text").last).to_have_text(answer)
    # and a dialog started there goes on here with live buttons
    await second.locator("#menu").get_by_role("button", name=texts.get("menu.eligibility"), exact=True).tap()
    await expect(second.locator("#typing")).to_be_hidden()
    await expect(first.locator("#log .msg.user .text")).to_have_text(["评审费多少钱？", texts.get("menu.eligibility")])
    question = await second.locator("#log .msg.bot .text").last.text_content()
    await expect(first.locator("#log .msg.bot .text").last).to_have_text(question)
    await expect(first.locator("#log .msg.bot").last.locator(".buttons button").first).to_be_enabled()
    assert first.errors == []


async def test_a_browser_that_blocks_cookies_is_told_what_to_do(browser, site):
    page = await chromium.new_page(browser, "zh-CN", **PHONE_CONTEXT)
    # as a browser with cookies blocked reports itself to the page's script
    await page.add_init_script("Object.defineProperty(navigator, 'cookieEnabled', {get: () => false})")
    await page.goto(str(site.make_url("/")))
    notice = page.locator("#cookies-off")
    await expect(notice).to_be_visible()
    assert "Cookie" in await notice.inner_text() and "0532-85161632" in await notice.inner_text()
    normal = await open_page(browser, site)
    await expect(normal.locator("#cookies-off")).to_be_hidden()
