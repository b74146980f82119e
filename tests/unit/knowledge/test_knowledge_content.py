"""The real knowledge base: every notice section covered, and the dev-set figures it must reach."""

from __future__ import annotations

import pytest

from bot.knowledge.evaluate import dev_files, evaluate, load_dev, score_cases
from bot.knowledge.loader import uncited_sections
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT

DEV_DIR = PROJECT_ROOT / "tests" / "data" / "kb_dev"


@pytest.fixture(scope="module")
def runtime():
    return load_runtime(PROJECT_ROOT)


@pytest.fixture(scope="module")
def report(runtime):
    pairs = load_dev([DEV_DIR])
    return evaluate(runtime.matcher, score_cases(runtime.matcher, pairs))


def test_every_section_of_both_notices_is_cited(runtime):
    missing = uncited_sections(runtime.kb)
    assert missing == [], f"sections of knowledge/sections.yaml no entry cites: {missing}"


def test_both_notices_are_described(runtime):
    for doc in runtime.kb.sections:
        assert doc in runtime.kb.documents


def test_dev_set_is_large_enough_and_labelled_with_real_ids(runtime):
    files = dev_files([DEV_DIR])
    assert files, "no dev set files in tests/data/kb_dev"
    pairs = load_dev([DEV_DIR])
    assert len(pairs) >= 250
    assert sum(1 for _, q in pairs if q.expect is None) >= 40
    unknown = sorted({q.expect for _, q in pairs if q.expect is not None and q.expect not in runtime.kb.by_id})
    assert unknown == [], f"dev questions expect ids that are not entries: {unknown}"


def test_dev_questions_are_not_copied_from_the_entries(runtime):
    norm = runtime.matcher.normalizer
    phrasings = {norm.compact(norm.normalize(q)) for e in runtime.kb.entries for q in e.questions}
    copied = [q.q for _, q in load_dev([DEV_DIR]) if norm.compact(norm.normalize(q.q)) in phrasings]
    assert len(copied) <= len(phrasings) * 0.02, f"dev questions identical to entry phrasings: {copied}"


#: in-scope dev questions answered directly with the right entry (what the asker feels): the
#: issue's floor for the dev set (the last measure, with the thresholds of knowledge/matcher.yaml,
#: was 92.3 %, top-1 96.2 %), so a content change that loses questions shows up here.
DIRECT_RIGHT_FLOOR = 0.90
TOP1_FLOOR = 0.95
TOP3_FLOOR = 0.99


def test_dev_set_figures(report):
    f = report.figures
    detail = "\n".join(
        f"  {r['q']} expect={r['expect']} got={r['got']} ({r['outcome']})"
        for r in report.wrong_confident + report.top3_misses
    )
    assert f["top1"] >= TOP1_FLOOR, f"top-1 {f['top1']:.3f} < {TOP1_FLOOR}\n{detail}"
    assert f["top3"] >= TOP3_FLOOR, f"top-3 {f['top3']:.3f} < {TOP3_FLOOR}\n{detail}"
    assert f["direct_right"] >= DIRECT_RIGHT_FLOOR, f"direct right {f['direct_right']:.3f} < {DIRECT_RIGHT_FLOOR}\n{detail}"
    assert f["direct_wrong"] <= 0.02, f"direct wrong {f['direct_wrong']:.3f} > 0.02\n{detail}"
    assert f["out_of_scope_answered"] <= 0.05, f"out-of-scope answered {f['out_of_scope_answered']:.3f} > 0.05\n{detail}"


# ---- statements an audit found without a source, or wrong ------------------------------------------
@pytest.mark.parametrize(
    ("question", "entry_id", "says"),
    [
        ("纸质材料一周内是工作日还是自然日", "paper-form-deadline", "按自然日"),
        ("被举荐的人需要什么条件", "zjtx-recommend-who", "三项都要具备"),
        ("哪些人不能申报", "scope-excluded-civil-servants", "参照公务员法管理的事业单位"),
        ("在外省工作能报西海岸的工业互联网职称吗", "scope-other-province", "不能按本次评审申报"),
        ("专精特新企业每年能举荐几个人", "zjtx-recommend-quota", "鲁人社字〔2022〕129号"),
    ],
)
def test_audited_questions_get_the_sourced_answer(runtime, question, entry_id, says):
    from bot.knowledge.answering import Answerer
    from bot.reference.cycles import CycleCalendar

    answerer = Answerer(runtime, lambda key, **values: key, CycleCalendar.load(PROJECT_ROOT))
    import datetime as dt

    reply = answerer.respond(question, dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    assert reply.answered and reply.entry_id == entry_id, (reply.outcome, reply.entry_id)
    assert says in reply.text


def test_no_answer_says_a_deadline_has_passed_without_the_clock(runtime):
    """Whether a cycle is over comes from the cycle data and today's date (the cycle note)."""
    import re

    stale = [e.id for e in runtime.kb.entries if re.search(r"已于\d{4}年\d{1,2}月\d{1,2}日截止", e.answer)]
    assert stale == []


def test_no_answer_opens_with_a_bare_yes_or_no_the_notice_does_not_give(runtime):
    special = runtime.kb.by_id["policy-special-groups"].answer
    assert not special.startswith("有。")
    excluded = runtime.kb.by_id["scope-excluded-civil-servants"].answer
    for group in ("离退休人员", "参照公务员法管理的事业单位", "不在山东省内工作", "不从事工业互联网专业技术工作"):
        assert group in excluded


@pytest.mark.parametrize(
    ("question", "entry_id", "says"),
    [
        ("山东惠才卡能直接报正高吗", "policy-skilled-green-channel", "直接申报相应系列的正高级职称"),
        ("公需课和专业课怎么分配", "policy-ce-hours", "公需课30学时、专业课60学时"),
        ("明年还有工业互联网职称评审吗", "next-year-notice", "仍是目前能确认的最新数字"),
    ],
)
def test_new_facts_are_answered_with_their_confidence(runtime, question, entry_id, says):
    import datetime as dt

    from bot.knowledge.answering import Answerer
    from bot.reference.cycles import CycleCalendar

    reply = Answerer(runtime, lambda key, **values: key, CycleCalendar.load(PROJECT_ROOT)).respond(question, dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    assert reply.answered and reply.entry_id == entry_id, (reply.outcome, reply.entry_id)
    assert says in reply.text
    assert any(s["confidence"] == "medium" for s in reply.sources)


def test_check_refuses_a_year_after_the_latest_cycle(tmp_path):
    from bot.reference.later_years import check_no_later_years
    from tests.support.helpers import copy_content

    copy_content(tmp_path)
    assert check_no_later_years(tmp_path) == []
    path = tmp_path / "knowledge" / "entries" / "b_paper_fee.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("网上报名另有截止日：2024年8月30日。", "网上报名另有截止日：2025年8月30日。"),
                    encoding="utf-8")
    [problem] = check_no_later_years(tmp_path)
    assert problem.file.endswith("b_paper_fee.yaml") and "2025" in problem.reason


def test_check_of_later_years_leaves_a_broken_yaml_file_to_its_own_checker(tmp_path):
    from bot.app import content_checkers
    from bot.content.check import run_checks
    from tests.support.helpers import copy_content

    copy_content(tmp_path)
    path = tmp_path / "knowledge" / "entries" / "b_paper_fee.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    results = run_checks(tmp_path, content_checkers())  # before, later_years raised yaml's ParserError
    assert results["later_years"] == []
    assert any(p.file.endswith("b_paper_fee.yaml") and p.line and "YAML syntax" in p.reason for p in results["knowledge"])
