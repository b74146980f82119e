"""The chat page in headless Chromium (Debian's ``chromium``, driven by Playwright, never downloaded).

The server is the real aiohttp application on 127.0.0.1, in the test's event loop, over a fresh
database; the browser talks to it over HTTP like any visitor. ``scripts/setup.sh`` installs Chromium;
these tests skip, saying why, only where it could not be installed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.paths import PROJECT_ROOT
from bot.storage.models import DialogState, User
from tests.support import browser as chromium
from tests.support.browser import expect
from tests.support.helpers import ChatUser, make_app
from tests.support.kb_fixtures import RELATED, make_content_root, write_knowledge

OUTPUT = PROJECT_ROOT / "test-output"

pytestmark = chromium.NEEDS_CHROMIUM


@pytest.fixture
async def site(sqlite_app):
    async with chromium.web_chat_server(sqlite_app) as server:
        yield server


async def open_page(browser, site, locale: str = "zh-CN", **context_options):  # noqa: ANN001, ANN201
    """The chat page in a browser whose language is ``locale`` (Chromium sends it as
    Accept-Language), once the greeting is shown."""
    page = await chromium.new_page(browser, locale, **context_options)
    await page.goto(str(site.make_url("/")))
    await expect(page.locator("#log .msg").first).to_be_visible()
    return page


def last_bot(page):
    return page.locator("#log .msg.bot").last


async def ask(page, text: str) -> None:
    before = await page.locator("#log .msg.bot").count()
    await page.fill("#input", text)
    await page.keyboard.press("Enter")
    await expect(page.locator("#log .msg.bot")).not_to_have_count(before)
    await expect(page.locator("#typing")).to_be_hidden()


async def press(page, label: str, where: str = "#log .msg.bot >> nth=-1") -> None:
    """Press a button by its label in the newest bot message (or in ``where``)."""
    await page.locator(where).get_by_role("button", name=label, exact=True).first.click()
    await expect(page.locator("#typing")).to_be_hidden()


async def test_ask_a_question_and_see_the_answer_with_its_source(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site, viewport={"width": 1024, "height": 800})
    await press(page, texts.get("menu.qa"), "#menu")
    await expect(last_bot(page)).to_contain_text(texts.get("qa.prompt").splitlines()[0])
    await ask(page, "评审费多少钱？")
    answer = last_bot(page)
    core_reply = (await ChatUser(sqlite_app, "9", channel="test").say("评审费多少钱？"))[-1].text
    if "来源" in core_reply:  # the knowledge base answers (else: its honest fallback)
        await expect(answer.locator(".text")).to_contain_text("360元")
        await expect(answer.locator(".source")).to_contain_text("来源")
        await expect(answer.locator(".source")).to_contain_text("三(五)2")
        # what a screen reader reads too: the line names itself once, with no label before it
        spoken = await answer.locator(".source").text_content()
        assert spoken.startswith("来源") and spoken.count("来源") == 1, spoken
    else:  # the knowledge base is not there: the honest fallback with the office's phone
        await expect(answer).to_contain_text(sqlite_app.services.office.phone)
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-answer.png"))
    await page.set_viewport_size({"width": 375, "height": 740})
    await answer.scroll_into_view_if_needed()
    await page.screenshot(path=str(OUTPUT / "web-answer-mobile.png"))
    # nothing overflows sideways on a narrow phone screen
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert page.errors == []


async def test_a_script_message_is_shown_as_text(browser, site):
    page = await open_page(browser, site)
    attack = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    await ask(page, attack)
    await expect(page.locator("#log .msg.user .text").last).to_have_text(attack)
    assert await page.evaluate("window.__pwned === undefined")
    assert await page.locator("#log img, #log script").count() == 0
    await page.reload()
    await expect(page.locator("#log .msg.user .text").last).to_have_text(attack)
    assert await page.evaluate("window.__pwned === undefined")


async def test_reload_in_the_middle_of_a_dialog_and_continue(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site)
    await ask(page, "/forget")  # a dialog every build has: the confirmation waits for a button
    await expect(last_bot(page)).to_contain_text(texts.get("forget.confirm"))
    await page.reload()
    await expect(last_bot(page)).to_contain_text(texts.get("forget.confirm"))
    await press(page, texts.get("forget.cancel_button"))
    await expect(last_bot(page)).to_contain_text(texts.get("forget.kept"))
    assert await page.locator("#log .msg.user").count() >= 1  # history restored from the server


async def test_reconnect_after_a_dropped_connection_keeps_the_conversation(browser, site, sqlite_app):
    page = await open_page(browser, site)
    await ask(page, "你好")
    dropped = {"n": 0}

    async def flaky(route):
        if dropped["n"] < 2:
            dropped["n"] += 1
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route("**/api/message", flaky)
    await page.fill("#input", "网上申报什么时候截止？")
    await page.keyboard.press("Enter")
    await expect(page.locator("#status")).to_contain_text("重新连接")
    await expect(page.locator("#typing")).to_be_visible()  # still waiting for the answer
    await expect(page.locator("#log .msg.user .text").last).to_have_text("网上申报什么时候截止？", timeout=15000)
    await expect(page.locator("#typing")).to_be_hidden(timeout=15000)
    assert dropped["n"] == 2
    await page.unroute("**/api/message")
    await page.reload()
    # once each, in order: the retries were not handled twice
    await expect(page.locator("#log .msg.user .text")).to_have_text(["你好", "网上申报什么时候截止？"])


async def test_keyboard_only_use_and_screen_reader_labels(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site)
    log = page.locator("#log")
    assert await log.get_attribute("aria-live") == "polite" and await log.get_attribute("role") == "log"
    assert await page.locator("label[for=input]").count() == 1
    assert await page.locator("#menu").get_attribute("aria-label") == texts.get("web.menu_label")
    # Tab through the page until the menu's 问答 button has focus, then press it with Enter
    for _ in range(40):
        await page.keyboard.press("Tab")
        label = await page.evaluate("document.activeElement && document.activeElement.textContent")
        inside_menu = await page.evaluate("!!document.activeElement.closest('#menu')")
        if inside_menu and label == texts.get("menu.qa"):
            break
    else:
        pytest.fail("the menu cannot be reached with the Tab key")
    await page.keyboard.press("Enter")
    await expect(last_bot(page)).to_contain_text(texts.get("qa.prompt").splitlines()[0])
    await page.focus("#input")
    await page.keyboard.type("纸质材料寄到哪里")
    await page.keyboard.press("Enter")
    await expect(page.locator("#log .msg.user .text").last).to_have_text("纸质材料寄到哪里")
    assert await page.evaluate("document.activeElement.id") == "input"


CONTRAST_JS = """
() => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
                         if (!c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; } return 'rgb(255,255,255)'; };
  const out = [];
  for (const el of document.querySelectorAll('.msg .text, .msg .source, .msg .who:not(.sr-only), .buttons button, #menu button, #send, .top h1, .top .subtitle, .langs button, .foot p, #input')) {
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(bg(el)));
    out.push([el.className || el.tagName, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]);
  }
  return out;
}
"""


async def test_text_contrast_passes_wcag_aa(browser, site):
    page = await open_page(browser, site)
    await ask(page, "评审费多少钱？")
    ratios = await page.evaluate(CONTRAST_JS)
    assert len(ratios) > 10
    low = [(name, round(ratio, 2)) for name, ratio in ratios if ratio < 4.5]
    assert low == []


async def test_eligibility_dialog_runs_to_a_verdict_by_pressing_buttons(browser, site, sqlite_app):
    """Pressing buttons only (typing a number where a step asks for one) reaches the verdict."""
    conversation = sqlite_app.conversation
    assert conversation.menu_action("eligibility") is not None, "the eligibility feature is registered"
    texts = sqlite_app.services.texts
    preferred = [texts.get(k) for k in (
        "eligibility.opt.person_type.employee", "eligibility.opt.scope.qingdao", "eligibility.opt.origin.mainland",
        "eligibility.opt.education.bachelor", "eligibility.opt.current_title.intermediate",
    ) if texts.has(k)]
    page = await open_page(browser, site)
    await press(page, texts.get("menu.eligibility"), "#menu")
    reloaded = False
    for step in range(20):
        async with sqlite_app.db.session() as s:
            user = (await s.execute(select(User).where(User.channel == "web"))).scalar_one()
            state = await s.get(DialogState, user.id)
        if state is None:
            break
        if step == 2 and not reloaded:  # reload in the middle: the same question comes back
            question = await last_bot(page).locator(".text").text_content()
            await page.reload()
            await expect(last_bot(page).locator(".text")).to_have_text(question or "")
            reloaded = True
        buttons = last_bot(page).locator(".buttons button")
        labels = await buttons.all_text_contents()
        choice = next((label for label in preferred if label in labels), None)
        answers = [label for label in labels if not any(w in label for w in ("上一步", "重新开始", "退出", "帮助"))]
        if choice or answers:
            await press(page, choice or answers[0])
        else:
            await ask(page, "6")
    else:
        pytest.fail("the eligibility dialog did not end within 20 steps")
    assert reloaded
    verdict = "\n".join((await page.locator("#log .msg.bot").all_text_contents())[-3:])
    footer = texts.get("eligibility.verdict.footer").split("。")[0]
    headlines = [texts.get(f"eligibility.verdict.{k}").split("{")[0] for k in
                 ("headline_yes", "headline_conditional", "headline_no", "excluded")]
    assert footer in verdict and any(h in verdict for h in headlines), verdict[-500:]
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-eligibility.png"))


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PHONE_CONTEXT = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

LAYOUT_JS = """
() => {
  const box = (sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                         return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; };
  const log = document.getElementById('log');
  return {
    pageHeight: document.scrollingElement.scrollHeight, windowHeight: window.innerHeight,
    scrollY: window.scrollY, header: box('.top'), composer: box('#composer'), log: box('#log'),
    logScrolls: log.scrollHeight > log.clientHeight + 10,
    menu: [...document.querySelectorAll('#menu button')].map((b) => { const r = b.getBoundingClientRect();
            return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }),
  };
}
"""


async def fill_the_log(page, rounds: int) -> None:
    """``rounds`` questions whose answers carry a source line (each round adds two messages)."""
    for _ in range(rounds):
        await ask(page, "评审费多少钱？")


@pytest.mark.parametrize("context", [{"viewport": DESKTOP}, PHONE_CONTEXT], ids=["desktop", "phone"])
async def test_only_the_message_list_scrolls_after_a_long_conversation(browser, site, context):
    page = await open_page(browser, site, **context)
    await fill_the_log(page, 16)
    await page.mouse.move(context["viewport"]["width"] / 2, context["viewport"]["height"] / 2)
    for _ in range(3):  # three swipes or wheel turns over the conversation
        await page.mouse.wheel(0, 1500)
    await page.evaluate("window.scrollTo(0, 100000)")
    layout = await page.evaluate(LAYOUT_JS)
    assert layout["pageHeight"] <= layout["windowHeight"], layout
    assert layout["scrollY"] == 0
    assert layout["logScrolls"]
    assert layout["header"]["top"] >= 0
    assert layout["composer"]["bottom"] <= layout["windowHeight"] + 0.5
    await expect(page.locator("#input")).to_be_in_viewport()
    name = "desktop" if context["viewport"] == DESKTOP else "phone"
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / f"web-long-{name}.png"))
    assert page.errors == []


async def test_a_pressed_menu_button_is_shown_by_its_label_after_a_reload(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site)
    await press(page, texts.get("menu.help"), "#menu")
    await expect(page.locator("#log .msg.user .text").last).to_have_text(texts.get("menu.help"))
    await page.reload()
    await expect(page.locator("#log .msg.bot").first).to_be_visible()
    bubbles = page.locator("#log .msg.user")
    await expect(bubbles).to_have_count(1)
    await expect(bubbles.locator(".text")).to_have_text([texts.get("menu.help")])


async def test_phone_view_leaves_the_room_to_the_conversation(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site, **PHONE_CONTEXT)
    layout = await page.evaluate(LAYOUT_JS)
    # the conversation gets at least 70 % of the height (header, menu, input and footer the rest)
    assert layout["log"]["height"] >= 0.7 * PHONE["height"], layout
    # every menu button is wholly on screen, no hidden fifth button
    assert len(layout["menu"]) == 5
    for button in layout["menu"]:
        assert button["left"] >= 0 and button["right"] <= PHONE["width"], layout["menu"]
        assert button["bottom"] <= PHONE["height"]
    # the greeting does not repeat the menu strip right below it
    greeting = page.locator("#log .msg.bot").first
    await expect(greeting).to_contain_text(texts.get("start.welcome").splitlines()[0])
    assert await greeting.locator("button").count() == 0
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-phone-start.png"))
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(OUTPUT / "web-desktop-start.png"))
    assert page.errors == []


async def test_after_exit_the_old_buttons_are_disabled_and_the_menu_is_pointed_at(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    if sqlite_app.conversation.menu_action("eligibility") is None:
        pytest.skip("the eligibility feature is not registered")
    page = await open_page(browser, site, **PHONE_CONTEXT)
    await press(page, texts.get("menu.eligibility"), "#menu")
    question = last_bot(page)
    await expect(question.locator(".buttons button").first).to_be_enabled()
    await press(page, texts.get("dialog_engine.nav_exit"))
    await expect(last_bot(page)).to_contain_text(texts.get("dialog_engine.exited").split("“")[0])
    assert "/menu" not in (await last_bot(page).text_content() or "")
    old = page.locator("#log .buttons button")
    assert await old.count() > 0
    for button in await old.all():
        await expect(button).to_be_disabled()
    for button in await page.locator("#menu button").all():
        await expect(button).to_be_enabled()
    assert await page.evaluate("document.activeElement.id") == "log"  # focus not lost on a spent button
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-phone-after-exit.png"))
    # the same after a reload: the history comes back with the old buttons still greyed out
    await page.reload()
    await expect(last_bot(page)).to_contain_text(texts.get("dialog_engine.exited").split("“")[0])
    for button in await page.locator("#log .buttons button").all():
        await expect(button).to_be_disabled()
    # and a live dialog's current question still answers
    await press(page, texts.get("menu.eligibility"), "#menu")
    await expect(last_bot(page).locator(".buttons button").first).to_be_enabled()


@pytest.fixture
async def related_app(tmp_path, monkeypatch, clock):
    """The bot over the fixture knowledge base with related topics under a fallback switched on."""
    root = make_content_root(tmp_path / "content")
    write_knowledge(root, matcher=RELATED)
    monkeypatch.setenv("CONTENT_DIR", str(root))
    app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        async with chromium.web_chat_server(app) as server:
            yield app, server
    finally:
        await app.close()


async def test_a_fallback_offers_related_topics_as_buttons_on_a_phone(browser, related_app):
    app, server = related_app
    page = await open_page(browser, server, **PHONE_CONTEXT)
    await press(page, app.services.texts.get("menu.qa"), "#menu")
    await ask(page, "我想问一下交钱的事情")
    shown = last_bot(page)
    await expect(shown).to_contain_text("这个问题我没有找到确切的答案")
    await expect(shown).to_contain_text(app.services.office.phone)
    await expect(shown.get_by_role("button", name="评审费怎么交？", exact=True)).to_be_visible()
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-related-phone.png"))
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await press(page, "评审费怎么交？")
    await expect(last_bot(page)).to_contain_text("扫描二维码")
    assert page.errors == []


async def test_a_question_about_the_assistant_points_to_its_feature_on_a_phone(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site, **PHONE_CONTEXT)
    await ask(page, "能提醒我交纸质表吗")
    shown = last_bot(page)
    await expect(shown).to_contain_text(texts.get("knowledge.assistant.reminders")[:12])
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-assistant-question-phone.png"))
    await press(page, texts.get("menu.reminders"))
    await expect(last_bot(page)).to_contain_text(texts.get("reminders.subscribe.header"))
    assert page.errors == []


async def test_a_personal_circumstance_gets_the_conditions_and_the_self_check_on_a_phone(browser, site, sqlite_app):
    texts = sqlite_app.services.texts
    page = await open_page(browser, site, **PHONE_CONTEXT)
    await ask(page, "休产假期间还能申报吗")
    shown = last_bot(page)
    await expect(shown).to_contain_text("「产假」")
    await expect(shown).not_to_contain_text("不在我能解答的范围")
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-situation-phone.png"))
    await press(page, texts.get("menu.eligibility"))
    await expect(last_bot(page)).to_contain_text("第1题")
    assert page.errors == []


async def test_links_e_mail_and_the_phone_in_an_answer_can_be_tapped_on_a_phone(browser, site, sqlite_app):
    """The platform's address opens in a new tab, safely; the office's phone and e-mail start a call
    or a message. A link the user typed stays text."""
    page = await open_page(browser, site, **PHONE_CONTEXT)
    await ask(page, "职称申报系统网址是多少")
    answer = last_bot(page)
    link = answer.locator(".text a[href^='https://']").first
    await expect(link).to_have_text("https://117.73.253.239:9000/sdzc-web-ui/business/login/login.html")
    assert await link.get_attribute("rel") == "noopener noreferrer" and await link.get_attribute("target") == "_blank"
    await ask(page, "今天天气怎么样")  # the fallback gives the office's contacts
    office = sqlite_app.services.office
    fallback = last_bot(page)
    await expect(fallback.locator(f"a[href='tel:{office.phone.replace('-', '')}']")).to_have_text(office.phone)
    await expect(fallback.locator(f"a[href='mailto:{office.email}']")).to_have_text(office.email)
    await ask(page, "http://example.com 是什么")
    assert await page.locator("#log .msg.user .text a").count() == 0
    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "web-links-phone.png"))
    assert page.errors == []
