"""Confidence a user can see: source lines generated from the document data, /sources, the web
page's section, and `check` refusing a rule or entry row without a source."""

from __future__ import annotations

import yaml

from bot.app import content_checkers
from bot.content.check import run_checks
from bot.paths import PROJECT_ROOT
from bot.reference.documents import Citer, Document, describe, load_documents
from tests.support.helpers import copy_content

TEXTS = {
    "sources.item": "{name}{section}{notes}",
    "sources.section": " {section}",
    "sources.section_separator": "、",
    "sources.note": "，{text}",
    "sources.separator": "；",
    "sources.confidence.medium": "可信度中等",
    "sources.confidence.low": "可信度低",
}


def t(key: str, **values) -> str:
    return TEXTS[key].format(**values)


def doc(**fields) -> Document:
    base = {"id": "d", "title": "标题", "issuer": "发文机关", "kind": "policy", "short": "短名", "confidence": "high",
            "known": "全文"}
    return Document.model_validate(base | fields)


def test_a_notice_is_named_plainly():
    citer = Citer({"d": doc()}, t)
    assert citer.item("d", "三(五)1") == "短名 三(五)1"
    assert citer.plain("d")


def test_an_english_reader_gets_numbered_sections_in_arabic_numbers():
    citer = Citer({"d": doc()}, t, {"全文": "full text"}, arabic=True)
    assert citer.item("d", ["三(五)1", "一2", "五(四)", "四"]) == "短名 3(5).1、1.2、5(4)、4"
    assert citer.item("d", "全文") == "短名 full text"  # a worded label takes its translation
    assert citer.item("d", "助理工程师") == "短名 助理工程师"  # no numbered section: as it is


def test_caveat_label_and_confidence_come_from_the_data():
    citer = Citer({"d": doc(label="国家基本标准（人社部发〔2019〕16号）", confidence="medium", caveat="以附件1为准")}, t)
    assert citer.item("d", "助理工程师") == "国家基本标准（人社部发〔2019〕16号） 助理工程师，以附件1为准，可信度中等"
    assert not citer.plain("d")


def test_a_row_can_only_lower_the_confidence():
    citer = Citer({"d": doc()}, t)
    assert citer.item("d", "二1", "low") == "短名 二1，可信度低"
    assert Citer({"d": doc(confidence="low")}, t).item("d", "二1", "high") == "短名 二1，可信度低"


def test_sections_of_one_document_share_one_item():
    citer = Citer({"a": doc(id="a", short="甲文", caveat="只见到摘录"), "b": doc(id="b", short="乙文")}, t)
    items = citer.items([("a", "一", None), ("b", "二", None), ("a", "三", "medium")])
    assert citer.join(items) == "甲文 一、三，只见到摘录，可信度中等；乙文 二"


def test_the_shipped_documents_say_what_is_known_and_missing():
    documents = load_documents(PROJECT_ROOT)
    assert {"n2024", "q2022_128", "rsbf2019_16", "rsb2018_crossover", "lrs2021_70"} <= set(documents)
    assert documents["q2022_128"].caveat and "129号" in documents["q2022_128"].caveat
    assert documents["rsbf2019_16"].caveat == "以附件1为准" and documents["rsbf2019_16"].confidence == "medium"
    assert documents["rsb2018_crossover"].confidence == "medium"
    listing = describe(documents.values(), lambda key, **v: f"{key}{sorted(v.items())}")
    for d in documents.values():
        assert d.known in listing


def test_the_verdict_source_line_follows_the_document_data(tmp_path):
    """Change a caveat in knowledge/documents.yaml: the verdict's source line changes with it."""
    from datetime import date

    from bot.eligibility.evaluation import evaluate
    from bot.eligibility.profile import Profile
    from bot.eligibility.rulebook import load_rulebook

    root = copy_content(tmp_path)
    path = root / "knowledge" / "documents.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("caveat: 以附件1为准", "caveat: 以新区标准为准"), encoding="utf-8")
    book = load_rulebook(root)
    verdict = evaluate(Profile(education="master"), book, None, date(2024, 7, 1), lambda key, **v: TEXTS.get(key, key).format(**v))
    assert verdict.levels[0].sources == ["国家基本标准（人社部发〔2019〕16号） 助理工程师，以新区标准为准，可信度中等"]


def test_check_refuses_a_rule_row_without_a_source(tmp_path):
    root = copy_content(tmp_path)
    path = root / "rules" / "eligibility.yaml"
    text = path.read_text(encoding="utf-8")
    row = "    source: {document: rsbf2019_16, section: 工程师}\n"
    assert row in text
    path.write_text(text.replace(row, "", 1), encoding="utf-8")
    problems = run_checks(root, content_checkers())["eligibility_rules"]
    assert problems and any("source" in p.reason and p.line for p in problems)


def test_check_refuses_a_quota_without_a_source(tmp_path):
    root = copy_content(tmp_path)
    path = root / "rules" / "eligibility.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["zjtx"]["enterprises"]["national"]["source"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("source" in p.reason for p in run_checks(root, content_checkers())["eligibility_rules"])


def test_check_refuses_an_entry_without_a_source(tmp_path):
    root = copy_content(tmp_path)
    path = root / "knowledge" / "entries" / "b_paper_fee.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["sources"] = []
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("sources" in p.reason for p in run_checks(root, content_checkers())["knowledge"])


def test_check_refuses_a_source_the_registry_does_not_know(tmp_path):
    root = copy_content(tmp_path)
    path = root / "rules" / "eligibility.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("document: rsb2018_crossover", "document: nowhere"), encoding="utf-8")
    assert any("nowhere" in p.reason for p in run_checks(root, content_checkers())["eligibility_rules"])


def test_the_web_page_has_the_sources_section():
    from bot.channels.web import page
    from bot.content.texts import Texts, text_files

    texts = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)
    html = page.render(texts.get, {"sources.page": page.sources_block(PROJECT_ROOT, texts.get)})
    assert "我依据哪些文件" in html and "青岛市政策（青人社字〔2022〕128号）" in html
    assert "{{" not in html
