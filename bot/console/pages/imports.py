"""Import of statuses from a spreadsheet: upload, a row-by-row dry run, then apply.

The engine is the one of ``python -m bot status import`` (``bot.status.importer``): the same
reading limits, checks and notices. The upload is read as a stream and refused past the import's
size limit before it is held whole; it is kept on the server (``bot.console.uploads``) under a token
bound to the session, and the report and apply steps name only that token. Applying re-reads the
kept file and plans it once more, inside the transaction and under the import lock (the one the
command line and Telegram imports take), so what is applied is checked against the database as it
is then, never against the report's older view; the result page lists that same plan.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import BodyPartReader, web

from bot.console.routing import MULTIPART_READER, NavItem, Route, signed_in
from bot.console.uploads import UploadStore
from bot.core.sanitize import mask_personal
from bot.status.importer import Importer, ImportPreview, PreparedImport
from bot.status.service import StatusService
from bot.status.tablefile import MB, REQUIRED, TableFileError, too_big

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("import", "/import", 30),)
#: rows of the report's table shown on the page (the figures count them all)
SHOWN_ROWS = 500
SHOWN_ERRORS = 500
CHUNK_BYTES = 64 * 1024
#: the longest file name kept (on the report page and in the audit log)
NAME_CHARS = 100


def audited_name(file_name: str) -> str:
    """The file name as the audit log keeps it: offices name a one-person update after the person
    (张三明_370211199001011234.xlsx, …13800138000.csv), and the log never holds ID or phone digits."""
    return mask_personal(file_name[:NAME_CHARS])


class UploadRefused(Exception):
    """The upload cannot be read; ``message`` is the staff-facing sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def read_upload(request: web.Request, importer: Importer) -> tuple[str, bytes]:
    """(file name, content) of the form's ``file`` field, never more than the import's size limit.

    The body is streamed part by part and the file refused as soon as it passes the limit, with or
    without the page's script: with it (htmx) the CSRF token came in a header and the stream is
    opened here; a plain form post had its first field, the token, read by the guard, which left
    the stream just past it (``MULTIPART_READER``). Either way at most the limit is held, and a
    plain form is held to the same limit as a script's upload, not to the small forms' one."""
    limits = importer.workflow.import_limits
    declared = request.content_length
    if declared is not None and (error := too_big(declared - CHUNK_BYTES, limits)) is not None:
        raise UploadRefused(importer.t_error(error))
    reader = request.get(MULTIPART_READER)
    if reader is None:
        if request.content_type != "multipart/form-data":
            raise UploadRefused(importer.t_error(TableFileError("empty")))
        try:
            reader = await request.multipart()
        except ValueError:
            raise UploadRefused(importer.t_error(TableFileError("empty"))) from None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            await part.release()
            continue
        chunks: list[bytes] = []
        size = 0
        while chunk := await part.read_chunk(CHUNK_BYTES):
            size += len(chunk)
            if (error := too_big(size, limits)) is not None:
                raise UploadRefused(importer.t_error(error))
            chunks.append(chunk)
        return part.filename or "", b"".join(chunks)
    raise UploadRefused(importer.t_error(TableFileError("empty")))


