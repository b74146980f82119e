"""The import upload as a plain HTML form post (no script): files far over the 64 KB the console
parses whole are streamed up to the import's own size limit, as with the script; a larger one gets
the import's "too big" message on the page; the CSRF token, the form's first field, is checked
before any of the file is read; and memory stays bounded however long the body is."""

from __future__ import annotations

import re
import tracemalloc

from aiohttp import MultipartWriter

from bot.console.server import MAX_FORM_BYTES
from bot.status.models import Application
from bot.status.service import StatusService
from tests.integration.test_console_import import upload  # the form as a browser without script posts it
from tests.support.console_fixtures import ConsoleBrowser
from tests.support.status_helpers import count, csv_bytes, row

MB = 1024 * 1024
_TOKEN = re.compile(r"/import/apply/([A-Za-z0-9_-]+)")


def many_rows(n: int) -> bytes:
    return csv_bytes([row(f"SD2024-{i:06d}", state="审核受理") for i in range(1, n + 1)])


def limit_of(app) -> int:  # noqa: ANN001
    return StatusService.of(app.services).workflow.import_limits.max_file_bytes


async def test_a_plain_form_uploads_a_file_far_over_the_small_form_limit(console_app, console_server):
    content = many_rows(2000)
    assert len(content) > 2 * MAX_FORM_BYTES
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        response = await upload(browser, "statuses.csv", content)  # no htmx header, token in the form
        assert response.status == 200 and "/import/report/" in str(response.url)
        assert "共 2000 行：2000 行可以导入，0 行有错误。" in response.body_text
        done = await browser.post(f"/import/apply/{_TOKEN.search(response.body_text).group(1)}", {"mode": "all"})
        assert done.status == 200 and "新增 2000 件" in done.body_text
    assert await count(console_app, Application) == 2000


async def test_a_plain_form_over_the_import_limit_gets_the_imports_message(console_app, console_server):
    texts = console_app.services.texts
    too_big = texts.get("status.import_errors.too_big", mb=limit_of(console_app) // MB)
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        response = await upload(browser, "big.csv", b"a" * (limit_of(console_app) + MB))
        assert response.status == 400 and too_big in response.body_text
        assert 'id="import-message"' in response.body_text  # on the import page, the form below it
        assert texts.get("console.error.too_large") not in response.body_text
        hint = texts.get("console.import.upload_hint", mb=limit_of(console_app) // MB)
        assert hint in response.body_text and "20MB" in hint


async def _chunked_form(csrf: str | None, body_bytes: int, token_first: bool = True,
                        content: bytes | None = None) -> MultipartWriter:
    """A multipart form sent without a Content-Length (chunked), the file as 1 MB pieces
    (``body_bytes`` of filler, or ``content``)."""

    async def pieces():  # noqa: ANN202
        if content is not None:
            yield content
            return
        left = body_bytes
        while left > 0:
            size = min(MB, left)
            left -= size
            yield b"a" * size

    form = MultipartWriter("form-data")
    if csrf is not None and token_first:
        form.append(csrf).set_content_disposition("form-data", name="csrf")
    form.append(pieces()).set_content_disposition("form-data", name="file", filename="big.csv")
    if csrf is not None and not token_first:
        form.append(csrf).set_content_disposition("form-data", name="csrf")
    return form


async def test_a_streamed_body_without_a_length_is_cut_at_the_limit_with_bounded_memory(console_app, console_server):
    """No Content-Length to refuse early: the file is read piece by piece and refused once past the
    limit, holding no more than the limit (the body is three times that)."""
    limit = limit_of(console_app)
    too_big = console_app.services.texts.get("status.import_errors.too_big", mb=limit // MB)
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/import")
        tracemalloc.start()
        try:
            response = await browser.client.post("/import/upload", data=await _chunked_form(browser.csrf, 3 * limit))
            body = await response.text()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status == 400 and too_big in body
    assert peak < limit + 8 * MB, f"peak {peak / MB:.1f} MB"


async def test_the_plain_forms_token_is_checked_before_the_file_and_must_come_first(console_app, console_server):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/import")
        missing = await browser.client.post("/import/upload", data=await _chunked_form(None, MB))
        assert missing.status == 403
        wrong = await browser.client.post("/import/upload", data=await _chunked_form("x" * 43, MB))
        assert wrong.status == 403
        last = await browser.client.post("/import/upload", data=await _chunked_form(browser.csrf, MB, token_first=False))
        assert last.status == 403  # the guard reads the first field only: a file before it is not read
        good = await browser.client.post("/import/upload", data=await _chunked_form(browser.csrf, 0, content=many_rows(3)))
        assert good.status == 200 and "/import/report/" in str(good.url)
        assert "共 3 行：3 行可以导入" in await good.text()
    assert await count(console_app, Application) == 0
