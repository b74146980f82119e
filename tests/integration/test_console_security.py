"""The console's security pieces on their own: password policy, sign-in throttle, sessions, CSRF,
the audit log's CSV escaping, and the headers of every page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.console import accounts, audit, passwords, sessions, throttle
from bot.console.models import ConsoleAudit, ConsoleSession
from tests.support.console_fixtures import PASSWORD, ConsoleBrowser, add_account

# ---- password policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "problem"), [
    ("short-one", "console.password.too_short"),
    ("x" * 129, "console.password.too_long"),
    ("1234567890", "console.password.too_common"),
    ("QwertyUiop", "console.password.too_common"),
    ("aaaaaaaaaaaa", "console.password.too_common"),
    ("ababababababab", "console.password.too_common"),
    ("my-clerk-password", "console.password.contains_login"),
    ("lighthouse-harbour-47", None),
    ("海边的灯塔照亮归航的船只", None),
])
def test_password_policy(password, problem):
    assert passwords.policy_problem(password, "clerk") == problem


def test_the_shipped_common_list_is_loaded_and_long_entries_are_in_it():
    common = passwords.common_passwords()
    assert len(common) > 50
    assert "woaini1314" in common and "1qaz2wsx3edc" in common
    assert all(not line.startswith("#") for line in common)


def test_hash_is_argon2id_and_verifies_only_the_right_password():
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "x")
    assert not passwords.verify_password(None, PASSWORD)  # the dummy hash: no account, same work
    assert not passwords.verify_password("not a hash", PASSWORD)


def test_a_password_longer_than_the_limit_never_matches_even_when_its_start_does():
    first = "a" * passwords.MAX_LENGTH
    stored = passwords.hash_password(first)
    assert passwords.verify_password(stored, first)
    assert not passwords.verify_password(stored, first + "anything")


# ---- setup links and accounts -------------------------------------------------------------------


async def test_a_setup_link_works_once_and_for_24_hours(console_any_app, clock):
    token = await add_account(console_any_app, "newbie", "staff", password=None)
    async with console_any_app.db.session() as session:
        assert (await accounts.setup_account(session, token, clock.now())).login == "newbie"
        assert await accounts.setup_account(session, token, clock.now() + timedelta(hours=24, seconds=1)) is None
        with pytest.raises(accounts.AccountError) as refused:
            await accounts.choose_password(session, token, "1234567890", "1234567890", clock.now())
        assert refused.value.key == "console.password.too_common"
        await accounts.choose_password(session, token, PASSWORD, PASSWORD, clock.now())
    async with console_any_app.db.session() as session:
        assert await accounts.setup_account(session, token, clock.now()) is None  # used up
        assert (await accounts.check_sign_in(session, "newbie", PASSWORD)).login == "newbie"


async def test_reset_forgets_the_password_and_ends_sessions_disable_stops_sign_in(console_any_app, clock):
    async with console_any_app.db.session() as session:
        account = await accounts.find(session, "clerk")
        session_id = await sessions.start(session, account, clock.now())
    async with console_any_app.db.session() as session:
        _account, token = await accounts.reset(session, "clerk", clock.now())
    async with console_any_app.db.session() as session:
        assert await sessions.load(session, session_id, clock.now()) is None
        assert await accounts.check_sign_in(session, "clerk", PASSWORD) is None
        await accounts.choose_password(session, token, "another-long-phrase", "another-long-phrase", clock.now())
    async with console_any_app.db.session() as session:
        assert await accounts.check_sign_in(session, "clerk", "another-long-phrase") is not None
        await accounts.disable(session, "clerk")
    async with console_any_app.db.session() as session:
        assert await accounts.check_sign_in(session, "clerk", "another-long-phrase") is None


async def test_an_admin_cannot_disable_themselves_or_the_last_active_admin(console_any_app, clock):
    async with console_any_app.db.session() as session:
        with pytest.raises(accounts.AccountError) as refused:
            await accounts.disable(session, "chief", acting="chief")
        assert refused.value.key == "console.accounts.not_yourself"
        with pytest.raises(accounts.AccountError) as refused:
            await accounts.disable(session, "chief")  # the command line: chief is the only admin
        assert refused.value.key == "console.accounts.last_admin"
    await add_account(console_any_app, "deputy", "admin", password=None)  # no password yet: cannot sign in
    async with console_any_app.db.session() as session:
        with pytest.raises(accounts.AccountError):
            await accounts.disable(session, "chief")
        await accounts.disable(session, "deputy")  # an admin who cannot sign in may go
    await add_account(console_any_app, "second", "admin")
    async with console_any_app.db.session() as session:
        await accounts.disable(session, "chief", acting="second")
        with pytest.raises(accounts.AccountError) as refused:
            await accounts.disable(session, "second")
        assert refused.value.key == "console.accounts.last_admin"
        await accounts.disable(session, "clerk", acting="second")  # staff accounts are not counted
    async with console_any_app.db.session() as session:
        active = [a.login for a in await accounts.list_accounts(session) if a.is_admin and not a.disabled and a.has_password]
    assert active == ["second"]


async def test_the_accounts_page_refuses_disabling_yourself_and_resetting_the_last_admin(console_app, console_server):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("chief")
        await browser.get("/accounts")
        own = await browser.post("/accounts/chief/disable")
        assert own.status == 409 and "不能停用自己" in own.body_text and 'role="alert"' in own.body_text
        reset = await browser.post("/accounts/chief/reset")
        assert reset.status == 409 and "python -m bot staff reset chief" in reset.body_text
        async with console_app.db.session() as session:
            assert await accounts.check_sign_in(session, "chief", PASSWORD) is not None  # nothing changed
        swapped = await browser.client.post("/accounts/chief/disable",
                                            headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf})
        swapped.body_text = await swapped.text()
        assert swapped.status == 200 and "不能停用自己" in swapped.body_text  # htmx swaps only a 2xx answer
        await add_account(console_app, "second", "admin")
        async with ConsoleBrowser(console_server) as other:
            await other.sign_in("second")
            await other.get("/accounts")
            done = await other.post("/accounts/chief/disable")
            assert done.status == 200 and "已停用" in done.body_text
    async with console_app.db.session() as session:
        assert (await accounts.find(session, "chief")).disabled
        assert not (await accounts.find(session, "second")).disabled


async def test_the_console_does_not_reset_the_last_active_admin_but_the_command_line_does(console_any_app, clock):
    async with console_any_app.db.session() as session:
        with pytest.raises(accounts.AccountError) as refused:
            await accounts.reset(session, "chief", clock.now(), from_console=True)
        assert refused.value.key == "console.accounts.last_admin_reset"
        assert await accounts.check_sign_in(session, "chief", PASSWORD) is not None  # nothing changed
        await accounts.reset(session, "clerk", clock.now(), from_console=True)  # a staff account may be reset
    await add_account(console_any_app, "second", "admin")
    async with console_any_app.db.session() as session:
        await accounts.reset(session, "chief", clock.now(), from_console=True)  # another admin can still sign in
    async with console_any_app.db.session() as session:
        _account, token = await accounts.reset(session, "second", clock.now())  # the command line: always
        assert token


async def test_bad_logins_and_roles_are_refused(console_any_app, clock):
    async with console_any_app.db.session() as session:
        for login, role, key in [("9lives", "staff", "console.accounts.bad_login"), ("a b", "staff", "console.accounts.bad_login"),
                                 ("ok.name", "root", "console.accounts.bad_role"), ("clerk", "staff", "console.accounts.exists")]:
            with pytest.raises(accounts.AccountError) as refused:
                await accounts.add(session, login, role, clock.now())
            assert refused.value.key == key


# ---- sessions -----------------------------------------------------------------------------------


async def test_session_idle_timeout_and_hashed_storage(console_any_app, clock):
    async with console_any_app.db.session() as session:
        account = await accounts.find(session, "clerk")
        session_id = await sessions.start(session, account, clock.now())
    async with console_any_app.db.session() as session:
        rows = (await session.execute(ConsoleSession.__table__.select())).all()
        assert all(session_id not in str(tuple(row)) for row in rows)  # only the hash is stored
        clock.advance(minutes=29)
        assert (await sessions.load(session, session_id, clock.now())).account.login == "clerk"
        clock.advance(minutes=29)  # used 29 minutes ago: still alive (the idle clock restarted)
        assert await sessions.load(session, session_id, clock.now()) is not None
        clock.advance(minutes=31)
        assert await sessions.load(session, session_id, clock.now()) is None
        assert await sessions.load(session, "forged", clock.now()) is None


def test_csrf_comparison():
    assert sessions.csrf_ok("abc", "abc")
    assert not sessions.csrf_ok("abc", "abd")
    assert not sessions.csrf_ok("abc", None)
    assert not sessions.csrf_ok("abc", "")


# ---- throttle -----------------------------------------------------------------------------------


def test_delay_grows_after_the_free_failures_and_is_capped():
    delays = [throttle.delay_after(throttle.ACCOUNT, n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [0, 0, 0, 0]
    assert delays[4] > 0 and all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert delays[5] == 2 * delays[4]
    assert max(delays) <= throttle.MAX_DELAY.total_seconds()


async def test_the_same_wait_for_a_real_and_an_unknown_login(console_any_app, clock):
    limit = throttle.SignInThrottle("salt")
    async with console_any_app.db.session() as session:
        for login in ("clerk", "nobody-here"):
            for _ in range(5):
                await limit.failed(session, login, "10.0.0.1" if login == "clerk" else "10.0.0.2", clock.now())
        real = await limit.wait_seconds(session, "clerk", "10.0.0.1", clock.now())
        unknown = await limit.wait_seconds(session, "nobody-here", "10.0.0.2", clock.now())
        assert real == unknown > 0
        clock.advance(seconds=real)
        assert await limit.wait_seconds(session, "clerk", "10.0.0.1", clock.now()) == 0
        await limit.succeeded(session, "clerk", "10.0.0.1")
        await limit.failed(session, "clerk", "10.0.0.1", clock.now())
        assert await limit.wait_seconds(session, "clerk", "10.0.0.1", clock.now()) == 0  # count restarted


async def test_an_address_is_slowed_down_across_logins(console_any_app, clock):
    limit = throttle.SignInThrottle("salt")
    async with console_any_app.db.session() as session:
        for i in range(throttle.ADDRESS.free_failures + 1):
            await limit.failed(session, f"guess{i}", "2001:db8::1", clock.now())
        # another login from the same IPv6 /64 waits too
        assert await limit.wait_seconds(session, "fresh", "2001:db8::ffff", clock.now()) > 0
        assert await limit.wait_seconds(session, "fresh", "2001:db9::1", clock.now()) == 0


# ---- audit --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "shown"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("plain", "plain"), ("a=b", "a=b"), (None, ""), (3, "3"),
])
def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(cell, shown):
    assert audit.safe_cell(cell) == shown


def test_addresses_are_masked():
    assert audit.mask_address("192.168.3.77") == "192.168.3.x"
    assert audit.mask_address("::ffff:10.1.2.3") == "10.1.2.x"
    assert audit.mask_address("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert audit.mask_address("cli") == "cli"


async def test_audit_filter(console_any_app, clock):
    async with console_any_app.db.session() as session:
        audit.record(session, "chief", "account_add", clock.now(), "a", {"role": "staff"}, "10.0.0.9")
        audit.record(session, "clerk", "sign_in", clock.now() + timedelta(days=2), address="10.0.0.8")
    async with console_any_app.db.session() as session:
        assert [r.login for r in await audit.entries(session, audit.AuditFilter(login="chief"))] == ["chief"]
        assert [r.action for r in await audit.entries(session, audit.AuditFilter(since=clock.now() + timedelta(days=1)))] == ["sign_in"]
        assert await audit.entries(session, audit.AuditFilter(action="nothing")) == []
        stored = (await session.execute(ConsoleAudit.__table__.select())).all()
        assert all("10.0.0.9" not in str(tuple(r)) for r in stored)


# ---- over HTTP ----------------------------------------------------------------------------------


async def test_every_page_has_no_store_and_security_headers(console_server):
    async with ConsoleBrowser(console_server) as browser:
        response = await browser.get("/signin")
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in response.body_text  # no inline script anywhere
        signed = await browser.sign_in("chief")
        assert signed.status == 200 and signed.headers["Cache-Control"] == "no-store"
        cookie = next(c for c in browser.client.session.cookie_jar if c.key == "zc_console")
        assert cookie["httponly"] and cookie["samesite"] == "Strict"


async def test_signed_out_requests_go_to_sign_in(console_server):
    async with ConsoleBrowser(console_server) as browser:
        for path in ("/", "/accounts", "/audit", "/audit.csv", "/applications"):
            response = await browser.client.get(path, allow_redirects=False)
            assert response.status == 303 and response.headers["Location"] == "/signin", path


async def test_a_post_without_the_csrf_token_is_refused(console_server, console_app):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("chief")
        refused = await browser.post("/accounts/add", {"login": "intruder", "role": "admin"}, csrf=False)
        assert refused.status == 403 and "页面已过期" in refused.body_text
        forged = await browser.client.post("/accounts/add", data={"login": "intruder", "role": "admin", "csrf": "x" * 43})
        assert forged.status == 403
        with_header = await browser.client.post("/accounts/clerk/disable", headers={"X-CSRF-Token": browser.csrf})
        assert with_header.status == 200
    async with console_app.db.session() as session:
        assert await accounts.find(session, "intruder") is None
        assert (await accounts.find(session, "clerk")).disabled


async def test_the_sign_in_form_itself_needs_its_token(console_server):
    async with ConsoleBrowser(console_server) as browser:
        response = await browser.client.post("/signin", data={"login": "chief", "password": PASSWORD})
        assert response.status == 403


async def test_sign_in_issues_a_new_session_id_and_sign_out_deletes_it(console_server, console_app):
    async with ConsoleBrowser(console_server) as browser:
        browser.client.session.cookie_jar.update_cookies({"zc_console": "A" * 43}, console_server.make_url("/"))
        await browser.get("/signin")
        signed = await browser.client.post("/signin", data={"login": "clerk", "password": PASSWORD, "csrf": browser.csrf},
                                           allow_redirects=False)
        assert signed.status == 303
        issued = signed.cookies["zc_console"].value
        assert issued != "A" * 43 and len(issued) == 43  # a new id, never the planted one
        overview = await browser.get("/")
        assert overview.status == 200 and "clerk" in overview.body_text
        await browser.post("/signout")
        async with console_app.db.session() as session:
            assert (await session.execute(ConsoleSession.__table__.select())).all() == []
        after = await browser.client.get("/", allow_redirects=False)
        assert after.status == 303


async def test_staff_gets_a_403_page_on_account_management(console_server):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        page = await browser.get("/accounts")
        assert page.status == 403 and "仅限管理员" in page.body_text
        posted = await browser.post("/accounts/add", {"login": "sneaky", "role": "admin"})
        assert posted.status == 403
        overview = await browser.get("/")
        assert 'href="/accounts"' not in overview.body_text  # not even offered in the navigation


async def test_https_behind_a_trusted_proxy_marks_the_cookie_secure(console_app):
    from aiohttp.test_utils import TestServer

    from bot.console.server import ConsoleConfig, create_app

    server = TestServer(create_app(console_app, ConsoleConfig(trust_proxy=True)), host="127.0.0.1")
    await server.start_server()
    try:
        async with ConsoleBrowser(server, **{"X-Forwarded-Proto": "https"}) as browser:
            response = await browser.client.get("/signin", headers=browser.headers)
            raw = response.headers.getall("Set-Cookie")
            assert any(c.startswith("__Host-zc_console_pre=") and "Secure" in c and "SameSite=Strict" in c for c in raw)
    finally:
        await server.close()


async def test_audit_page_filters_and_exports_csv(console_server, console_app, clock):
    async with console_app.db.session() as session:
        audit.record(session, "clerk", "account_add", clock.now() - timedelta(days=3), "=cmd|' /C calc'!A0", {}, "10.1.1.1")
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("chief")
        page = await browser.get("/audit?login=clerk")
        assert page.status == 200 and "10.1.1.x" in page.body_text and "10.1.1.1" not in page.body_text
        assert "登录" not in page.body_text.split("<tbody>")[1]  # chief's sign-in is filtered out
        export = await browser.get("/audit.csv?login=clerk&since=2020-01-01&until=bad-date")
        assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
        lines = export.body_text.lstrip("\ufeff").splitlines()
        assert lines[0].startswith("时间,账号,操作")
        assert len(lines) == 2 and ",'=cmd|" in lines[1]  # the formula is text, never run
        fragment = await browser.get("/audit?action=sign_in", headers={"HX-Request": "true"})
        assert "<html" not in fragment.body_text and "chief" in fragment.body_text


async def test_a_day_without_failures_starts_the_count_again(console_any_app, clock):
    limit = throttle.SignInThrottle("salt")
    async with console_any_app.db.session() as session:
        for _ in range(8):
            await limit.failed(session, "clerk", "10.0.0.1", clock.now())
        assert await limit.wait_seconds(session, "clerk", "10.0.0.1", clock.now()) > 0
        clock.advance(hours=25)
        await limit.failed(session, "clerk", "10.0.0.1", clock.now())  # counted as the first again
        assert await limit.wait_seconds(session, "clerk", "10.0.0.1", clock.now()) == 0


def test_check_reports_a_console_text_the_file_lacks(tmp_path):
    import shutil

    from bot.console.check import check_console, used_keys
    from bot.paths import content_root

    shutil.copytree(content_root() / "dialogs", tmp_path / "dialogs")
    assert check_console(tmp_path) == []
    assert {"console.signin.failed", "console.nav.units", "console.role.admin"} <= used_keys()
    path = tmp_path / "dialogs" / "texts_console.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    slow_down:", "    slow_down_renamed:"), encoding="utf-8")
    problems = check_console(tmp_path)
    assert [p.reason for p in problems] == ["text key 'console.signin.slow_down' is used by the console but missing"]


async def test_a_cut_audit_export_says_so_and_is_written_off_the_event_loop(console_app, console_server, monkeypatch):
    import threading

    monkeypatch.setattr(audit, "EXPORT_LIMIT", 2)
    original, threads = audit.to_csv, []

    def spy(*args):  # noqa: ANN002, ANN202
        threads.append(threading.current_thread() is threading.main_thread())
        return original(*args)

    monkeypatch.setattr(audit, "to_csv", spy)
    async with console_app.db.session() as session:
        for n in range(3):
            audit.record(session, "clerk", "account_add", console_app.services.clock.now(), f"a{n}", {}, "10.0.0.1")
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("chief")
        export = await browser.get("/audit.csv?login=clerk")
        lines = export.body_text.lstrip("\ufeff").splitlines()
        assert export.headers["X-Export-Cut-At"] == "2" and len(lines) == 1 + 2 + 1
        assert lines[-1].startswith("（导出到此为止") and "超过 2 条" in lines[-1] and "缩小筛选范围" in lines[-1]
        whole = await browser.get("/audit.csv?login=clerk&action=account_add&since=2000-01-01")
        assert "X-Export-Cut-At" in whole.headers  # still 3 entries
        one = await browser.get("/audit.csv?login=nobody")
        assert "X-Export-Cut-At" not in one.headers and "导出到此为止" not in one.body_text
    assert threads == [False, False, False]
