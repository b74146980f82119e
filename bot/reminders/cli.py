"""Command line for staff broadcasts: ``broadcast``, ``broadcast-cancel``, ``broadcast-history``.

    python -m bot broadcast --segment all --text-file notice.txt [--text-en-file notice.en.txt] [--yes] [--no-deliver]

Segments: ``all``, ``applicants``, ``hr``, ``level:<level>``, ``state:<state>``, ``unit:<full unit name>``
(levels and states by id, label or alias from ``rules/status.yaml``); who each one reaches is listed in
``bot.reminders.audience`` (``applicants``: users bound to an application, not every visitor). ``--text-en-file`` gives the
English version English readers get (without it they get the Chinese text under a one-line English
note). The command previews the recipient count by language, asks for confirmation, writes the outbox rows and then shows a rich progress bar
until every recipient is settled; its wording is ``reminders.broadcast_cli`` in
``dialogs/texts_reminders.yaml``. With a ``BOT_TOKEN`` it delivers itself (an outbox worker in this
process, safe beside a running bot: rows are claimed atomically); without one, or with
``--no-deliver``, it waits for the running bot to deliver (Ctrl-C leaves the broadcast running).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

#: the forms ``--segment`` accepts (level and state by id, label or alias; unit by its full name)
SEGMENT_FORMS = "all, applicants, hr, level:<level>, state:<state> or unit:<full unit name>"

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder


def register(app: typer.Typer, _build_app_or_exit: AppBuilder) -> None:
    app.command("broadcast")(broadcast_command)
    app.command("broadcast-cancel")(cancel_command)
    app.command("broadcast-history")(history_command)


#: the most bytes a text file of ``TEXT_LIMIT`` characters can take (4 per character in UTF-8, a BOM,
#: and room for the blank lines and spaces ``clean_text`` trims): the file is never read past it, so
#: a wrong path (/dev/zero, a log file of gigabytes) is refused at once instead of filling memory
def _max_text_bytes() -> int:
    from bot.reminders.broadcast import TEXT_LIMIT

    return TEXT_LIMIT * 4 + 4096


def _read_text(path: Path) -> str:
    """The file's text (UTF-8 with or without BOM, or GBK), cleaned as the chat and the console clean
    a broadcast: control and invisible formatting characters dropped, NFC, trimmed."""
    from bot.cli_common import fail
    from bot.core.sanitize import clean_text

    limit = _max_text_bytes()
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit + 1)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or type(exc).__name__}")
    if len(raw) > limit:
        from bot.reminders.broadcast import TEXT_LIMIT

        fail(f"{path} is larger than {limit} bytes: a broadcast holds at most {TEXT_LIMIT} characters")
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return clean_text(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    fail(f"{path} is neither UTF-8 nor GBK text")
    return ""


def parse_segment(spec: str, workflow, units: dict[str, int], t: Callable[..., str]):  # noqa: ANN001, ANN201
    """``kind[:value]`` → (Segment, its label from the texts) or raise ValueError with a readable reason.

    The labels are the chat's (``reminders.broadcast.segments`` …), so history reads the same whichever
    way a broadcast was sent.
    """
    from bot.reminders.audience import Segment

    kind, _, value = spec.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    names = {
        "all": t("reminders.broadcast.segments.all"),
        "applicants": t("reminders.broadcast.segments.applicants"),
        "hr": t("reminders.broadcast.segments.hr"),
    }
    if kind in names and not value:
        return Segment(kind), names[kind]
    if kind == "level":
        level = workflow.level_id(value)
        if level is None:
            raise ValueError(f"unknown level {value!r} (try: {', '.join(workflow.levels)})")
        return Segment("level", level), t("reminders.broadcast.segment_level", value=workflow.level_label(level))
    if kind == "state":
        state = workflow.state_id(value)
        if state is None:
            raise ValueError(f"unknown state {value!r}")
        return Segment("state", state), t("reminders.broadcast.segment_state", value=workflow.label(state))
    if kind == "unit":
        if value not in units:
            raise ValueError(f"no unit named {value!r}")
        return Segment("unit", str(units[value])), t("reminders.broadcast.segment_unit", value=value)
    raise ValueError(f"segment must be {SEGMENT_FORMS}")


def broadcast_command(
    segment: Annotated[str, typer.Option(help=SEGMENT_FORMS.replace(" or", ",") + " (levels and states by id or label).")],
    text_file: Annotated[Path, typer.Option("--text-file", help="The message (UTF-8 or GBK plain text).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    deliver: Annotated[bool, typer.Option("--deliver/--no-deliver", help="Deliver from this process when BOT_TOKEN is set.")] = True,
    api_url: Annotated[str | None, typer.Option(help="Bot API server (default TELEGRAM_API_URL or Telegram).")] = None,
    urgent: Annotated[bool, typer.Option("--urgent", help="Send during quiet hours too (22:00–08:00).")] = False,
    text_en_file: Annotated[Path | None, typer.Option("--text-en-file", help="The English version for English readers (plain text).")] = None,
) -> None:
    """Send a staff broadcast to a segment, with a preview, a confirmation and a progress bar."""
    from bot.cli_common import fail, settings_or_exit

    text = _read_text(text_file)
    text_en = _read_text(text_en_file) if text_en_file is not None else None
    settings = settings_or_exit()
    from bot.reminders.broadcast import TEXT_LIMIT

    if not text:
        fail("the text file is empty")
    if text_en_file is not None and not text_en:
        fail("the English text file is empty")
    for name, body in (("text", text), ("English text", text_en or "")):
        if len(body) > TEXT_LIMIT:
            fail(f"the {name} has {len(body)} characters; the limit is {TEXT_LIMIT}")
    asyncio.run(_broadcast(settings, segment, text, yes, deliver, api_url, urgent, text_en))


async def _broadcast(settings, spec: str, text: str, yes: bool, deliver: bool, api_url: str | None,  # noqa: ANN001
                     urgent: bool, text_en: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import select

    from bot.cli_common import fail
    from bot.clock import SystemClock
    from bot.content.texts import Texts, text_files
    from bot.paths import content_root
    from bot.reminders.audience import Subscriptions
    from bot.reminders.broadcast import (
        BroadcastMonitor,
        count_by_language,
        create_broadcast,
        figures,
        render_final,
    )
    from bot.reminders.definitions import load_reminder_rules
    from bot.reminders.models import Broadcast
    from bot.status.models import Unit
    from bot.status.workflow import load_workflow
    from bot.storage.db import Database

    console = Console()
    root = content_root()
    db = Database(settings.database_url, schema=settings.database_schema)
    clock = SystemClock()
    texts = Texts.load(text_files(root), root)
    t = texts.get
    rules = load_reminder_rules(root)
    subs = Subscriptions(rules)
    worker_task = None
    sender = None
    try:
        await db.upgrade()
        async with db.session() as session:
            units = {u.name: u.id for u in (await session.execute(select(Unit))).scalars()}
            try:
                segment, label = parse_segment(spec, load_workflow(root), units, t)
            except ValueError as exc:
                fail(str(exc))
            counts = await count_by_language(session, segment, subs, rules.push_channels)
        count = sum(counts.values())
        # the template carries rich markup; the values are escaped so a "[...]" in a notice prints as typed
        console.print(t("reminders.broadcast_cli.preview", segment=escape(label), count=count, text=escape(text)),
                      markup=True, highlight=False)
        lines = [t("reminders.broadcast.preview_languages", count_zh=counts["zh"], count_en=counts["en"])]
        if text_en:
            lines.append(t("reminders.broadcast.preview_english", text_en=text_en))
        elif counts["en"]:
            lines.append(t("reminders.broadcast.preview_no_english"))
        console.print("\n".join(lines), markup=False, highlight=False)
        if count == 0:
            fail("no reachable recipient in this segment", code=1)
        if not yes and not typer.confirm(t("reminders.broadcast_cli.confirm"), default=False):
            console.print(t("reminders.broadcast.cancelled_draft"), markup=False, highlight=False)
            return
        async with db.session() as session:
            broadcast = await create_broadcast(session, text=text, segment=segment, segment_label=label,
                                               subscriptions=subs, now=clock.now(), source="cli", urgent=urgent,
                                               channels=rules.push_channels, texts=texts, text_en=text_en)
            broadcast_id = broadcast.id
        console.print(t("reminders.broadcast_cli.queued", id=broadcast_id, count=count), markup=False, highlight=False)
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        if deliver and token:
            from bot.channels.telegram_sender import TelegramHttpSender
            from bot.outbox.config import load_delivery_config
            from bot.outbox.worker import OutboxWorker

            sender = TelegramHttpSender(token, api_url=api_url or settings.telegram_api_url)
            worker = OutboxWorker(db, {"telegram": sender}, clock, load_delivery_config(root))
            worker_task = asyncio.create_task(worker.run())
        else:
            console.print(t("reminders.broadcast_cli.wait_for_bot"), markup=False, highlight=False)
        monitor = BroadcastMonitor(db, clock, texts)
        # rich fills "{task.fields[...]}" on every refresh: the texts get those references as their values
        live = {name: f"{{task.fields[{name}]}}" for name in ("sent", "blocked", "failed")}
        columns = (TextColumn(escape(t("reminders.broadcast_cli.progress_title", id=broadcast_id))), BarColumn(),
                   MofNCompleteColumn(), TextColumn(t("reminders.broadcast_cli.progress_counts", **live)),
                   TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("broadcast", total=count, sent=0, blocked=0, failed=0)
            while True:
                await monitor.tick()
                async with db.session() as session:
                    fig = await figures(session, broadcast_id)
                progress.update(task, completed=fig.settled, sent=fig.sent, blocked=fig.blocked, failed=fig.failed)
                if fig.finished:
                    break
                if worker_task is not None and worker_task.done():
                    worker_task.result()  # surface a crash
                await asyncio.sleep(0.5)
        await monitor.tick()
        async with db.session() as session:
            final = await session.get(Broadcast, broadcast_id)
            console.print(render_final(texts, final, await figures(session, broadcast_id)), highlight=False)
    finally:
        if worker_task is not None:
            worker_task.cancel()
            await asyncio.gather(worker_task, return_exceptions=True)
        if sender is not None:
            await sender.close()
        await db.dispose()


def cancel_command(broadcast_id: Annotated[int, typer.Argument(help="The broadcast number (#).")]) -> None:
    """Stop a broadcast: recipients not yet sent are cancelled."""
    from bot.cli_common import fail, settings_or_exit

    settings = settings_or_exit()

    async def main() -> None:
        from bot.clock import SystemClock
        from bot.reminders.broadcast import cancel_broadcast
        from bot.reminders.models import Broadcast
        from bot.storage.db import Database

        db = Database(settings.database_url, schema=settings.database_schema)
        try:
            await db.upgrade()
            async with db.session() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
                if broadcast is None:
                    fail(f"no broadcast #{broadcast_id}")
                if broadcast.state != "sending":
                    fail(f"broadcast #{broadcast_id} is {broadcast.state}", code=1)
                cancelled = await cancel_broadcast(session, broadcast, SystemClock().now())
            typer.echo(f"broadcast #{broadcast_id}: {cancelled} pending recipient(s) cancelled")
        finally:
            await db.dispose()

    asyncio.run(main())


def history_command(limit: Annotated[int, typer.Option(min=1, max=200)] = 20) -> None:
    """List recent broadcasts with their figures."""
    from bot.cli_common import settings_or_exit

    settings = settings_or_exit()

    async def main() -> None:
        from rich.console import Console
        from rich.table import Table
        from sqlalchemy import select

        from bot.clock import LOCAL_TZ
        from bot.reminders.broadcast import figures
        from bot.reminders.models import Broadcast
        from bot.storage.db import Database

        db = Database(settings.database_url, schema=settings.database_schema)
        table = Table("#", "created", "source", "segment", "state", "total", "sent", "blocked", "failed", "cancelled")
        try:
            await db.upgrade()
            async with db.session() as session:
                rows = (await session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))).scalars()
                for b in rows:
                    fig = await figures(session, b.id)
                    table.add_row(str(b.id), b.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"), b.source,
                                  b.segment_label, b.state, str(b.total), str(fig.sent), str(fig.blocked),
                                  str(fig.failed), str(fig.cancelled))
        finally:
            await db.dispose()
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)  # piped: do not squeeze the table into 80 columns
        console.print(table)

    asyncio.run(main())
