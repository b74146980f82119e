"""The knowledge base in chat answers in the turn's language: an English user gets the English
entry with an English source line and English buttons; a Chinese user in the same app gets Chinese
only (in-process, through the conversation core)."""

from __future__ import annotations

import re

from tests.support.helpers import ChatUser

HAN = re.compile(r"[\u4e00-\u9fff]")


def labels(replies) -> list[str]:  # noqa: ANN001
    return [b.text for r in replies for row in r.buttons for b in row]


async def test_an_english_user_gets_the_english_answer_with_english_source_and_buttons(sqlite_app):
    en = ChatUser(sqlite_app, "en-kb-1")
    await en.say("/start", language="en")
    replies = await en.say("how much is the review fee for senior engineer")
    text = replies[-1].text
    assert "360 yuan" in text and "Source: " in text
    assert "评审费" not in text and "来源" not in text
    assert "👍 Helpful" in labels(replies) and "👎 Not helpful" in labels(replies)


async def test_an_english_suggestion_pressed_answers_that_entry_in_english(sqlite_app):
    en = ChatUser(sqlite_app, "en-kb-2")
    await en.say("/start", language="en")
    replies = await en.say("continuing education hours")
    assert replies[-1].text.startswith("I am not sure which of these you mean")
    question = next(label for label in labels(replies) if "continuing education" in label.lower())
    replies = await en.press_label(question)
    assert any("90 hours" in r.text or "5 years" in r.text or "Contact the office" in r.text for r in replies)
    assert not any("学时" in r.text for r in replies)


async def test_an_english_question_nothing_answers_gets_the_english_fallback(sqlite_app):
    en = ChatUser(sqlite_app, "en-kb-3")
    await en.say("/start", language="en")
    replies = await en.say("what is your favourite colour")
    assert replies[-1].text.startswith("Sorry, I found nothing I can answer this with reliably")
    assert "0532-85161632" in replies[-1].text
    other = await en.say("what is the weather in qingdao tomorrow")
    assert other[-1].text.startswith('Your question mentions "weather"') and "0532-85161632" in other[-1].text


async def test_an_english_fallback_with_related_topics_offers_them_in_english(sqlite_app):
    en = ChatUser(sqlite_app, "en-kb-5")
    await en.say("/start", language="en")
    replies = await en.say("my certificate thing")
    text = replies[-1].text
    assert text.startswith("I could not find an exact answer") and "0532-85161632" in text
    assert not HAN.search(text.replace("评审委员会办事机构", ""))
    related = labels(replies)
    assert len(related) == 3 and all("certificate" in label.lower() for label in related)
    # the English learning loop stays off: the buttons carry no question reference
    assert all(b.data.count(":") == 2 for r in replies for row in r.buttons for b in row)
    replies = await en.press_label(related[0])
    assert "Source: " in replies[-1].text and not any("来源" in r.text for r in replies)


async def test_a_chinese_user_in_the_same_app_still_gets_chinese(sqlite_app):
    en = ChatUser(sqlite_app, "en-kb-4")
    zh = ChatUser(sqlite_app, "zh-kb-4")
    await en.say("/start", language="en")
    await zh.say("/start", language="zh")
    await en.say("how much is the review fee for senior engineer")
    replies = await zh.say("评审费多少钱")
    assert "360元" in replies[-1].text and "来源：" in replies[-1].text
    assert "Source:" not in replies[-1].text


async def test_a_chinese_user_writing_english_is_answered_in_english(sqlite_app):
    user = ChatUser(sqlite_app, "zh-kb-5")
    await user.say("/start", language="zh")
    replies = await user.say("how much is the review fee for senior engineer")
    answer = replies[-1].text
    assert "360 yuan" in answer and not HAN.search(answer.split("Source:")[0].replace("鲁发改成本〔2021〕638号", ""))


async def test_sources_lists_the_documents_in_english_for_an_english_user(sqlite_app):
    en = ChatUser(sqlite_app, "en-kb-6")
    await en.say("/start", language="en")
    text = "\n".join(r.text for r in await en.say("/sources"))
    assert "2024 notice of the West Coast New Area" in text and "Known: full text (one of the two seed notices)" in text
    assert "已知" not in text and "缺少" not in text


async def test_broken_english_content_gives_english_users_the_office_and_leaves_chinese_alone(
    tmp_path, monkeypatch, clock, caplog
):
    """Content without its English versions (the fixture knowledge base): English questions get the
    English "not available" text with the office's contacts, one warning is logged, Chinese works."""
    from tests.support.helpers import make_app
    from tests.support.kb_fixtures import make_content_root

    monkeypatch.setenv("CONTENT_DIR", str(make_content_root(tmp_path)))
    app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        en = ChatUser(app, "en-kb-7")
        zh = ChatUser(app, "zh-kb-7")
        await en.say("/start", language="en")
        await zh.say("/start", language="zh")
        with caplog.at_level("WARNING"):
            first = await en.say("how much is the review fee")
            again = await en.say("when is the deadline")
        for replies in (first, again):
            assert replies[-1].text.startswith("The question-and-answer base is not available right now")
        assert sum("English knowledge base not loaded" in r.message for r in caplog.records) == 1
        assert "360元" in (await zh.say("评审费多少钱"))[-1].text
    finally:
        await app.close()


async def test_the_example_questions_shown_to_english_users_are_answered_directly(sqlite_app):
    """The Q&A prompt and /help suggest questions; each must get an answer, not a list to choose from."""
    texts = sqlite_app.services.texts
    shown = texts.get("qa.prompt", "en") + "\n" + texts.get("help.text", "en", **sqlite_app.services.contact_values())
    examples = re.findall(r"[\"•]\s*([A-Z][^\"•\n]*\?)", shown)
    assert len(examples) >= 4, examples
    en = ChatUser(sqlite_app, "en-kb-examples")
    await en.say("/start", language="en")
    for question in examples:
        replies = await en.say(question)
        assert "Source: " in replies[-1].text and "I am not sure which" not in replies[-1].text, (question, replies[-1].text)
