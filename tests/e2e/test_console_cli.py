"""``python -m bot staff add|list|disable|reset`` and ``python -m bot console`` as an operator runs
them: real processes on a fresh SQLite database, the printed setup link opened over HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import aiohttp
import pytest

from bot.console.models import ConsoleAudit, StaffAccount
from bot.storage.db import Database
from tests.e2e.botproc import ROOT, free_port, run_cli

LINK = re.compile(r"(http://\S+/setup/([A-Za-z0-9_-]{43}))")
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "HASH_SALT": "console-cli-test-salt-0123456789",
            "CONSOLE_URL": "http://console.office.example"}


async def test_staff_commands_add_list_disable_reset(env):
    code, out = await run_cli("staff", "list", env=env)
    assert code == 0 and "staff add" in out  # no account yet: how to create the first admin
    code, out = await run_cli("staff", "add", "chief", "--role", "admin", env=env)
    assert code == 0 and "chief" in out
    first = LINK.search(out)
    assert first and first.group(1).startswith("http://console.office.example/setup/")
    code, out = await run_cli("staff", "add", "chief", "--role", "staff", env=env)
    assert code == 2 and "已存在" in out and "Traceback" not in out
    code, out = await run_cli("staff", "add", "Bad Name", env=env)
    assert code == 2 and "登录名格式不对" in out
    code, out = await run_cli("staff", "add", "clerk", "--role", "root", env=env)
    assert code == 2 and "staff" in out and "admin" in out
    code, out = await run_cli("staff", "disable", "chief", env=env)
    assert code == 0 and "chief" in out
    code, out = await run_cli("staff", "list", env=env)
    assert re.search(r"^chief\tadmin\t已停用\t-$", out, re.M)
    code, out = await run_cli("staff", "reset", "chief", env=env)
    second = LINK.search(out)
    assert code == 0 and second and second.group(2) != first.group(2)
    code, out = await run_cli("staff", "reset", "nobody", env=env)
    assert code == 2 and "nobody" in out and "Traceback" not in out

    db = Database(env["DATABASE_URL"])
    try:
        async with db.session() as session:
            account = (await session.execute(StaffAccount.__table__.select())).one()
            assert account.login == "chief" and not account.disabled and account.password_hash is None
            actions = [(r.login, r.action, r.address) for r in (await session.execute(ConsoleAudit.__table__.select())).all()]
        assert actions == [("cli", "account_add", "cli"), ("cli", "account_disable", "cli"), ("cli", "account_reset", "cli")]
        stored = str(actions) + str(tuple(account))
        assert first.group(2) not in stored and second.group(2) not in stored  # the link's token is never stored
    finally:
        await db.dispose()


async def test_console_serves_the_setup_link_and_sign_in(env):
    code, out = await run_cli("staff", "add", "chief", "--role", "admin", env=env)
    token = LINK.search(out).group(2)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "console", "--port", str(port), cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert f"127.0.0.1:{port}" in line.decode()
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            page = await (await client.get(f"{base}/setup/{token}")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            done = await client.post(f"{base}/setup/{token}", data={
                "csrf": csrf, "password": "harbour-lights-at-dusk", "repeat": "harbour-lights-at-dusk"})
            assert done.status == 200 and "密码已设置" in await done.text()
            page = await (await client.get(f"{base}/signin")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            signed = await client.post(f"{base}/signin", data={
                "csrf": csrf, "login": "chief", "password": "harbour-lights-at-dusk"})
            assert signed.status == 200 and str(signed.url) == f"{base}/"
            assert "chief" in await signed.text()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    code, out = await run_cli("staff", "disable", "chief", env=env)  # the only admin who can sign in
    assert code == 2 and "唯一可以登录的管理员" in out and "Traceback" not in out
    code, out = await run_cli("staff", "list", env=env)
    assert re.search(r"^chief\tadmin\t正常\t", out, re.M)
