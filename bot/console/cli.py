"""``python -m bot console`` (serve the staff console) and ``python -m bot staff …`` (its accounts).

aiohttp, Jinja2 and the ORM are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import AppBuilderSlot

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder

#: builds the whole bot; filled by ``register`` (a feature package never imports bot.app)
build_app_or_exit = AppBuilderSlot()

staff_app = typer.Typer(help="Staff console accounts.", no_args_is_help=True)


def register(app: typer.Typer, builder: AppBuilder) -> None:
    build_app_or_exit.fill(builder)
    app.command("console")(console)
    app.add_typer(staff_app, name="staff")


def console(
    host: Annotated[str, typer.Option(help="Address to bind; keep 127.0.0.1 behind a reverse proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8081,
    trust_proxy: Annotated[
        bool | None,
        typer.Option("--trust-proxy/--no-trust-proxy",
                     help="Trust X-Forwarded-For/-Proto (only behind a proxy that sets them); "
                          "default: the CONSOLE_TRUST_PROXY setting."),
    ] = None,
) -> None:
    """The staff console: a separate web application for the office (keep it on the intranet)."""
    import asyncio

    from bot.cli_common import serve_until_signalled, settings_or_exit, start_or_exit
    from bot.console.server import ConsoleConfig, serve
    from bot.process import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    config = ConsoleConfig(host=host, port=port,
                           trust_proxy=settings.console_trust_proxy if trust_proxy is None else trust_proxy)

    async def main() -> int:
        bot_app = build_app_or_exit(settings, serving=True)
        await start_or_exit(bot_app)
        started = bot_app.services.texts.get("console.started", url=f"http://{host}:{port}/")
        return await serve_until_signalled(bot_app, lambda ready: serve(bot_app, config, ready), host, port, started)

    code = asyncio.run(main())
    if code:
        raise typer.Exit(code)


def _with_session(work):  # noqa: ANN001, ANN202
    """Run ``work(session, app)`` in one transaction of a migrated database; AccountError → one line."""
    import asyncio

    from bot.cli_common import fail, settings_or_exit, start_or_exit
    from bot.console.accounts import AccountError

    settings = settings_or_exit()

    async def main():  # noqa: ANN202
        bot_app = build_app_or_exit(settings)
        await start_or_exit(bot_app)
        try:
            async with bot_app.db.session() as session:
                return bot_app, await work(session, bot_app)
        finally:
            await bot_app.close()

    try:
        return asyncio.run(main())
    except AccountError as exc:
        from bot.content.texts import Texts, text_files
        from bot.paths import content_root

        fail(Texts.load(text_files(content_root())).get(exc.key, **exc.values))


def _link(bot_app, token: str) -> str:  # noqa: ANN001
    return bot_app.services.settings.console_url.rstrip("/") + "/setup/" + token


@staff_app.command("add")
def staff_add(
    login: Annotated[str, typer.Argument(help="Login: lower-case letters first, then letters, digits, . _ -")],
    role: Annotated[str, typer.Option(help="staff or admin (admins manage accounts).")] = "staff",
) -> None:
    """Create an account and print its one-time setup link (valid 24 hours)."""
    from bot.console import accounts, audit

    async def work(session, bot_app):  # noqa: ANN001, ANN202
        account, token = await accounts.add(session, login, role, bot_app.services.clock.now())
        audit.record(session, audit.CLI, "account_add", bot_app.services.clock.now(), account.login,
                     {"role": account.role}, audit.CLI)
        return account, token

    bot_app, (account, token) = _with_session(work)
    texts = bot_app.services.texts
    typer.echo(texts.get("console.cli.added", login=account.login, role=texts.get(f"console.role.{account.role}")))
    typer.echo(_link(bot_app, token))


@staff_app.command("list")
def staff_list() -> None:
    """The accounts: login, role, state, last sign-in."""
    from bot.console import accounts

    async def work(session, _bot_app):  # noqa: ANN001, ANN202
        return await accounts.list_accounts(session)

    bot_app, rows = _with_session(work)
    texts = bot_app.services.texts
    if not rows:
        typer.echo(texts.get("console.cli.none"))
        return
    for row in rows:
        state = texts.get("console.accounts.state_disabled" if row.disabled else (
            "console.accounts.state_waiting" if not row.has_password else "console.accounts.state_active"))
        last = row.last_sign_in_at.isoformat(timespec="minutes") if row.last_sign_in_at else "-"
        typer.echo(f"{row.login}\t{row.role}\t{state}\t{last}")


@staff_app.command("disable")
def staff_disable(login: Annotated[str, typer.Argument(help="The account's login.")]) -> None:
    """Disable an account; its sessions and setup link stop working at once."""
    from bot.console import accounts, audit

    async def work(session, bot_app):  # noqa: ANN001, ANN202
        account = await accounts.disable(session, login)
        audit.record(session, audit.CLI, "account_disable", bot_app.services.clock.now(), account.login, None, audit.CLI)
        return account.login

    bot_app, name = _with_session(work)
    typer.echo(bot_app.services.texts.get("console.cli.disabled", login=name))


@staff_app.command("reset")
def staff_reset(login: Annotated[str, typer.Argument(help="The account's login.")]) -> None:
    """Forget the password, end the sessions and print a new setup link (valid 24 hours)."""
    from bot.console import accounts, audit

    async def work(session, bot_app):  # noqa: ANN001, ANN202
        account, token = await accounts.reset(session, login, bot_app.services.clock.now())
        audit.record(session, audit.CLI, "account_reset", bot_app.services.clock.now(), account.login, None, audit.CLI)
        return account.login, token

    bot_app, (name, token) = _with_session(work)
    typer.echo(bot_app.services.texts.get("console.cli.reset", login=name))
    typer.echo(_link(bot_app, token))
