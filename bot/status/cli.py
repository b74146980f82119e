"""``python -m bot status import FILE [--partial]`` and ``python -m bot hr invite 单位``.

Heavy imports (SQLAlchemy, openpyxl, rich) happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import AppBuilderSlot
from bot.status.tablefile import REQUIRED  # the template's column headers (a light module: csv, zipfile)

status_app = typer.Typer(help="Application statuses (staff).", no_args_is_help=True)
hr_app = typer.Typer(help="HR contacts of units (staff).", no_args_is_help=True)
PROGRESS_THRESHOLD = 1000

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder

#: builds the whole bot; filled by ``register`` (a feature package never imports bot.app)
build_app_or_exit = AppBuilderSlot()


def register(app: typer.Typer, builder: AppBuilder) -> None:
    build_app_or_exit.fill(builder)
    app.add_typer(status_app, name="status")
    app.add_typer(hr_app, name="hr")


@status_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help=f".xlsx or .csv with the columns {', '.join(REQUIRED)} (any order).")],
    partial: Annotated[bool, typer.Option("--partial", help="Apply the good rows and report the bad ones.")] = False,
) -> None:
    """Import statuses: every row is validated first; any bad row → nothing applied (unless --partial)."""
    from bot.cli_common import fail, settings_or_exit, start_or_exit

    try:
        stream = file.open("rb")
        size = file.stat().st_size if file.is_file() else None  # a pipe or device has no size
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or type(exc).__name__}")
    settings = settings_or_exit()

    async def main() -> int:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from bot.status.importer import Importer, ImportReport, PreparedImport, render_report
        from bot.status.tablefile import TableFileError, read_file_bounded, too_big

        bot_app = build_app_or_exit(settings)
        await start_or_exit(bot_app)
        t = bot_app.services.t

        try:
            with Progress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                transient=True, disable=size is not None and size < 50_000,
            ) as bar:
                task = bar.add_task(t("status.import.progress"), total=None)

                def progress(done: int, total: int) -> None:
                    if total >= PROGRESS_THRESHOLD:
                        bar.update(task, completed=done, total=total)

                importer = Importer(bot_app.services, actor="cli", actor_user_id=None, progress=progress)
                limits = importer.workflow.import_limits
                try:  # the size limit holds before reading: a 2 GB file or /dev/zero is never read whole
                    if size is not None and (error := too_big(size, limits)) is not None:
                        raise error
                    with stream:
                        content = read_file_bounded(stream, limits)
                except TableFileError as exc:
                    prepared = PreparedImport(ImportReport(file_error=importer.t_error(exc)), [])
                else:
                    # read and check the rows before the transaction: on SQLite it holds the writer
                    # lock a running bot needs for every update
                    prepared = importer.prepare(file.name, content)
                async with bot_app.db.session() as session:
                    report = await importer.apply(session, prepared, partial=partial)
            typer.echo(render_report(report, t))
            return 0 if report.ok else 1
        finally:
            await bot_app.close()

    raise typer.Exit(asyncio.run(main()))


@hr_app.command("invite")
def invite_command(unit: Annotated[str, typer.Argument(help="The unit's full name, as in the import files.")]) -> None:
    """Print a one-time invite code (valid 7 days) for a unit's HR contact to send as /hr CODE."""
    from bot.cli_common import fail, settings_or_exit, start_or_exit
    from bot.status.importer import FORMULA_STARTS, clean_unit_name

    name = clean_unit_name(unit)
    if not name or len(name) > 100:
        fail("unit name must be 1–100 characters")
    if name.startswith(FORMULA_STARTS):
        fail("a unit name may not start with = + - or @ (it would read as a spreadsheet formula)")
    settings = settings_or_exit()

    async def main() -> None:
        from bot.clock import LOCAL_TZ
        from bot.status.service import StatusService

        bot_app = build_app_or_exit(settings)
        await start_or_exit(bot_app)
        try:
            async with bot_app.db.session() as session:
                code, expires, row = await StatusService.of(bot_app.services).commands.create_invite(session, name)
            local = expires.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
            texts = bot_app.services.texts
            typer.echo(texts.get("status.invite_cli", unit=row.name, code=code, until=local))
        finally:
            await bot_app.close()

    asyncio.run(main())
