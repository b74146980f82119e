"""Normalisation: the same pipeline for entries and queries (NFKC, case, t2s, fillers, synonyms)."""

from __future__ import annotations

import pydantic
import pytest

from bot.knowledge.normalize import Normalizer
from bot.knowledge.schema import SynonymGroup, SynonymsFile


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer(
        SynonymsFile(
            synonyms=[
                SynonymGroup(canonical="评审费", variants=["多少钱", "收费", "费用"]),
                SynonymGroup(canonical="截止", variants=["截至"]),
                SynonymGroup(canonical="什么时候", variants=["啥时候", "几号"]),
                SynonymGroup(canonical="高级工程师", variants=["高工", "副高"]),
                SynonymGroup(canonical="邮寄", variants=["快递", "寄"]),
            ],
            fillers=["请问", "谢谢", "吗", "呢"],
            stopwords=["的", "了"],
            domain_words=["工业互联网", "评审费"],
        )
    )


def test_full_width_case_and_traditional_meet_the_simplified_form(norm):
    assert norm.normalize("ＱＱ群號是多少？") == norm.normalize("qq群号是多少")
    assert norm.normalize("評審費") == "评审费"
    assert norm.normalize("Ａ３紙") == "a3纸"


def test_a_pinyin_reading_in_brackets_after_a_character_is_dropped(norm):
    assert norm.normalize("評(píng)審費(fèi)多少") == norm.normalize("评审费多少")
    assert norm.normalize("評（píng）審費") == "评审费"
    # letters in brackets that are no tone-marked reading stay: an acronym or a plain word
    assert "pmp" in norm.normalize("证书(PMP)")
    assert "ab" in norm.normalize("评审(ab)")


def test_fillers_and_punctuation_are_removed(norm):
    assert norm.normalize("请问，评审费多少钱呢？谢谢！") == "评审费多少钱"


def test_a_concept_named_twice_keeps_its_second_form(norm):
    """The contrast is the question: 评审费和收费一样吗 must not read 评审费和评审费一样."""
    assert norm.normalize("评审费和收费一样") == "评审费和收费一样"
    # without the canonical word the first variant is mapped and a later, different one kept
    assert norm.normalize("收费还是费用") == "评审费还是费用"
    # the same variant twice is one form, mapped both times
    assert norm.normalize("收费收费") == "评审费评审费"
    assert norm.normalize("多少钱") == "评审费"


def test_synonyms_apply_in_one_longest_match_pass(norm):
    assert norm.normalize("截至啥时候") == "截止什么时候"
    assert norm.normalize("高工") == "高级工程师"
    # the canonical form is protected: a variant hidden inside it is not replaced again
    assert norm.normalize("评审费用") == "评审费用"  # not 评审评审费
    assert norm.normalize("邮寄") == "邮寄"
    assert norm.normalize("快递") == "邮寄"


def test_normalisation_is_idempotent(norm):
    for text in ("高工评审费多少钱", "截至几号快递", "評審費用"):
        once = norm.normalize(text)
        assert norm.normalize(once) == once


def test_tokens_are_unigrams_bigrams_and_domain_words(norm):
    tokens = norm.tokens(norm.normalize("工业互联网 qq群"))
    assert "工" in tokens and "工业" in tokens and "#工业互联网" in tokens
    assert "qq" in tokens and "qq群" in tokens
    # no bigram across a word boundary
    assert "网q" not in tokens and "网qq" not in tokens


def test_stopwords(norm):
    assert norm.is_stopword("的") and norm.is_stopword("的了")
    assert not norm.is_stopword("评审")


def test_real_synonyms_cover_the_issue_examples():
    from bot.knowledge.loader import load_knowledge
    from bot.paths import PROJECT_ROOT

    real = Normalizer(load_knowledge(PROJECT_ROOT).synonyms)
    pairs = {
        "截至": "截止",
        "啥时候": "什么时候",
        "快递": "邮寄",
        "网址": "平台",
        "网站": "平台",
        "入口": "平台",
        "继教": "继续教育",
        "助工": "助理工程师",
        "初级": "助理工程师",
        "高工": "高级工程师",
        "副高": "高级工程师",
        "教授级": "正高级",
    }
    for variant, canonical in pairs.items():
        assert real.normalize(variant) == real.normalize(canonical), variant
    assert real.normalize("收费") == real.normalize("评审费")
    assert "评审费" in real.normalize("多少钱")


def test_a_two_character_variant_across_word_edges_stays_as_typed():
    """助工 in 协助|工作 and 高工 in 提高|工资 are no titles; the scan goes on after such a match."""
    norm = Normalizer(
        SynonymsFile(
            synonyms=[
                SynonymGroup(canonical="助理工程师", variants=["助工"]),
                SynonymGroup(canonical="高级工程师", variants=["高工"]),
                SynonymGroup(canonical="评委会", variants=["评委"]),
                SynonymGroup(canonical="申报", variants=["报评"]),
            ]
        )
    )
    assert norm.normalize("协助工作满年") == "协助工作满年"
    assert norm.normalize("提高工资") == "提高工资"
    assert norm.normalize("助工评中级要几年") == "助理工程师评中级要几年"
    assert norm.normalize("高工是几级职称") == "高级工程师是几级职称"
    # 接报|报评|评委: 报评 is passed over, and 评委 after it is still found
    assert norm.normalize("直接报评委") == "直接报评委会"


def test_a_level_excused_word_must_be_foreign_in_the_first_place():
    SynonymsFile(foreign_words=["怎么考"], level_excused_words=["怎么考"])
    with pytest.raises(pydantic.ValidationError, match="not among foreign_words: 怎么报"):
        SynonymsFile(foreign_words=["怎么考"], level_excused_words=["怎么报"])
