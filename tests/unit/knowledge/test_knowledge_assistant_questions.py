"""The patterns of questions about the assistant (knowledge/assistant_questions.yaml): matching is
containment of every word on the folded question, per language; the checker holds the file to its
texts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.loader import ContentError
from bot.knowledge.assistant_questions import AssistantQuestions, check_assistant_questions
from bot.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def real() -> AssistantQuestions:
    return AssistantQuestions.load(PROJECT_ROOT)


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("你能干啥？", "help"),
        ("你 是 机器人 吗", "help"),
        ("我的申请编号怎么查进度", "status"),
        ("到时候能提醒我吗", "reminders"),
        ("怎么删除我的信息", "privacy"),
        ("怎麼刪除我的信息", "privacy"),
        ("你們保存了我哪些資料", "privacy"),
    ],
)
def test_questions_about_the_assistant_are_found(real, question, name):
    found = real.find(question)
    assert found is not None and found.name == name


@pytest.mark.parametrize(
    "question",
    [
        "工业机器人工程师能报吗",
        "评审费多少钱",
        "怎么查询申报审核进度",
        "评审通知发了吗",
        "能提醒一下截止时间吗",
        "涉及个人隐私的材料要公示吗",
        "申报平台有哪些功能",
        "怎么删除我的申报信息重新填",
    ],
)
def test_questions_about_the_review_are_not_taken(real, question):
    assert real.find(question) is None


def test_each_language_has_its_own_patterns(real):
    assert real.find("what can you do", "en").name == "help"
    assert real.find("what can you do", "zh") is None
    assert real.find("你能干啥", "en") is None


def _root_with(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "dialogs", root / "dialogs")
    (root / "knowledge").mkdir()
    (root / "knowledge" / "assistant_questions.yaml").write_text(text, encoding="utf-8")
    return root


def test_the_checker_wants_a_text_for_every_reply_and_menu(tmp_path):
    assert check_assistant_questions(PROJECT_ROOT) == []
    root = _root_with(tmp_path, "questions:\n  weather:\n    menu: forecast\n    zh: [[天气]]\n")
    reasons = [p.reason for p in check_assistant_questions(root)]
    assert reasons == ["weather: no text knowledge.assistant.weather", "weather: no text menu.forecast"]


def test_a_pattern_without_words_is_refused(tmp_path):
    root = _root_with(tmp_path, "questions:\n  help:\n    zh: [[\"？！\"]]\n")
    assert check_assistant_questions(root)
    with pytest.raises(ContentError):
        AssistantQuestions.load(root)


@pytest.mark.parametrize(
    ("text", "language", "acknowledged"),
    [
        ("收到", "zh", True),
        ("好的收到，谢谢！", "zh", True),
        ("知道了谢谢老师", "zh", True),
        ("OK, thanks!", "en", True),
        ("thanks", "zh", True),  # a Chinese user's English thank-you is one too
        ("收到退回通知怎么办", "zh", False),
        ("好的，那评审费多少钱", "zh", False),
        ("行不行", "zh", False),
        ("👍", "zh", False),  # no letters: the core's reply to symbols stands
        ("谢谢" * 30, "zh", False),  # too long to be a bare acknowledgement
    ],
)
def test_a_bare_acknowledgement_is_told_from_a_question(real, text, language, acknowledged):
    assert real.acknowledges(text, language) is acknowledged


def test_the_checker_wants_the_acknowledgement_text(tmp_path):
    root = _root_with(tmp_path, "questions: {}\nacknowledgements:\n  zh: [收到]\n")
    (root / "dialogs" / "texts_knowledge.yaml").write_text(
        (root / "dialogs" / "texts_knowledge.yaml").read_text(encoding="utf-8").replace("    acknowledged:", "    acknowledged_x:"),
        encoding="utf-8",
    )
    assert [p.reason for p in check_assistant_questions(root)] == ["acknowledgements: no text knowledge.assistant.acknowledged"]
