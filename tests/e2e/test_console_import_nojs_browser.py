"""The import page in Chromium with JavaScript turned off: the plain form uploads a file far over
the 64 KB the console parses whole, its report and "apply" work, and a file over the import's limit
gets the import's own message on the page. Screenshots go to ``test-output/console/``."""

from __future__ import annotations

from bot.status.models import Application
from bot.status.service import StatusService
from tests.e2e.test_console_browser import VIEWPORT, pytestmark, shot, sign_in  # noqa: F401
from tests.support import browser as chromium
from tests.support.browser import expect
from tests.support.status_helpers import count, csv_bytes, row

MB = 1024 * 1024


async def test_a_plain_form_upload_without_script(browser, console_server, console_app, tmp_path):
    texts = console_app.services.texts
    limit = StatusService.of(console_app.services).workflow.import_limits.max_file_bytes
    upload = tmp_path / "申报状态.csv"
    upload.write_bytes(csv_bytes([row(f"SD2024-{i:06d}", state="审核受理") for i in range(1, 2001)]))
    assert upload.stat().st_size > 2 * 64 * 1024
    page = await chromium.new_page(browser, expected_error="status of 4", viewport=VIEWPORT,
                                   base_url=str(console_server.make_url("/")), java_script_enabled=False)
    await sign_in(page, "clerk")
    await page.goto("/import")
    await expect(page.locator("#upload-hint")).to_contain_text(f"{limit // MB}MB")
    await page.set_input_files("input[name=file]", str(upload))
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text(texts.get("console.import.report_title"))
    await expect(page.locator("#import-summary")).to_contain_text("共 2000 行：2000 行可以导入，0 行有错误。")
    await page.screenshot(path=shot("import-nojs-report"))
    await page.click("#apply-all")  # no script: no confirm dialog, the form posts
    await expect(page.locator("h1")).to_have_text("导入完成")
    assert await count(console_app, Application) == 2000

    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * (limit + MB))
    await page.goto("/import")
    await page.set_input_files("input[name=file]", str(big))
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("#import-message")).to_contain_text(texts.get("status.import_errors.too_big", mb=limit // MB))
    await page.screenshot(path=shot("import-nojs-too-big"))
    assert page.errors == []
