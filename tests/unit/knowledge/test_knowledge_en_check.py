"""``python -m bot check`` on the English knowledge: a missing English version, an unknown id, a
figure the Chinese source does not state, a document without an English label — each reported with
file and reason; English dates count their month."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge.en_loader import check_english_knowledge, collect_english, numbers_of
from bot.paths import PROJECT_ROOT

EN_ENTRIES = Path("knowledge") / "en" / "entries"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "knowledge", tmp_path / "knowledge")
    return tmp_path


def edit(path: Path, change) -> None:  # noqa: ANN001
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def entry(data: dict, entry_id: str) -> dict:
    return next(e for e in data["entries"] if e["id"] == entry_id)


def reasons(root: Path) -> list[str]:
    return [f"{p.file}: {p.reason}" for p in check_english_knowledge(root)]


def test_the_real_english_knowledge_passes():
    content, problems = collect_english(PROJECT_ROOT)
    assert problems == [] and content is not None


def test_an_entry_without_english_is_reported(root):
    edit(root / EN_ENTRIES / "b_paper_fee.yaml", lambda d: d["entries"].remove(entry(d, "fee-refund")))
    found = reasons(root)
    assert any("fee-refund: no English version" in r and "b_paper_fee.yaml" in r for r in found), found


def test_an_english_entry_naming_an_unknown_id_is_reported_with_its_line(root):
    path = root / EN_ENTRIES / "b_paper_fee.yaml"
    edit(path, lambda d: entry(d, "fee-refund").update(id="fee-refunds"))
    problems = check_english_knowledge(root)
    unknown = [p for p in problems if "fee-refunds: no Chinese entry has this id" in p.reason]
    assert unknown and unknown[0].line is not None and unknown[0].file.endswith("b_paper_fee.yaml")


def test_an_english_entry_for_a_merged_id_points_to_its_successor(root):
    def add_old(data: dict) -> None:
        data["entries"].append({**entry(data, "title-level-names"), "id": "scope-levels"})

    edit(root / EN_ENTRIES / "c_title_system.yaml", add_old)
    found = reasons(root)
    assert any("scope-levels: merged into title-level-names; give the English version there" in r for r in found), found


def test_a_figure_not_in_the_chinese_answer_is_reported(root):
    edit(root / EN_ENTRIES / "b_paper_fee.yaml",
         lambda d: entry(d, "fee-amounts").update(answer="Senior: 380 yuan; intermediate: 160 yuan; assistant: 100 yuan."))
    found = reasons(root)
    assert any("fee-amounts" in r and "380" in r for r in found), found


def test_a_document_number_licenses_no_figure(root):
    # the Chinese answer cites 人社部发〔2019〕16号 and states no 16 of its own
    edit(root / EN_ENTRIES / "a_eligibility.yaml",
         lambda d: entry(d, "elig-assistant").update(answer="Per 人社部发〔2019〕16号: apply within 16 days."))
    found = reasons(root)
    assert any("elig-assistant: the English answer states 16," in r for r in found), found


def test_a_document_number_the_chinese_entry_does_not_cite_is_reported(root):
    edit(root / EN_ENTRIES / "a_eligibility.yaml",
         lambda d: entry(d, "elig-assistant").update(answer="Per 人社部发〔2019〕17号, see Annex 1."))
    found = reasons(root)
    assert any("elig-assistant" in r and "〔2019〕17号" in r for r in found), found


def test_a_cited_document_number_passes_in_either_bracket_form(root):
    edit(root / EN_ENTRIES / "a_eligibility.yaml",
         lambda d: entry(d, "elig-assistant").update(answer="Per 人社部发[2019]16号, see Annex 1."))
    assert not any("elig-assistant" in r for r in reasons(root))


def test_a_wrong_phone_number_is_reported(root):
    edit(root / EN_ENTRIES / "b_contacts_misc.yaml",
         lambda d: entry(d, "contact-phone").update(answer="Phone 0532-85161633, e-mail xhazjk@163.com."))
    assert any("85161633" in r for r in reasons(root))


@pytest.mark.parametrize(
    ("date", "ok"),
    [("30 August 2024", True), ("August 30, 2024", True), ("30 Aug 2024", True), ("30 September 2024", False),
     ("31 August 2024", False), ("30 August 2025", False)],
)
def test_english_dates_count_their_month(root, date, ok):
    edit(root / EN_ENTRIES / "b_results_rules.yaml",
         lambda d: entry(d, "online-deadline").update(answer=f"Online applications closed on {date}."))
    flagged = any("online-deadline" in r and "states" in r for r in reasons(root))
    assert flagged is not ok


def test_numbers_of_reads_digits_and_month_names_only_beside_a_day():
    assert numbers_of("phone 0532-85161632") == {532, 85161632}
    assert numbers_of("by 30 August 2024") == {30, 8, 2024}
    assert numbers_of("you may apply in March") == set()  # no day: "may" and "March" are no dates here
    assert numbers_of("Ａ３ paper, 2 copies") == {3, 2}


def test_a_document_without_an_english_label_is_reported(root):
    edit(root / "knowledge" / "en" / "documents.yaml",
         lambda d: d["documents"].remove(next(x for x in d["documents"] if x["id"] == "lfg2021_638")))
    assert any("lfg2021_638: no English label" in r for r in reasons(root))


def test_a_caveat_must_have_its_english(root):
    edit(root / "knowledge" / "en" / "documents.yaml",
         lambda d: next(x for x in d["documents"] if x["id"] == "rsbf2019_16").pop("caveat"))
    assert any("rsbf2019_16" in r and "caveat" in r for r in reasons(root))


def test_fewer_than_three_english_phrasings_are_refused(root):
    edit(root / EN_ENTRIES / "b_paper_fee.yaml", lambda d: entry(d, "fee-refund").update(alternatives=["refund?"]))
    assert any("alternatives" in r for r in reasons(root))


def test_a_level_must_name_a_known_level_and_a_synonym(root):
    edit(root / "knowledge" / "en" / "synonyms.yaml", lambda d: d["levels"].update(chief="chief engineer"))
    assert any("chief" in r for r in reasons(root))


def test_the_check_runs_under_python_m_bot_check():
    from bot.app import content_checkers

    assert "knowledge_en" in content_checkers()


def test_a_missing_field_must_have_its_english(root):
    edit(root / "knowledge" / "en" / "documents.yaml",
         lambda d: next(x for x in d["documents"] if x["id"] == "n2024").pop("missing"))
    assert any("n2024" in r and "missing" in r for r in reasons(root))


def test_a_key_given_twice_is_refused_by_the_check(root):
    path = root / EN_ENTRIES / "b_paper_fee.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - id: fee-refund\n", "  - id: fee-refund\n    id: fee-refund\n", 1), encoding="utf-8")
    assert any("b_paper_fee.yaml" in r for r in reasons(root))
