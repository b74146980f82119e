"""The short-text language detector (bot/core/language.py) on the labelled set and its edge cases."""

from __future__ import annotations

import pytest
import yaml

from bot.core.language import detect_language
from bot.paths import PROJECT_ROOT

LABELLED = PROJECT_ROOT / "tests" / "data" / "lang_detect.yaml"


def _labelled() -> list[tuple[str, str | None]]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [(text, None if label == "none" else label) for label, texts in data.items() for text in texts]


def test_the_labelled_set_is_large_and_varied():
    cases = _labelled()
    assert len(cases) >= 300
    assert all(isinstance(text, str) for text, _ in cases)  # YAML's yes/no/1 must be quoted
    labels = {label for _, label in cases}
    assert labels == {"zh", "en", None}


def test_at_least_98_percent_right_and_no_chinese_text_taken_for_english():
    cases = _labelled()
    wrong = [(text, label, detect_language(text)) for text, label in cases if detect_language(text) != label]
    chinese_as_english = [w for w in wrong if w[1] == "zh" and w[2] == "en"]
    assert not chinese_as_english
    right = 1 - len(wrong) / len(cases)
    assert right >= 0.98, wrong


@pytest.mark.parametrize("text", ["我的PE证书怎么办", "HR要交什么材料", "PDF格式可以吗", "ok，谢谢", "hi，请问评审费多少",
                                  "do I 需要 公示", "可以用English答辩吗", "ＰＥ证书"])
def test_a_chinese_question_with_latin_words_stays_chinese(text):
    assert detect_language(text) == "zh"


@pytest.mark.parametrize("text", ["how do I log in to 山东省专业技术人员管理服务平台", "what does 以附件1为准 mean"])
def test_an_english_sentence_quoting_a_chinese_name_is_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["zhicheng shenbao", "pingshen fei duoshao", "zige zice"])
def test_pinyin_is_written_by_someone_who_reads_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["PE", "HR ID", "PDF", "QQ"])
def test_acronyms_alone_do_not_tell(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["123", "0532-85161632", "１２", "3.5", "QD2024001", "XHA-2024-0012"])
def test_numbers_and_codes_do_not_tell(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["xhazjk@163.com", "www.xihaian.gov.cn", "https://117.73.253.239:9000/sdzc-web-ui/login.html"])
def test_addresses_and_links_do_not_tell(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["😊", "👍 👍", "?", "！！", "...", "", "   ", "\n"])
def test_emoji_punctuation_and_nothing_do_not_tell(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["ok", "OK", "hi", "hello", "thx", "yes", "no", "haha"])
def test_chat_interjections_alone_do_not_tell(text):
    assert detect_language(text) is None


def test_capitals_shouted_are_still_english():
    assert detect_language("HOW MUCH IS THE FEE") == "en"


def test_other_scripts_alone_do_not_tell():
    assert detect_language("Как подать заявку") is None
    assert detect_language("こんにちは") is None


def test_english_words_are_english():
    assert detect_language("fee") == "en"
    assert detect_language("When is the deadline?") == "en"
