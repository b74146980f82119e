"""The staff console in headless Chromium (Debian's ``chromium`` driven by Playwright, as the web
chat's browser tests): sign-in, the growing delay without enumeration, roles, CSRF, sign-out and the
back button. Screenshots at 1280×800 go to ``test-output/console/``.
"""

from __future__ import annotations

from bot.console import accounts
from bot.paths import PROJECT_ROOT
from tests.support import browser as chromium
from tests.support.browser import expect
from tests.support.console_fixtures import PASSWORD

OUTPUT = PROJECT_ROOT / "test-output" / "console"
VIEWPORT = {"width": 1280, "height": 800}

pytestmark = chromium.NEEDS_CHROMIUM


async def new_page(browser, server):  # noqa: ANN001, ANN201
    """A 1280×800 page on the console (4xx pages some tests ask for are not errors)."""
    return await chromium.new_page(browser, expected_error="status of 4", viewport=VIEWPORT,
                                   base_url=str(server.make_url("/")))


async def sign_in(page, login: str, password: str = PASSWORD) -> None:
    await page.goto("/signin")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", password)
    await page.click("form[action='/signin'] button[type=submit]")


def shot(name: str) -> str:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return str(OUTPUT / f"{name}.png")


async def test_sign_in_and_find_the_navigation(browser, console_server, console_app):
    texts = console_app.services.texts
    page = await new_page(browser, console_server)
    await page.goto("/")
    await expect(page).to_have_url(str(console_server.make_url("/signin")))
    await page.screenshot(path=shot("signin"))
    await sign_in(page, "chief")
    await expect(page.locator("main h1")).to_have_text(texts.get("console.nav.overview"))
    await expect(page.locator("header .who")).to_contain_text("chief")
    for key in ("overview", "applications", "import", "broadcast", "knowledge", "units", "audit", "accounts"):
        await expect(page.locator("nav.side")).to_contain_text(texts.get(f"console.nav.{key}"))
    await page.screenshot(path=shot("overview"))
    await page.click(f"nav.side >> text={texts.get('console.nav.units')}")
    await expect(page.locator("main h1")).to_have_text(texts.get("console.nav.units"))
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert page.errors == []


async def test_five_wrong_passwords_slow_down_and_an_unknown_login_looks_the_same(browser, console_server, console_app):
    texts = console_app.services.texts
    page = await new_page(browser, console_server)
    seen: dict[str, list[str]] = {}
    for login in ("clerk", "nosuchperson"):
        seen[login] = []
        for _ in range(6):
            await sign_in(page, login, "wrong-password-123")
            seen[login].append(await page.locator("#signin-error").inner_text())
    failed, slow = texts.get("console.signin.failed"), texts.get("console.signin.slow_down", seconds=30)
    assert seen["clerk"] == seen["nosuchperson"] == [failed] * 5 + [slow]
    # slowed down even with the right password, until the delay has passed
    await sign_in(page, "clerk")
    await expect(page.locator("#signin-error")).to_have_text(slow)
    assert page.errors == []


async def test_staff_cannot_open_account_management(browser, console_server, console_app):
    texts = console_app.services.texts
    page = await new_page(browser, console_server)
    await sign_in(page, "clerk")
    await expect(page.locator("header .who")).to_contain_text("clerk")
    await expect(page.locator("nav.side")).not_to_contain_text(texts.get("console.nav.accounts"))
    response = await page.goto("/accounts")
    assert response.status == 403
    await expect(page.locator("#error-message")).to_have_text(texts.get("console.error.admin_only"))
    await expect(page.locator("table")).to_have_count(0)


async def test_a_request_without_the_csrf_token_is_refused_and_htmx_sends_it(browser, console_server, console_app):
    texts = console_app.services.texts
    page = await new_page(browser, console_server)
    await sign_in(page, "chief")
    await page.goto("/accounts")
    status = await page.evaluate(
        """async () => (await fetch('/accounts/add', {method: 'POST',
             body: new URLSearchParams({login: 'intruder', role: 'admin'})})).status""")
    assert status == 403
    async with console_app.db.session() as session:
        assert await accounts.find(session, "intruder") is None
    # the page's own forms carry the token: add an account, the setup link is shown once
    await page.fill("input[name=login]", "newcomer")
    await page.click("form[action='/accounts/add'] button")
    await expect(page.locator("#setup-link code")).to_contain_text("/setup/")
    await page.screenshot(path=shot("accounts"))
    # disabling goes through htmx (the X-CSRF-Token header from console.js) and swaps the table
    page.on("dialog", lambda dialog: dialog.accept())
    await page.evaluate("window.__samePage = true")
    await page.locator("tr[data-login=clerk] form[hx-post] button").click()
    await expect(page.locator("#accounts-message")).to_have_text(
        texts.get("console.accounts.disabled_done", login="clerk"))
    await expect(page.locator("tr[data-login=clerk]")).to_contain_text(texts.get("console.accounts.state_disabled"))
    assert await page.evaluate("window.__samePage === true")  # a partial update, not a page load
    async with console_app.db.session() as session:
        assert (await accounts.find(session, "clerk")).disabled
    await page.goto("/audit")
    await expect(page.locator("#audit-rows")).to_contain_text(texts.get("console.action.account_disable"))
    await expect(page.locator("#audit-rows")).to_contain_text("127.0.0.x")
    await page.screenshot(path=shot("audit"))
    assert page.errors == []


async def test_after_sign_out_the_back_button_shows_nothing(browser, console_server, console_app):
    texts = console_app.services.texts
    page = await new_page(browser, console_server)
    await sign_in(page, "chief")
    await page.goto("/audit")
    await expect(page.locator("#audit-rows")).to_contain_text(texts.get("console.action.sign_in"))
    await page.click("form.signout button")
    await expect(page.locator("main h1")).to_have_text(texts.get("console.signin.title"))
    await page.go_back()
    await expect(page.locator("main h1")).to_have_text(texts.get("console.signin.title"))
    await expect(page.locator("#audit-rows")).to_have_count(0)
    assert "chief" not in await page.content()  # nothing of the signed-in pages is shown again
    assert page.errors == []


async def test_choose_a_password_through_the_setup_link(browser, console_server, console_app):
    from tests.support.console_fixtures import add_account

    texts = console_app.services.texts
    token = await add_account(console_app, "newcomer", "staff", password=None)
    page = await new_page(browser, console_server)
    await page.goto(f"/setup/{token}")
    await page.fill("input[name=password]", "qwertyuiop123")
    await page.fill("input[name=repeat]", "qwertyuiop123")
    await page.click("form button[type=submit]")
    await expect(page.locator("#setup-error")).to_have_text(texts.get("console.password.too_common"))
    await page.screenshot(path=shot("setup"))
    await page.fill("input[name=password]", "tides-turn-twice-daily")
    await page.fill("input[name=repeat]", "tides-turn-twice-daily")
    await page.click("form button[type=submit]")
    await expect(page.locator("p.notice")).to_have_text(texts.get("console.setup.done"))
    await sign_in(page, "newcomer", "tides-turn-twice-daily")
    await expect(page.locator("header .who")).to_contain_text("newcomer")
    await page.goto(f"/setup/{token}")  # used up
    await expect(page.locator("main .error")).to_have_text(texts.get("console.setup.invalid_link"))
    assert page.errors == []
