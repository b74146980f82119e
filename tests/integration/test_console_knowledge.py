"""The console's knowledge page and the content reload: a candidate accepted on the page, published by
"reload content" only when ``check`` passes, and swapped into a running bot (another ``App`` on the
same database, as another process would be) only when it loads there too."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import MODULES
from bot.knowledge import reload
from bot.knowledge.models import PhrasingCandidate
from bot.knowledge.reload import LOAD_FAILED, LOADED, PUBLISH, ContentReloader, content_version
from bot.storage.models import AuditEntry
from tests.support.console_fixtures import ConsoleBrowser, console_and_bot
from tests.support.helpers import ChatUser, copy_content

QUESTION = "评审费"
SUGGESTION = "评审费怎么交？"
MODULES_JOBS = {job for module in MODULES for job in module.jobs}
DIRECT = "扫描二维码"  # in the answer of fee-how-to-pay


@pytest.fixture
def content(tmp_path, monkeypatch) -> Path:
    root = copy_content(tmp_path / "content")  # the real content: reload runs every check on it
    monkeypatch.setenv("CONTENT_DIR", str(root))
    return root


@pytest.fixture
async def two_processes(content, tmp_path, clock):
    """(console's app, a running bot's app, the console server): one database, one content root."""
    async with console_and_bot(tmp_path, clock) as setup:
        yield setup


async def actions(app, action: str) -> int:  # noqa: ANN001
    async with app.db.session() as session:
        return await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


async def learn_candidate(bot_app) -> None:  # noqa: ANN001
    user = ChatUser(bot_app, user_id="11")
    await user.say(QUESTION)
    assert "您是不是想问" in user.text, user.text
    await user.press_label(SUGGESTION)


async def ask(bot_app, user_id: str) -> str:  # noqa: ANN001
    user = ChatUser(bot_app, user_id=user_id)
    await user.say(QUESTION)
    return user.text


async def test_accepted_phrasing_is_answered_directly_after_reload(two_processes, content):
    console_app, bot_app, server = two_processes
    reloader = ContentReloader(bot_app.conversation.free_text, bot_app.db, bot_app.services.clock)
    await reloader.start()
    await learn_candidate(bot_app)
    async with ConsoleBrowser(server) as browser:
        await browser.sign_in("clerk")
        page = (await browser.get("/knowledge")).body_text
        candidate = re.search(r'data-candidate="(\d+)"><td>评审费</td>', page)
        assert candidate, page
        accepted = await browser.post(f"/knowledge/candidates/{candidate.group(1)}/accept")
        assert accepted.status == 200 and "已把“评审费”写入" in accepted.body_text
        async with console_app.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(PhrasingCandidate)) == 0
        assert "您是不是想问" in await ask(bot_app, "12")  # files changed, nothing published yet
        assert await reloader.tick() is None
        reloaded = await browser.post("/knowledge/reload")
        assert reloaded.status == 200 and content_version(content) in reloaded.body_text
        assert await reloader.tick() is True
        answer = await ask(bot_app, "13")
        assert DIRECT in answer and "您是不是想问" not in answer
        shown = (await browser.get("/knowledge")).body_text
        assert f"已加载版本 {content_version(content)}" in shown
    assert await actions(console_app, PUBLISH) == 1 and await actions(console_app, LOADED) == 1


async def test_a_broken_file_is_not_published_and_the_bot_keeps_its_content(two_processes, content):
    console_app, bot_app, server = two_processes
    reloader = ContentReloader(bot_app.conversation.free_text, bot_app.db, bot_app.services.clock)
    await reloader.start()
    entries = sorted((content / "knowledge" / "entries").glob("*.yaml"))[0]
    good = entries.read_text(encoding="utf-8")
    entries.write_text(good + "\n  - id: [unclosed\n", encoding="utf-8")
    async with ConsoleBrowser(server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/knowledge")
        refused = await browser.post("/knowledge/reload")
        assert refused.status == 422 and "没有发布" in refused.body_text
        assert re.search(rf"knowledge/entries/{re.escape(entries.name)}:\d+", refused.body_text)
        assert await actions(console_app, PUBLISH) == 0
        assert await reloader.tick() is None
        assert "您是不是想问" in await ask(bot_app, "21")  # still answering with the content it loaded

        entries.write_text(good, encoding="utf-8")  # fixed: published; then broken again before the bot loads
        assert (await browser.post("/knowledge/reload")).status == 200
        entries.write_text(good + "\n  - id: [unclosed\n", encoding="utf-8")
        assert await reloader.tick() is False
        assert "您是不是想问" in await ask(bot_app, "22")
        shown = (await browser.get("/knowledge")).body_text
        assert "加载失败" in shown and re.search(rf"knowledge/entries/{re.escape(entries.name)}:\d+", shown)
    assert await actions(console_app, LOAD_FAILED) == 1


async def test_reject_and_a_vanished_candidate(two_processes):
    console_app, bot_app, server = two_processes
    await learn_candidate(bot_app)
    async with console_app.db.session() as session:
        (candidate_id,) = (await session.execute(select(PhrasingCandidate.id))).scalars().all()
    async with ConsoleBrowser(server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/knowledge")
        rejected = await browser.post(f"/knowledge/candidates/{candidate_id}/reject")
        assert rejected.status == 200 and "已驳回" in rejected.body_text
        again = await browser.post(f"/knowledge/candidates/{candidate_id}/accept")
        assert again.status == 404 and "已不存在" in again.body_text


async def test_the_background_job_of_a_bot_process_swaps_in_what_is_published(two_processes, content, monkeypatch):
    """``reload_job`` (declared in bot/knowledge/module.py, run beside the updates): it takes the
    newest publication at start as known, and loads the next one within a poll."""
    console_app, bot_app, _server = two_processes
    monkeypatch.setattr(reload, "POLL_SECONDS", 0.05)
    assert "bot.knowledge.reload:reload_job" in MODULES_JOBS
    feature = bot_app.conversation.free_text
    before = feature.answerer
    async with console_app.db.session() as session:
        reload.publish(session, console_app.services.clock.now(), content_version(content), "test")
    job = asyncio.create_task(reload.reload_job(bot_app, {}))
    try:
        await asyncio.sleep(2)  # started: the publication above is the baseline, nothing loaded
        assert feature.answerer is before and await actions(console_app, LOADED) == 0
        async with console_app.db.session() as session:
            reload.publish(session, console_app.services.clock.now(), content_version(content), "test")
        for _ in range(200):
            if feature.answerer is not before:
                break
            await asyncio.sleep(0.05)
        assert feature.answerer is not before
    finally:
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
    assert await actions(console_app, LOADED) == 1
