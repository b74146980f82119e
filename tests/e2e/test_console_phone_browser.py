"""The staff console at a phone's width (390×844) in headless Chromium: every page fits the screen
(no sideways scrolling of the whole page, the sign-out button stays visible), the navigation sits
above the page, and a wide table scrolls inside its own box. A unit or a (masked) name without a
break widens no page at 1280×800 either. Screenshots go to ``test-output/console/phone-*.png``."""

from __future__ import annotations

from tests.e2e.test_console_browser import VIEWPORT, pytestmark, shot, sign_in  # noqa: F401 - the module's marks
from tests.support import browser as chromium
from tests.support.browser import expect
from tests.support.console_data import add_application

PHONE = {"width": 390, "height": 844}
PAGES = ("/", "/applications", "/applications/SD2024-000001", "/import", "/broadcast", "/knowledge", "/units",
         "/audit", "/accounts")


async def test_every_page_fits_a_phone_screen(browser, console_server, console_app):
    await add_application(console_app, "SD2024-000001", unit="青岛西海岸新区某某工业互联网科技有限公司" * 2,
                          name="欧阳娜娜")
    # no 4xx expected: every page and what it loads (the favicon too) answers
    page = await chromium.new_page(browser, viewport=PHONE, base_url=str(console_server.make_url("/")))
    await sign_in(page, "chief")
    await expect(page.locator("header .who")).to_contain_text("chief")
    for path in PAGES:
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
        signout = await page.locator("header form.signout button").bounding_box()
        assert signout is not None and signout["x"] + signout["width"] <= PHONE["width"], path
        main = await page.locator("main").bounding_box()
        nav = await page.locator("nav.side").bounding_box()
        assert main is not None and nav is not None and main["y"] >= nav["y"] + nav["height"] - 1, path  # nav above
        await page.screenshot(path=shot("phone-" + (path.strip("/").replace("/", "-") or "overview")), full_page=True)
    assert page.errors == []


async def test_unbroken_names_and_units_wrap_inside_their_cells_on_a_laptop(browser, console_server, console_app):
    await add_application(console_app, "SD2024-000002", unit="X" * 100, name="A" * 50)
    await add_application(console_app, "SD2024-000003", unit="青岛西海岸新区" + "工业互联网科技" * 13, name="欧阳" + "娜" * 47)
    page = await chromium.new_page(browser, expected_error="status of 4", viewport=VIEWPORT,
                                   base_url=str(console_server.make_url("/")))
    await sign_in(page, "chief")
    await expect(page.locator("header .who")).to_contain_text("chief")
    for path in ("/applications", "/units", "/applications/SD2024-000002"):
        await page.goto(path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the window"
    await page.goto("/applications")
    link = page.locator("a[href='/applications/SD2024-000002']")
    box = await link.bounding_box()
    assert box is not None and box["height"] < 30  # the number itself stays on one line
    await page.screenshot(path=shot("applications-long-names"), full_page=True)
    assert page.errors == []
