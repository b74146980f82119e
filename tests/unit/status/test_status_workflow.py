"""The workflow in rules/status.yaml: every allowed and every illegal transition, names, reasons."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bot.content.loader import ContentError
from bot.paths import PROJECT_ROOT
from bot.status.workflow import TransitionRefused, check_status_rules, load_workflow

WORKFLOW = load_workflow(PROJECT_ROOT)
STATES = list(WORKFLOW.states)
ALLOWED = [(s, t) for s in STATES for t in WORKFLOW.states[s].transitions]
ILLEGAL = [(s, t) for s, t in itertools.product(STATES, STATES) if t not in WORKFLOW.states[s].transitions]
# A level that may enter every state (专业测评 is restricted to 中级 and above).
ANY_LEVEL = "intermediate"


def test_the_notice_states_are_all_there():
    labels = {s.label for s in WORKFLOW.data.states}
    for label in ("个人填报", "单位审核", "单位公示", "主管部门审核", "呈报部门审核", "评委会办事机构审核", "退回补正",
                  "不予受理", "审核受理", "纸质材料已送达", "评审费已缴", "专业测评", "评审中", "结果公示", "通过", "未通过"):
        assert label in labels
    assert WORKFLOW.state_id("申报结束") == "accepted"  # the platform's wording
    assert WORKFLOW.states["unit_publicity"].publicity_working_days == 5
    assert WORKFLOW.states["result_publicity"].publicity_working_days == 5
    assert len(WORKFLOW.data.rejection_reasons) == 6
    assert WORKFLOW.data.resubmission.missed_due_state == "abandoned"


def test_counts_of_the_transition_matrix():
    assert len(ALLOWED) + len(ILLEGAL) == len(STATES) ** 2
    assert len(ALLOWED) >= 25


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_allowed_transition(source, target):
    WORKFLOW.check_transition(source, target, ANY_LEVEL)
    assert WORKFLOW.allowed(source, target, ANY_LEVEL)


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{s}->{t}" for s, t in ILLEGAL])
def test_illegal_transition_is_refused_naming_both_states(source, target):
    with pytest.raises(TransitionRefused) as info:
        WORKFLOW.check_transition(source, target, ANY_LEVEL)
    message = str(info.value)
    assert WORKFLOW.label(source) in message and WORKFLOW.label(target) in message
    assert not WORKFLOW.allowed(source, target, ANY_LEVEL)


def test_assistant_level_skips_the_professional_assessment():
    with pytest.raises(TransitionRefused) as info:
        WORKFLOW.check_transition("fee_paid", "assessment", "assistant")
    assert "助理级" in str(info.value) and "评审费已缴" in str(info.value) and "专业测评" in str(info.value)
    WORKFLOW.check_transition("fee_paid", "under_review", "assistant")


def test_a_refusal_is_worded_in_the_readers_language():
    """``str()`` stays Chinese (the console, import reports); ``in_language`` words it for an English
    reader, with the states and the level named in English too."""
    with pytest.raises(TransitionRefused) as info:
        WORKFLOW.check_transition("fee_paid", "assessment", "assistant")
    english = info.value.in_language("en")
    assert english.startswith("The status cannot change from") and "助理级" not in english and "评审费已缴" not in english
    assert WORKFLOW.level_label("assistant", "en") in english and WORKFLOW.label("assessment", "en") in english
    assert info.value.in_language("zh") == str(info.value) and "助理级" in str(info.value)


def test_names_and_levels_resolve_from_labels_and_aliases():
    assert WORKFLOW.state_id(" 退回 ") == "returned"
    assert WORKFLOW.state_id("ACCEPTED") == "accepted"
    assert WORKFLOW.state_id("不存在") is None
    assert WORKFLOW.level_id("初级") == "assistant"
    assert WORKFLOW.level_id("高级工程师") == "deputy_senior"


def test_rejection_reason_by_number_or_wording():
    assert WORKFLOW.rejection_reason("5") == (5, "有弄虚作假行为")
    assert WORKFLOW.rejection_reason("（2）填写不规范") == (2, "不符合填写规范")
    assert WORKFLOW.rejection_reason("经核查，有弄虚作假行为")[0] == 5
    assert WORKFLOW.rejection_reason("材料不全") is None
    assert WORKFLOW.rejection_reason("9") is None


def test_number_pattern_default():
    assert WORKFLOW.valid_number("SD2024-000123")
    assert not WORKFLOW.valid_number("12345")
    assert not WORKFLOW.valid_number("编号123456")
    assert not WORKFLOW.valid_number("A" * 31)


def test_checker_passes_on_the_real_file():
    assert check_status_rules(PROJECT_ROOT) == []


def _copy(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    (tmp_path / "rules").mkdir()
    text = (PROJECT_ROOT / "rules" / "status.yaml").read_text(encoding="utf-8")
    (tmp_path / "rules" / "status.yaml").write_text(edit(text), encoding="utf-8")
    return tmp_path


def test_checker_names_line_of_unknown_transition_target(tmp_path):
    root = _copy(tmp_path, lambda t: t.replace("transitions: [unit_review]", "transitions: [unit_reveiw]", 1))
    with pytest.raises(ContentError) as info:
        load_workflow(root)
    assert "unit_reveiw" in str(info.value) and "rules/status.yaml" in str(info.value)


def test_checker_rejects_a_name_used_by_two_states(tmp_path):
    root = _copy(tmp_path, lambda t: t.replace("aliases: [退回, 已退回, 退回修改]", "aliases: [退回, 已退回, 申报结束]", 1))
    with pytest.raises(ContentError) as info:
        load_workflow(root)
    assert "申报结束" in str(info.value)


def test_checker_reports_missing_source_section(tmp_path):
    root = _copy(tmp_path, lambda t: t.replace("section: 三(二)2}", "section: 九(九)}", 1))
    (root / "knowledge").mkdir()
    (root / "knowledge" / "sections.yaml").write_text(
        (PROJECT_ROOT / "knowledge" / "sections.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(ContentError) as info:
        check_status_rules(root)
    assert "九(九)" in str(info.value)
    assert info.value.problems[0].line is not None


def test_fee_and_paper_days_come_from_the_cycle_in_force(tmp_path):
    from datetime import datetime

    from bot.clock import LOCAL_TZ
    from bot.reference.cycles import CycleCalendar
    from bot.status.calendar import StatusCalendar

    root = _copy(tmp_path, lambda t: t)
    (root / "rules" / "cycles").mkdir()
    text = (PROJECT_ROOT / "rules" / "cycles" / "2024.yaml").read_text(encoding="utf-8")
    (root / "rules" / "cycles" / "2024.yaml").write_text(text, encoding="utf-8")
    later = (text.replace("year: 2024", "year: 2030").replace("date: 2024-", "date: 2030-")
             .replace("days_after_acceptance: 7", "days_after_acceptance: 10").replace("intermediate: 160", "intermediate: 200"))
    (root / "rules" / "cycles" / "2030.yaml").write_text(later, encoding="utf-8")
    rules = StatusCalendar.load(root, CycleCalendar.load(root))
    assert rules.fee("intermediate", 2030) == 200
    assert rules.fee("assistant", 2030) == 100
    assert rules.fee("intermediate", 2029) == 160  # no 2029 file: the 2024 cycle still holds
    assert rules.fee("intermediate", 2023) is None  # before any cycle on file: no fee is invented
    accepted = datetime(2030, 7, 1, 9, tzinfo=LOCAL_TZ)
    assert rules.due_date("accepted", accepted, None).isoformat() == "2030-07-11"
    assert rules.due_date("accepted", accepted.replace(year=2029), None).isoformat() == "2029-07-08"


def test_checker_rejects_an_unknown_placeholder(tmp_path):
    root = _copy(tmp_path, lambda t: t.replace("评审费{fee}元", "评审费{fees}元", 1))
    with pytest.raises(ContentError) as info:
        load_workflow(root)
    assert "fees" in str(info.value)


def test_roles_not_state_ids_decide_what_the_code_does():
    assert WORKFLOW.with_role("resubmission").id == "returned"
    assert WORKFLOW.states["accepted"].due == "paper_form"
    due = WORKFLOW.kept_due("returned", None, "请于2024年9月5日前补正")
    assert due is not None and due.isoformat() == "2024-09-05"
    assert WORKFLOW.kept_due("accepted", due, "2024-09-05") is None


def test_a_renamed_resubmission_state_keeps_its_role(tmp_path):
    root = _copy(tmp_path, lambda t: t.replace("id: returned", "id: sent_back").replace(" returned,", " sent_back,").replace(", returned]", ", sent_back]"))
    workflow = load_workflow(root)
    assert "returned" not in workflow.states
    assert workflow.kept_due("sent_back", None, "2024/9/5") is not None


def test_checker_rejects_a_role_given_to_two_states(tmp_path):
    root = _copy(tmp_path, lambda t: t.replace("    transitions: [paper_received,", "    role: resubmission\n    transitions: [paper_received,", 1))
    with pytest.raises(ContentError) as info:
        load_workflow(root)
    assert "resubmission" in str(info.value)
