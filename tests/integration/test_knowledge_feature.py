"""The knowledge base in chat: answer with source and 👍/👎, suggestions as buttons, fallback with
the office's contacts, votes and unanswered questions stored without personal data."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.clock import LOCAL_TZ
from bot.knowledge.feedback import scrub
from bot.knowledge.models import AnswerFeedback, QuestionRef, UnansweredQuestion
from tests.support.helpers import ChatUser, make_app, make_clock
from tests.support.kb_fixtures import ENTRIES, make_content_root, write_knowledge

FIXTURE_PHONE = "0532-12345678"
FIXTURE_EMAIL = "kb-test@example.org"


@pytest.fixture
def content(tmp_path, monkeypatch):
    root = make_content_root(tmp_path)
    office = root / "rules" / "office.yaml"
    text = office.read_text(encoding="utf-8")
    text = text.replace("0532-85161632", FIXTURE_PHONE).replace("xhazjk@163.com", FIXTURE_EMAIL)
    office.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CONTENT_DIR", str(root))
    return root


@pytest.fixture
async def kb_app(content, tmp_path, clock):
    app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        yield app
    finally:
        await app.close()


async def rows(app, model):
    async with app.db.session() as s:
        return list((await s.execute(select(model))).scalars().all())


async def test_answer_ends_with_source_line_and_has_vote_buttons(kb_app):
    user = ChatUser(kb_app)
    await user.say("评审费多少钱？")
    assert "360元" in user.text
    assert user.text.rstrip().splitlines()[-1] == "来源：2024年新区通知 三(五)2；鲁发改成本〔2021〕638号 全文，可信度中等"
    up, down = user.button_data
    # both carry the answer's vote token; 👎 also names the question it was asked for
    token = re.fullmatch(r"kb:up:fee-amounts:([A-Za-z0-9_-]{7})", up).group(1)
    assert re.fullmatch(rf"kb:dn:fee-amounts:{re.escape(token)}:[a-z2-7]{{9}}", down)
    assert user.button_labels == ["👍 有帮助", "👎 没帮助"]
    assert await rows(kb_app, UnansweredQuestion) == []


async def test_votes_are_stored_per_entry_without_user(kb_app):
    user = ChatUser(kb_app)
    await user.say("评审费多少钱")
    replies = await user.press_label("👍 有帮助")
    assert replies[0].toast == "谢谢您的反馈！"
    await user.say("纸质材料送到哪里")
    replies = await user.press_label("👎 没帮助")
    assert FIXTURE_PHONE in replies[0].toast
    votes = sorted((v.entry_id, v.vote) for v in await rows(kb_app, AnswerFeedback))
    assert votes == [("fee-amounts", 1), ("paper-address", -1)]
    assert "user_id" not in {c.name for c in AnswerFeedback.__table__.columns}


@pytest.mark.parametrize("data", ["kb:a:nope", "kb:zz:fee-amounts", "kb:", "kb:a:fee-amounts:x"])
async def test_forged_buttons_get_a_toast_and_store_nothing(kb_app, data):
    user = ChatUser(kb_app)
    replies = await user.press(data)
    assert len(replies) == 1 and replies[0].toast == "该按钮已失效，请重新操作。" and not replies[0].text
    assert await rows(kb_app, AnswerFeedback) == []


@pytest.mark.parametrize("data", ["kb:up:no-such-entry", "kb:up:", "kb:dn:fee-amounts", "kb:up:fee-amounts:AAAAAAA"])
async def test_forged_votes_get_a_toast_and_store_nothing(kb_app, data):
    user = ChatUser(kb_app)
    replies = await user.press(data)
    assert len(replies) == 1 and replies[0].toast.startswith("评价未记录") and not replies[0].text
    assert await rows(kb_app, AnswerFeedback) == []


async def test_ambiguous_question_offers_top_three_as_buttons_and_pressing_answers(kb_app):
    user = ChatUser(kb_app)
    await user.say("评审费")
    assert "您是不是想问" in user.text
    assert FIXTURE_PHONE in user.text  # the footer offers the office as well
    assert 2 <= len(user.button_data) <= 3
    assert all(d.startswith("kb:a:") for d in user.button_data)
    assert {"评审费是多少？", "评审费怎么交？"} <= set(user.button_labels)
    await user.press_label("评审费怎么交？")
    assert "扫描二维码" in user.text
    assert user.text.rstrip().endswith("来源：2024年新区通知 三(五)1")
    _, _, _, token, question_ref = user.button_data[1].split(":")
    assert user.button_data == [f"kb:up:fee-payment:{token}", f"kb:dn:fee-payment:{token}:{question_ref}"]
    stored = await rows(kb_app, UnansweredQuestion)
    assert [(r.outcome, r.count) for r in stored] == [("suggest", 1)]


async def test_typing_a_suggested_question_answers_it(kb_app):
    user = ChatUser(kb_app)
    await user.say("評審費交給誰？")  # traditional, full-width punctuation: the exact path
    assert "扫描二维码" in user.text


async def test_unknown_question_falls_back_with_office_contacts_from_rules(kb_app):
    user = ChatUser(kb_app)
    await user.say("今天天气怎么样")
    assert FIXTURE_PHONE in user.text and FIXTURE_EMAIL in user.text
    assert user.button_data == []


async def test_unanswered_questions_are_counted_without_personal_data(kb_app):
    user = ChatUser(kb_app)
    other = ChatUser(kb_app, user_id="2002")
    await user.say("我手机13812345678，身份证370202199001011234X，今天天气怎么样")
    await other.say("今天天气怎么样？")
    await other.say("今天天气怎么样")
    stored = await rows(kb_app, UnansweredQuestion)
    texts = {r.text: r.count for r in stored}
    assert texts["今天天气怎么样？"] == 2
    leaked = [t for t in texts if "13812345678" in t or "370202" in t]
    assert leaked == []
    assert any("＊" in t for t in texts)
    columns = set(UnansweredQuestion.__table__.columns.keys())
    assert not any("user" in c or "chat" in c for c in columns)


async def test_an_e_mail_address_reaches_no_stored_column(kb_app):
    """Normalising drops the @ and the dots, so an address scrubbed after normalising would survive
    as plain words in the key that groups rephrasings: neither the key nor the text may keep it."""
    user = ChatUser(kb_app)
    await user.say("我的邮箱是zhang.san@example.com，电话13812345678，今天天气怎么样")
    await user.say("我的邮箱是zhang.san@example.com，评审费多少钱")
    stored = [(r.key, r.text) for r in await rows(kb_app, UnansweredQuestion)]
    stored += [(r.key, r.text) for r in await rows(kb_app, QuestionRef)]
    assert stored  # the questions were recorded, without the address
    for values in stored:
        for value in values:
            assert "zhang" not in value and "example" not in value and "13812345678" not in value, value


def test_scrub_keeps_years_and_small_numbers():
    assert scrub("2024年 5个工作日 360元") == "2024年 5个工作日 360元"
    assert scrub("电话0532-85161632 邮箱 a.b@c.com 身份证 37020219900101123x") == "电话＊ 邮箱 ＊ 身份证 ＊"
    assert scrub("１３８１２３４５６７８") == "＊"


async def test_deadline_answers_note_the_end_of_the_cycle(kb_app, clock):
    user = ChatUser(kb_app)
    clock.set(datetime(2024, 8, 30, 20, 0, tzinfo=LOCAL_TZ))
    await user.say("网上申报什么时候截止")
    assert "已于" not in user.text
    clock.set(datetime(2024, 8, 31, 9, 0, tzinfo=LOCAL_TZ))
    await user.say("网上申报什么时候截止")
    note = user.last[0].text.split("\n", 1)[0]
    assert note.startswith("提示：2024年度通知是目前掌握的最新一期") and "2024年8月30日截止" in note
    await user.say("纸质材料送到哪里")  # cycle: all
    assert "提示" not in user.text


async def test_without_cycle_file_the_year_decides(content, tmp_path):
    (content / "rules" / "cycles" / "2024.yaml").unlink()
    clock = make_clock("2024-12-31T23:00:00")
    app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        user = ChatUser(app)
        await user.say("网上申报什么时候截止")
        assert "提示" not in user.text
        clock.set(datetime(2025, 1, 2, 9, 0, tzinfo=LOCAL_TZ))
        await user.say("网上申报什么时候截止")
        note = user.last[0].text.split("\n", 1)[0]
        assert note.startswith("提示：以下是2024年度通知（目前掌握的最新一期）的规定") and "该年度申报已结束" in note
    finally:
        await app.close()


async def test_long_answers_are_split_with_buttons_on_the_last_part(content, tmp_path, clock):
    entries = copy.deepcopy(ENTRIES)
    entries["entries"][2]["answer"] = "\n\n".join(["网上报名截止时间为2024年8月30日。" + "说明" * 1000] * 4)
    write_knowledge(content, entries)
    app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        user = ChatUser(app)
        replies = await user.say("网上申报什么时候截止")
        assert len(replies) >= 2
        assert all(len(r.text) <= 4096 for r in replies)
        assert [bool(r.buttons) for r in replies] == [False] * (len(replies) - 1) + [True]
        assert replies[-1].text.endswith("来源：2024年新区通知 五(四)")
    finally:
        await app.close()


async def test_broken_knowledge_file_does_not_stop_the_bot(content, tmp_path, clock):
    (content / "knowledge" / "entries" / "fixture.yaml").write_text("entries: [{id: x}]\n", encoding="utf-8")
    app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        user = ChatUser(app)
        await user.say("评审费多少钱")
        assert "暂时不可用" in user.text and FIXTURE_PHONE in user.text
        await user.say("/help")
        assert "使用帮助" in user.text
    finally:
        await app.close()


async def test_real_knowledge_base_in_chat(user, app):
    await user.say("評審費多少錢？")
    assert "360" in user.text
    assert user.text.rstrip().splitlines()[-1].startswith("来源：2024年新区通知 三(五)2")
    await user.say("今天天气怎么样")
    assert app.services.office.phone in user.text and app.services.office.email in user.text
    async with app.db.session() as s:
        assert (await s.execute(select(func.count()).select_from(UnansweredQuestion))).scalar_one() == 1


async def test_terminal_chat_shows_suggestions_as_numbered_buttons(kb_app):
    import io

    from bot.channels.terminal import TerminalChat

    out = io.StringIO()
    chat = TerminalChat(kb_app.conversation, user_id="term", out=out)
    await chat.send("评审费")
    assert "您是不是想问" in out.getvalue() and "[1] " in out.getvalue()
    labels = [b.text for b in chat._buttons]
    await chat.send(str(labels.index("评审费怎么交？") + 1))
    assert "扫描二维码" in out.getvalue() and "来源：2024年新区通知 三(五)1" in out.getvalue()
    assert "[1] 👍 有帮助  [2] 👎 没帮助" in out.getvalue()


async def test_a_thank_you_gets_you_are_welcome_and_is_no_gap(tmp_path, clock):
    from bot.content.texts import Texts, text_files
    from bot.paths import PROJECT_ROOT

    welcome = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT).get("knowledge.assistant.acknowledged", "zh")
    app = await make_app("sqlite", tmp_path, clock=clock)  # the real content and its acknowledgements
    try:
        user = ChatUser(app)
        await user.say("收到，谢谢！")
        assert user.text == welcome and user.button_data == []
        await user.say("ok thanks")
        assert user.text == welcome
        await user.say("收到退回通知怎么办")  # more than an acknowledgement: a question
        assert user.text != welcome
        assert "收到，谢谢！" not in [r.text for r in await rows(app, UnansweredQuestion)]
    finally:
        await app.close()
