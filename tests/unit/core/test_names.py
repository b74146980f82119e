"""Names typed into a question are masked before it is kept; the questions people ask about the
review itself, which hold no name, stay as typed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.names import mask_names
from bot.core.sanitize import MASK, mask_personal
from bot.knowledge.feedback import scrub


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("我叫王小红，想问中级要几年", "我叫＊，想问中级要几年"),
        ("我叫张伟想问下评审费", "我叫＊想问下评审费"),
        ("申报人：赵敏，编号多少", "申报人：＊，编号多少"),
        ("姓名 欧阳娜娜", "姓名 ＊"),
        ("张三明的进度", "＊的进度"),
        ("李娜的进度怎么样了", "＊的进度怎么样了"),
        ("同事刘德华的评审表寄哪", "同事＊的评审表寄哪"),
        ("帮王强查一下进度", "帮＊查一下进度"),
        ("查询陈晨的状态", "查询＊的状态"),
        ("my name is Anna Li, can I apply", "my name is ＊, can I apply"),
    ],
)
def test_a_name_put_into_a_question_is_masked(typed: str, kept: str) -> None:
    assert mask_names(typed, MASK) == kept


@pytest.mark.parametrize(
    "question",
    ["高级工程师的进度", "单位的进度", "黄岛的地址在哪", "周末的进度", "石化的申报进度", "何时出结果", "黄河路的材料", "高中的结果"],
)
def test_words_shaped_like_names_stay(question: str) -> None:
    assert mask_names(question, MASK) == question


def test_no_question_of_the_dev_and_real_sets_loses_a_word() -> None:
    """The labelled questions (2,800 and more, none with a person's name) are kept as typed: the
    masker does not eat the words the review's questions are made of."""
    changed = []
    for path in Path("tests/data").rglob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        for item in data.get("questions") or []:
            if isinstance(item, dict) and isinstance(item.get("q"), str) and mask_names(item["q"], MASK) != item["q"]:
                changed.append(item["q"])
    assert changed == []


def test_what_is_kept_of_a_question_holds_no_name_number_or_address() -> None:
    kept = scrub("我叫王小红，电话13812345678，邮箱 wang@example.com，张三明的进度呢")
    assert "王小红" not in kept and "张三明" not in kept and "1381234" not in kept and "example" not in kept
    assert mask_personal("评审费多少钱") == "评审费多少钱"
