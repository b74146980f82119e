"""The chat page in English in headless Chromium: an English browser gets the English page, the
中文 / English toggle switches the page and the conversation, phone-width screenshots in test-output/."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.test_web_browser import (  # noqa: F401
    LAYOUT_JS,
    OUTPUT,
    PHONE,
    PHONE_CONTEXT,
    ask,
    open_page,
    pytestmark,
    site,
)

__all__ = ["pytestmark", "site"]


async def test_an_english_browser_gets_the_english_page_on_a_phone(browser, site, sqlite_app):  # noqa: F811
    texts = sqlite_app.services.texts
    page = await open_page(browser, site, "en-US", **PHONE_CONTEXT)
    assert await page.evaluate("document.documentElement.lang") == "en"
    await expect(page.locator("#log .msg.bot").first).to_contain_text("Hello! I am 职称助手")
    await expect(page.locator("#menu button")).to_have_text([texts.get(f"menu.{k}", "en") for k in
                                                             ("qa", "eligibility", "status", "reminders", "help")])
    await expect(page.locator("#input")).to_have_attribute("placeholder", texts.get("web.input_placeholder", "en"))
    await expect(page.locator(".langs button[aria-pressed=true]")).to_have_text("English")
    layout = await page.evaluate(LAYOUT_JS)
    assert layout["log"]["height"] >= 0.65 * PHONE["height"], layout
    for button in layout["menu"]:  # every menu button wholly on screen
        assert button["left"] >= 0 and button["right"] <= PHONE["width"] and button["bottom"] <= PHONE["height"], layout
    toggle = await page.locator(".langs").bounding_box()
    assert toggle is not None and toggle["x"] >= 0 and toggle["x"] + toggle["width"] <= PHONE["width"]
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-en-phone-start.png"))
    await ask(page, "/help")
    await expect(page.locator("#log .msg.bot").last).to_contain_text("How to use me")
    await page.screenshot(path=str(OUTPUT / "web-en-phone-help.png"))
    assert page.errors == []


async def test_the_toggle_switches_the_page_and_keeps_the_conversation(browser, site, sqlite_app):  # noqa: F811
    page = await open_page(browser, site, "zh-CN", **PHONE_CONTEXT)
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    await expect(page.locator(".langs button[aria-pressed=true]")).to_have_text("中文")
    await ask(page, "评审费多少钱？")
    await page.locator(".langs button", has_text="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#send")).to_have_text("Send")
    await expect(page.locator("#log .msg.user .text").first).to_have_text("评审费多少钱？")  # kept
    await expect(page.locator("#log .msg.bot").last).to_contain_text("reply in English")
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-en-phone-toggled.png"))
    await page.locator(".langs button", has_text="中文").click()
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.locator("#send")).to_have_text("发送")
    await expect(page.locator("#log .msg.bot").last).to_contain_text("以后我用中文回复您")
    assert page.errors == []


async def test_writing_in_english_turns_the_page_english(browser, site, sqlite_app):  # noqa: F811
    page = await open_page(browser, site, "zh-CN", viewport={"width": 1024, "height": 800})
    await page.fill("#input", "how much is the review fee")
    await page.keyboard.press("Enter")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#log .msg.bot", has_text="You wrote in English")).to_have_count(1)
    await expect(page.locator("#menu button").first).to_have_text("Q&A")
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-en-desktop-switched.png"))
    assert page.errors == []
