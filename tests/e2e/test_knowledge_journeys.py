"""Knowledge answers through Telegram (the Bot API emulator), for aiogram and for PTB: an answer with
its source line and 👍/👎, "您是不是想问" with buttons that answer the pressed entry, the fallback
with the office's contacts. The bot runs on the fixed fixture knowledge base (CONTENT_DIR)."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.e2e.conftest import count_rows, start_bot
from tests.support.emulator import button_data
from tests.support.kb_fixtures import make_content_root

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"kb-{framework}")
    root = make_content_root(tmp)
    proc = await start_bot(emulator, framework, tmp, extra_env={"CONTENT_DIR": str(root)})
    yield proc
    await proc.stop()


async def test_answer_has_source_line_and_votes_are_stored(bot, tg_user):
    (reply,) = await tg_user.say("評審費多少錢？")
    assert "360元" in reply["text"]
    assert reply["text"].rstrip().endswith("来源：2024年新区通知 三(五)2；鲁发改成本〔2021〕638号 全文，可信度中等")
    buttons = button_data(reply)
    assert buttons["👍 有帮助"].startswith("kb:up:fee-amounts:")  # with the answer's vote token
    assert buttons["👎 没帮助"].startswith("kb:dn:fee-amounts:") and len(buttons) == 2
    answer = await tg_user.press(reply, buttons["👍 有帮助"])
    assert answer["text"] == "谢谢您的反馈！"
    assert count_rows(bot.db_path, "SELECT count(*) FROM kb_feedback WHERE entry_id='fee-amounts' AND vote=1") >= 1


async def test_suggestions_are_buttons_that_answer_the_pressed_entry(bot, tg_user):
    (reply,) = await tg_user.say("评审费")
    assert "您是不是想问" in reply["text"]
    buttons = button_data(reply)
    assert "评审费怎么交？" in buttons and all(d.startswith("kb:a:") for d in buttons.values())
    await tg_user.press(reply, buttons["评审费怎么交？"])
    (answer,) = await tg_user.replies(1)
    assert "扫描二维码" in answer["text"] and answer["text"].rstrip().endswith("来源：2024年新区通知 三(五)1")


async def test_fallback_gives_the_office_contacts(bot, tg_user):
    (reply,) = await tg_user.say("今天天气怎么样")
    assert "0532-85161632" in reply["text"] and "xhazjk@163.com" in reply["text"]
    assert "reply_markup" not in reply or not button_data(reply)


async def test_forged_knowledge_button_gets_a_toast(bot, tg_user):
    (reply,) = await tg_user.say("评审费多少钱")
    answer = await tg_user.press(reply, "kb:a:../../etc/passwd")
    assert "该按钮已失效" in (answer["text"] or "")

