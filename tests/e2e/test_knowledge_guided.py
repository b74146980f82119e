"""A guided answer through Telegram (the Bot API emulator), for aiogram and for PTB: a clearly best
entry at middle confidence is answered under a header naming its question, with the two runner-ups
as buttons; pressing one answers that entry. A fallback offers related topics the same way. A module of its own: its bot must be the only one
polling the emulator (module-scoped bots of another module are stopped by then)."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.e2e.conftest import start_bot
from tests.support.emulator import button_data
from tests.support.kb_fixtures import RELATED, make_content_root, write_knowledge

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def guided_bot(emulator, framework, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"kb-guided-{framework}")
    root = make_content_root(tmp)
    write_knowledge(root, matcher=RELATED)
    proc = await start_bot(emulator, framework, tmp, extra_env={"CONTENT_DIR": str(root)})
    yield proc
    await proc.stop()


async def test_guided_answer_has_header_and_runner_up_buttons(guided_bot, tg_user):
    (reply,) = await tg_user.say("网上报名的最后日子")
    assert reply["text"].startswith("关于「网上申报什么时候截止」：\n") and "不是这个？" in reply["text"]
    buttons = button_data(reply)
    runner_ups = {label: data for label, data in buttons.items() if data.startswith("kb:a:")}
    assert len(runner_ups) == 2 and "kb:a:online-deadline" not in runner_ups.values()
    assert buttons["👍 有帮助"].startswith("kb:up:online-deadline:")
    await tg_user.press(reply, runner_ups["纸质材料送到哪里？"])
    (answer,) = await tg_user.replies(1)
    assert "水灵山路188号" in answer["text"] and not answer["text"].startswith("关于「")


async def test_fallback_offers_related_topics_as_buttons(guided_bot, tg_user):
    (reply,) = await tg_user.say("我想问一下交钱的事情")
    assert reply["text"].startswith("这个问题我没有找到确切的答案") and "0532-85161632" in reply["text"]
    buttons = button_data(reply)
    assert buttons["评审费怎么交？"].startswith("kb:a:fee-payment:")
    assert not any(data.startswith(("kb:up:", "kb:dn:")) for data in buttons.values())
    await tg_user.press(reply, buttons["评审费怎么交？"])
    (answer,) = await tg_user.replies(1)
    assert "评审费" in answer["text"] and button_data(answer)["👍 有帮助"].startswith("kb:up:fee-payment:")