def routes(console: Console) -> list[Route]:
    store = UploadStore()

    def importer_for(request: web.Request) -> Importer:
        return Importer(console.services, actor=f"console:{signed_in(request).account.login}", actor_user_id=None)

    def page(request: web.Request, status: int = 200, message: str = "") -> web.Response:
        template = "import_form.html" if request.headers.get("HX-Request") else "import.html"
        max_mb = StatusService.of(console.services).workflow.import_limits.max_file_bytes // MB
        return console.render(request, template, status=status, message=message, columns=REQUIRED, max_mb=max_mb)

    async def prepare(importer: Importer, name: str, content: bytes) -> PreparedImport:
        """Reading and checking rows costs CPU, not the database: a worker thread, no transaction."""
        return await asyncio.to_thread(importer.prepare, name, content)

    async def form(request: web.Request) -> web.StreamResponse:
        return page(request)

    async def upload(request: web.Request) -> web.StreamResponse:
        importer = importer_for(request)
        try:
            name, content = await read_upload(request, importer)
            prepared = await prepare(importer, name, content)
        except UploadRefused as exc:
            return page(request, 400, exc.message)
        if prepared.report.file_error:
            return page(request, 400, console.t("console.import.file_refused", reason=prepared.report.file_error))
        token = store.keep(signed_in(request).id_hash, name[:NAME_CHARS], content, console.now())
        async with console.db() as session:
            console.audit(session, request, "import_upload", target=audited_name(name),
                          details={"rows": prepared.report.total, "bad_rows": prepared.report.error_rows})
        target = f"/import/report/{token}"
        if request.headers.get("HX-Request"):
            return web.Response(status=204, headers={"HX-Redirect": target})
        raise web.HTTPSeeOther(target)

    def expired(request: web.Request) -> web.Response:
        return page(request, 410, console.t("console.import.expired"))

    async def report(request: web.Request) -> web.StreamResponse:
        kept = store.get(signed_in(request).id_hash, request.match_info["token"], console.now())
        if kept is None:
            return expired(request)
        importer = importer_for(request)
        prepared = await prepare(importer, kept.file_name, kept.content)
        async with console.db() as session:
            preview = await importer.preview(session, prepared)
        return show_report(request, kept.token, kept.file_name, preview)

    def show_report(request: web.Request, token: str, file_name: str, preview: ImportPreview,
                    status: int = 200, message: str = "") -> web.Response:
        errors = [error.render(console.services.t) for error in preview.report.errors[:SHOWN_ERRORS]]
        return console.render(
            request, "import_report.html", status=status, token=token, file_name=file_name, preview=preview,
            report=preview.report, errors=errors, bad_rows=preview.report.error_rows,
            rows=preview.rows[:SHOWN_ROWS], shown=SHOWN_ROWS, message=message, label=state_label,
        )

    workflow = StatusService.of(console.services).workflow

    def state_label(state: str | None) -> str:
        if not state:
            return "—"
        return workflow.label(state) if state in workflow.states else state

    async def apply(request: web.Request) -> web.StreamResponse:
        owner = signed_in(request).id_hash
        kept = store.get(owner, request.match_info["token"], console.now())
        if kept is None:
            return expired(request)
        mode = str((await request.post()).get("mode", ""))
        if mode not in {"all", "good"}:
            raise web.HTTPBadRequest()
        importer = importer_for(request)
        prepared = await prepare(importer, kept.file_name, kept.content)
        async with console.db() as session:
            preview, result = await importer.apply_with_preview(session, prepared, partial=mode == "good")
            console.audit(session, request, "import_apply", target=audited_name(kept.file_name),
                          details={"mode": mode} | {k: v for k, v in result.figures().items()})
        if not result.applied:
            return show_report(request, kept.token, kept.file_name, preview, 409,
                               console.t("console.import.not_all_good"))
        store.drop(kept.token)
        changed = [row for row in preview.rows if row.action != "same"]
        return console.render(request, "import_result.html", file_name=kept.file_name, report=result,
                              rows=changed[:SHOWN_ROWS], more=max(0, len(changed) - SHOWN_ROWS), label=state_label)

    async def discard(request: web.Request) -> web.StreamResponse:
        kept = store.get(signed_in(request).id_hash, request.match_info["token"], console.now())
        if kept is not None:
            store.drop(kept.token)
            async with console.db() as session:
                console.audit(session, request, "import_discard", target=audited_name(kept.file_name))
        raise web.HTTPSeeOther("/import")

    return [
        Route("GET", "/import", form),
        Route("POST", "/import/upload", upload, streamed=True),
        Route("GET", "/import/report/{token}", report),
        Route("POST", "/import/apply/{token}", apply),
        Route("POST", "/import/discard/{token}", discard),
    ]
