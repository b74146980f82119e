"""The eligibility evaluator, table-driven: every rule row on both sides of its threshold, every
exclusion, the waiver, each special path, continuing education, and the review cycle."""

from __future__ import annotations

from datetime import date

import pytest

from bot.content.office import load_office
from bot.content.texts import Texts, text_files
from bot.eligibility.evaluation import Verdict, evaluate
from bot.eligibility.profile import Profile
from bot.eligibility.rulebook import load_rulebook
from bot.paths import PROJECT_ROOT
from bot.reference.cycles import cycle_for, load_cycles

BOOK = load_rulebook(PROJECT_ROOT)
CYCLES = load_cycles(PROJECT_ROOT)
TEXTS = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)
NEWS = load_office(PROJECT_ROOT).news_column
OPEN_DAY = date(2024, 7, 1)
TODAY = date(2026, 11, 22)
# Continuing education met for every year the 2024 window can look at (no reminders in the way).
FULL_CE = [{"year": y, "total": 90, "professional": 60} for y in range(2015, 2025)]


def t(key: str, **values) -> str:
    return TEXTS.get(key, news_column=NEWS, phone="0532-85161632", **values)


def judge(day: date = OPEN_DAY, ce_self_report=None, **fields) -> Verdict:
    fields.setdefault("ce_hours", FULL_CE)
    return evaluate(Profile(**fields), BOOK, cycle_for(CYCLES, day), day, t, ce_self_report=ce_self_report)


def firm(v: Verdict) -> set[tuple[str, str]]:
    return {(p.level, p.path) for p in v.levels if not p.conditional}


def conditional(v: Verdict) -> set[tuple[str, str]]:
    return {(p.level, p.path) for p in v.levels if p.conditional}


def blocked(v: Verdict) -> dict[tuple[str, str], str]:
    return {(b.level, b.path): " ".join(b.missing) for b in v.blocked}


# ---- standard path: (profile, level, open?) on both sides of every threshold ------------------
STANDARD = [
    # assistant
    ({"education": "master"}, "assistant", True, None),
    ({"education": "second_bachelor"}, "assistant", True, None),
    ({"education": "doctor"}, "assistant", True, None),
    ({"education": "bachelor", "years_of_work": 1}, "assistant", True, None),
    ({"education": "bachelor", "years_of_work": 0}, "assistant", False, "再满1年可申报助理工程师"),
    ({"education": "bachelor", "years_of_work": 0.5}, "assistant", False, "再满0.5年可申报助理工程师"),
    ({"education": "college", "current_title": "technician", "years_in_title": 2}, "assistant", True, None),
    ({"education": "college", "current_title": "technician", "years_in_title": 1}, "assistant", False, "再满1年可申报助理工程师"),
    ({"education": "college", "years_of_work": 10}, "assistant", False, "需先取得技术员职称"),
    ({"education": "secondary", "current_title": "technician", "years_in_title": 4}, "assistant", True, None),
    ({"education": "secondary", "current_title": "technician", "years_in_title": 3}, "assistant", False, "再满1年可申报助理工程师"),
    ({"education": "other", "years_of_work": 20}, "assistant", False, "没有中专以下或其他学历申报助理工程师"),
    # intermediate
    ({"education": "doctor"}, "intermediate", True, None),
    ({"education": "master", "current_title": "assistant", "years_in_title": 2}, "intermediate", True, None),
    ({"education": "master", "current_title": "assistant", "years_in_title": 1}, "intermediate", False, "再满1年可申报工程师"),
    ({"education": "second_bachelor", "current_title": "assistant", "years_in_title": 2}, "intermediate", True, None),
    ({"education": "bachelor", "current_title": "assistant", "years_in_title": 4}, "intermediate", True, None),
    ({"education": "bachelor", "current_title": "assistant", "years_in_title": 3}, "intermediate", False, "再满1年可申报工程师"),
    ({"education": "college", "current_title": "assistant", "years_in_title": 4}, "intermediate", True, None),
    ({"education": "college", "current_title": "assistant", "years_in_title": 2}, "intermediate", False, "再满2年可申报工程师"),
    ({"education": "secondary", "current_title": "assistant", "years_in_title": 9}, "intermediate", False, "没有中专学历申报工程师"),
    # deputy_senior
    ({"education": "doctor", "current_title": "intermediate", "years_in_title": 2}, "deputy_senior", True, None),
    ({"education": "doctor", "current_title": "intermediate", "years_in_title": 1}, "deputy_senior", False, "再满1年可申报高级工程师"),
    ({"education": "master", "current_title": "intermediate", "years_in_title": 5}, "deputy_senior", True, None),
    ({"education": "second_bachelor", "current_title": "intermediate", "years_in_title": 5}, "deputy_senior", True, None),
    ({"education": "bachelor", "current_title": "intermediate", "years_in_title": 5}, "deputy_senior", True, None),
    ({"education": "bachelor", "current_title": "intermediate", "years_in_title": 4}, "deputy_senior", False, "再满1年可申报高级工程师"),
    ({"education": "college", "current_title": "intermediate", "years_in_title": 20}, "deputy_senior", False, "没有大专学历申报高级工程师"),
    # senior
    ({"education": "bachelor", "current_title": "deputy_senior", "years_in_title": 5}, "senior", True, None),
    ({"education": "doctor", "current_title": "deputy_senior", "years_in_title": 5}, "senior", True, None),
    ({"education": "master", "current_title": "deputy_senior", "years_in_title": 4}, "senior", False, "再满1年可申报正高级工程师"),
    ({"education": "college", "current_title": "deputy_senior", "years_in_title": 20}, "senior", False, "没有大专学历申报正高级工程师"),
]


@pytest.mark.parametrize(("fields", "level", "is_open", "gap"), STANDARD)
def test_standard_rows(fields, level, is_open, gap):
    v = judge(**fields)
    assert ((level, "standard") in firm(v)) is is_open
    if is_open:
        item = next(p for p in v.levels if (p.level, p.path) == (level, "standard"))
        [source] = item.sources  # generated from the document data: label, section, caveat, confidence
        # the 正高 row rests on less than the others (policy-facts 3.4) and says so
        confidence = "可信度低" if level == "senior" else "可信度中等"
        assert source.startswith("国家基本标准（人社部发〔2019〕16号）") and source.endswith(f"，以附件1为准，{confidence}")
        assert v.eligible
    else:
        assert gap in blocked(v)[(level, "standard")]
    assert "附件1" in v.warnings[0]


def test_only_the_nearest_level_is_reported_as_blocked():
    v = judge(education="bachelor", current_title="assistant", years_in_title=3)
    assert set(blocked(v)) == {("intermediate", "standard")}
    assert blocked(v)[("intermediate", "standard")] == "再满1年可申报工程师。"


def test_doctor_without_title_may_apply_for_two_levels():
    v = judge(education="doctor")
    assert firm(v) == {("assistant", "standard"), ("intermediate", "standard")}
    assert v.best_level() == "intermediate"


def test_top_title_has_nothing_above():
    v = judge(education="doctor", current_title="senior", years_in_title=9)
    assert not v.levels and not v.blocked and not v.eligible
    assert t("eligibility.warn.top") in v.warnings


def test_top_title_is_said_once_in_the_rendered_verdict():
    from bot.eligibility.render import detail_lines, summary_lines

    v = judge(education="doctor", current_title="senior", years_in_title=9)
    text = "\n".join([*summary_lines(v, t), *detail_lines(v, t)])
    assert t("eligibility.verdict.top_only") in text
    assert text.count("没有更高级别") == 1


# ---- exclusions ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "exclusion"),
    [
        ({"person_type": "civil_servant"}, "excluded_person"),
        ({"person_type": "civil_servant_managed"}, "excluded_person"),
        ({"person_type": "retired"}, "excluded_person"),
        ({"works_in_shandong": False}, "outside_shandong"),
        ({"industrial_internet_work": False}, "not_industrial_internet"),
    ],
)
def test_exclusions(fields, exclusion):
    v = judge(education="doctor", **fields)
    assert not v.eligible and not v.levels
    assert v.excluded is not None and v.excluded.id == exclusion
    assert v.excluded.advice and any("2024年新区通知" in s for s in v.excluded.sources)


def test_outside_shandong_says_where_to_turn():
    v = judge(education="doctor", works_in_shandong=False)
    assert "工作所在地的人力资源和社会保障部门" in v.excluded.advice


def test_freelancers_are_in():
    v = judge(education="master", person_type="freelancer")
    assert v.excluded is None and ("assistant", "standard") in firm(v)


# ---- years of work with a title held --------------------------------------------------------
def test_a_technician_with_a_bachelor_degree_may_apply_for_assistant():
    """The bachelor's row reads years of work; three years in the 技术员 title are three years of work."""
    v = judge(education="bachelor", current_title="technician", years_in_title=3)
    assert ("assistant", "standard") in firm(v)
    assert not blocked(v)


def test_years_of_work_below_years_in_title_is_refused():
    from bot.eligibility.profile import ProfileError, parse_profile

    with pytest.raises(ProfileError, match="years_of_work must be at least years_in_title"):
        parse_profile({"current_title": "assistant", "years_in_title": 5, "years_of_work": 3})
    assert parse_profile({"current_title": "assistant", "years_in_title": 5}).years_of_work == 5


# ---- waiver: only the previous title; years along the whole ladder, as an estimate ---------------
WAIVED = ["hk_macao_taiwan", "foreign_permanent_resident", "foreign_high_level_talent"]
# 本科: 助理 1 year; 工程师 1 + 4; 高级工程师 1 + 4 + 5; 正高 1 + 4 + 5 + 5.
LADDER = [(4, "assistant"), (5, "intermediate"), (9.5, "intermediate"), (10, "deputy_senior"), (15, "senior")]


@pytest.mark.parametrize("origin", WAIVED)
@pytest.mark.parametrize(("years", "highest"), LADDER)
def test_waived_years_count_along_the_whole_ladder(origin, years, highest):
    v = judge(education="bachelor", origin=origin, years_of_work=years)
    levels = {p.level for p in v.levels if p.path == "standard" and not p.conditional}
    from bot.reference.levels import LEVELS

    assert levels == set(LEVELS[: LEVELS.index(highest) + 1])
    estimates = [p for p in v.levels if p.estimate]
    assert {p.level for p in estimates} == levels - {"assistant"}  # 助理 needs no title: no estimate
    for item in estimates:
        assert any("可以不受原职称资格的限制" in r for r in item.reasons)
        assert any("估算" in r and "办事机构确认" in r for r in item.reasons)
        assert any("一2" in s for s in item.sources)
    if estimates:
        assert any("没有说明" in w and "0532-85161632" in w for w in v.warnings)


def test_waived_gap_counts_the_ladder():
    v = judge(education="bachelor", origin="hk_macao_taiwan", current_title="assistant", years_in_title=1, years_of_work=3)
    assert blocked(v)[("intermediate", "standard")] == "按国家基本标准逐级累计估算，申报工程师约需从事专业技术工作满5年，还差2年。"
    assert any("没有说明" in w for w in v.warnings)


def test_waived_six_years_is_not_offered_the_top_levels():
    v = judge(education="bachelor", origin="hk_macao_taiwan", years_of_work=6)
    assert firm(v) == {("assistant", "standard"), ("intermediate", "standard")}


def test_waived_title_holder_keeps_the_normal_path():
    """港澳台 with 工程师 held 8 years: the ordinary row opens 高级工程师 (not only 破格)."""
    v = judge(education="bachelor", origin="hk_macao_taiwan", current_title="intermediate", years_in_title=8)
    assert ("deputy_senior", "standard") in firm(v)
    assert not conditional(v)
    assert not any(p.estimate for p in v.levels)


@pytest.mark.parametrize("origin", ["mainland"])
def test_no_waiver_for_mainland(origin):
    v = judge(education="bachelor", origin=origin, years_of_work=10)
    assert firm(v) == {("assistant", "standard")}


def test_foreigners_without_either_permit_are_sent_to_the_office():
    v = judge(education="doctor", origin="foreign_other", years_of_work=10)
    assert not v.eligible and not v.levels
    assert v.excluded is not None and v.excluded.kind == "not_covered"
    assert "0532-85161632" in v.excluded.advice and any("一2" in s for s in v.excluded.sources)


# ---- 破格 ------------------------------------------------------------------------------------
def test_exceptional_is_a_possibility_with_conditions_never_a_verdict():
    v = judge(education="college", current_title="intermediate", years_in_title=3)
    assert conditional(v) == {("deputy_senior", "exceptional")}
    assert not v.eligible
    reason = v.levels[0].reasons[0]
    assert "2名" in reason and "佐证材料" in reason and "不能替您判断" in reason
    assert any("佐证材料" in m for m in v.materials)


def test_exceptional_not_offered_when_the_standard_path_is_open_or_title_missing():
    assert not conditional(judge(education="bachelor", current_title="intermediate", years_in_title=5))
    assert not conditional(judge(education="college", current_title="assistant", years_in_title=9))


def test_exceptional_offered_when_years_fall_short():
    v = judge(education="bachelor", current_title="intermediate", years_in_title=2)
    assert conditional(v) == {("deputy_senior", "exceptional")}
    assert "再满3年可申报高级工程师" in blocked(v)[("deputy_senior", "standard")]


# ---- 职业资格视同 ------------------------------------------------------------------------------
def test_qualification_counts_as_the_title():
    v = judge(education="bachelor", qualification_level="intermediate", years_in_qualification=5)
    assert ("deputy_senior", "qualification") in firm(v)
    item = next(p for p in v.levels if p.path == "qualification")
    assert any("鲁人社办发〔2023〕11号" in r for r in item.reasons)


def test_qualification_years_threshold():
    v = judge(education="bachelor", qualification_level="intermediate", years_in_qualification=4)
    assert ("deputy_senior", "qualification") not in firm(v)
    assert "再满1年可申报高级工程师" in blocked(v)[("deputy_senior", "qualification")]


def test_a_qualification_above_the_title_is_the_floor_of_the_standard_path():
    # counted as 工程师 by the qualification, with no title: 助理工程师 is no level to apply for, and
    # the next level's gap is the qualification path's (years after it), not "先取得工程师职称"
    v = judge(education="bachelor", years_of_work=8, qualification_level="intermediate", years_in_qualification=2)
    levels = {p.level for p in v.levels} | {b.level for b in v.blocked}
    assert "assistant" not in levels and "intermediate" not in levels
    assert set(blocked(v)) == {("deputy_senior", "qualification")}
    assert "再满3年可申报高级工程师" in blocked(v)[("deputy_senior", "qualification")]
    # without the qualification the same person is offered the lower levels
    plain = judge(education="bachelor", years_of_work=8)
    assert ("assistant", "standard") in firm(plain)


def test_qualification_not_higher_than_title_is_only_a_note():
    v = judge(education="bachelor", current_title="intermediate", years_in_title=1, qualification_level="assistant")
    assert not any(p.path == "qualification" for p in v.levels)
    assert any("不高于现有职称" in w for w in v.warnings)


def test_qualification_mapping_file_holds_no_guesses():
    from bot.eligibility.rulebook import load_qualifications

    quals = load_qualifications(PROJECT_ROOT)
    assert quals.mappings == [] and "鲁人社办发〔2023〕11号" in quals.note


# ---- 高技能人才贯通 ----------------------------------------------------------------------------
SKILLED = [
    ("senior_worker", 2, "assistant", True),
    ("senior_worker", 1, "assistant", False),
    ("technician", 3, "intermediate", True),
    ("technician", 2, "intermediate", False),
    ("senior_technician", 4, "deputy_senior", True),
    ("senior_technician", 3, "deputy_senior", False),
]


@pytest.mark.parametrize(("skill", "years", "level", "is_open"), SKILLED)
def test_skilled_ladder(skill, years, level, is_open):
    v = judge(education="secondary", skill_level=skill, years_in_skill=years, appraisals_passed_3y=True, frontline_post=True)
    assert ((level, "skilled") in firm(v)) is is_open
    if not is_open:
        assert "再满1年可申报" in blocked(v)[(level, "skilled")]


def test_skilled_needs_appraisals():
    v = judge(education="secondary", skill_level="technician", years_in_skill=5, appraisals_passed_3y=False, frontline_post=True)
    assert ("intermediate", "skilled") not in firm(v)
    assert "年度考核" in blocked(v)[("intermediate", "skilled")]


def test_skilled_needs_a_frontline_post():
    v = judge(education="secondary", skill_level="technician", years_in_skill=5, appraisals_passed_3y=True,
              frontline_post=False)
    assert ("intermediate", "skilled") not in firm(v)
    assert "生产一线" in blocked(v)[("intermediate", "skilled")]


def test_skilled_hours_short_is_a_warning():
    v = judge(education="secondary", skill_level="technician", years_in_skill=5, appraisals_passed_3y=True,
              frontline_post=True, ce_hours=[{"year": 2023, "total": 40, "professional": 30}])
    assert ("intermediate", "skilled") in firm(v)
    assert any("2023年继续教育40学时" in w for w in v.warnings)


# ---- 专精特新 --------------------------------------------------------------------------------
def test_zjtx_national_opens_deputy_senior_and_senior_with_quota():
    v = judge(education="college", zjtx_enterprise="national", zjtx_recommended=True)
    assert {("deputy_senior", "zjtx"), ("senior", "zjtx")} <= firm(v)
    reasons = " ".join(next(p for p in v.levels if p.path == "zjtx").reasons)
    assert "最多举荐2人" in reasons and "正高级最多1人" in reasons
    assert any("附件2" in m for m in v.materials)


@pytest.mark.parametrize(
    ("in_qingdao", "says", "not_says", "estimate"),
    [
        (True, "适用于青岛的企业", "原文没有公开", False),
        (False, "原文没有公开", "适用于青岛的企业", True),
        (None, "青岛以外的企业按省里的文件", "原文没有公开", False),
    ],
)
def test_zjtx_quota_is_said_to_be_qingdaos_and_hedged_elsewhere(in_qingdao, says, not_says, estimate):
    v = judge(education="college", zjtx_enterprise="national", zjtx_recommended=True, works_in_qingdao=in_qingdao)
    items = [p for p in v.levels if p.path == "zjtx"]
    reasons = " ".join(r for p in items for r in p.reasons)
    assert "最多举荐2人" in reasons and says in reasons and not_says not in reasons
    assert all(p.estimate is estimate for p in items)


def test_zjtx_provincial_opens_deputy_senior_only():
    v = judge(education="college", zjtx_enterprise="provincial", zjtx_recommended=True)
    assert {p for p in firm(v) if p[1] == "zjtx"} == {("deputy_senior", "zjtx")}
    assert "1人" in " ".join(v.levels[0].reasons)


def test_zjtx_needs_the_recommendation():
    v = judge(education="bachelor", zjtx_enterprise="national", zjtx_recommended=False)
    assert not any(p.path == "zjtx" for p in v.levels)
    assert "署名举荐" in blocked(v)[("deputy_senior", "zjtx")]


def test_a_recommendation_only_verdict_says_nothing_of_hours_or_years():
    short = [{"year": 2023, "total": 10, "professional": 5}]
    v = judge(education="college", current_title="assistant", years_in_title=1,
              zjtx_enterprise="national", zjtx_recommended=True, ce_hours=short)
    assert {p.path for p in v.levels} == {"zjtx"}
    assert not v.blocked
    assert not any("继续教育" in m for m in v.materials)
    assert not any("继续教育" in w or "年限" in w or "附件1" in w for w in v.warnings)


def test_a_recommendation_beside_a_standard_path_keeps_the_hours_warning():
    short = [{"year": 2023, "total": 10, "professional": 5}]
    v = judge(education="bachelor", current_title="intermediate", years_in_title=6,
              zjtx_enterprise="national", zjtx_recommended=True, ce_hours=short)
    assert {("deputy_senior", "zjtx"), ("deputy_senior", "standard")} <= firm(v)
    assert any("2023年继续教育10学时" in w for w in v.warnings)
    assert any("继续教育" in m for m in v.materials)


def test_champions_are_not_put_in_the_national_tier():
    v = judge(education="college", zjtx_enterprise="champion", zjtx_recommended=True)
    items = [p for p in v.levels if p.path == "zjtx"]
    assert items and all(p.estimate for p in items)
    reasons = " ".join(r for p in items for r in p.reasons)
    assert "最多举荐2人" not in reasons and "没有说明制造业单项冠军企业按哪一档" in reasons


def test_zjtx_provincial_for_a_deputy_senior_does_not_apply():
    v = judge(education="bachelor", current_title="deputy_senior", years_in_title=1,
              zjtx_enterprise="provincial", zjtx_recommended=True)
    assert not any(p.path == "zjtx" for p in v.levels)
    assert any("专精特新举荐对您不适用" in w for w in v.warnings)


# ---- pointers --------------------------------------------------------------------------------
def test_high_level_and_special_groups_point_to_their_policies():
    v = judge(education="bachelor")
    text = " ".join(v.pointers)
    assert "鲁人社字〔2019〕128号" in text and "直通车" in text
    assert "援疆" in text and "事业单位创新创业科研人员" in text


# ---- continuing education: a warning, never a block --------------------------------------------
CE = [
    ([{"year": 2023, "total": 90, "professional": 60}], False),  # exactly 90 and exactly 2/3
    ([{"year": 2023, "total": 89, "professional": 80}], True),  # total one short
    ([{"year": 2023, "total": 120, "professional": 79}], True),  # professional under 2/3 (80)
    ([{"year": 2023, "total": 120, "professional": 80}], False),
    ([{"year": 2017, "total": 0, "professional": 0}], False),  # outside the 5-year window
]


@pytest.mark.parametrize(("hours", "short"), CE)
def test_continuing_education_shortfall_warns_and_keeps_the_level_open(hours, short):
    v = judge(education="bachelor", current_title="assistant", years_in_title=6, ce_hours=hours)
    assert ("intermediate", "standard") in firm(v)
    effect = [w for w in v.warnings if "通知没有写明" in w]
    assert bool(effect) is short
    if short:
        assert "近5年" in effect[0] and "0532-85161632" in effect[0]


def test_unknown_hours_are_a_reminder_not_a_block():
    v = judge(education="bachelor", current_title="assistant", years_in_title=6, ce_hours=[])
    assert ("intermediate", "standard") in firm(v)
    assert any("2019、2020、2021、2022、2023年的继续教育记录" in w for w in v.warnings)


def test_the_hours_are_counted_before_the_review_on_file_not_before_today():
    """Read after the 2024 cycle closed, the verdict still speaks of that review: its five years."""
    v = judge(day=TODAY, education="bachelor", current_title="assistant", years_in_title=6, ce_hours=[])
    assert any("2019、2020、2021、2022、2023年的继续教育记录" in w for w in v.warnings)
    assert not any("2025" in w for w in v.warnings)


def test_window_shrinks_to_the_years_in_title():
    v = judge(education="master", current_title="assistant", years_in_title=2, ce_hours=[])
    assert any("没有2022、2023年的继续教育记录" in w for w in v.warnings)


def test_self_reported_ce():
    short = judge(education="bachelor", current_title="assistant", years_in_title=6, ce_hours=[], ce_self_report="short")
    assert ("intermediate", "standard") in firm(short)
    assert any("不达标" in w for w in short.warnings) and any("通知没有写明" in w for w in short.warnings)
    met = judge(education="bachelor", current_title="assistant", years_in_title=6, ce_hours=[], ce_self_report="met")
    assert ("intermediate", "standard") in firm(met)
    assert not any("继续教育" in w for w in met.warnings)


# ---- fees, assessment, committees, cycle ------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "level", "fee", "assessment", "committee"),
    [
        ({"education": "master"}, "assistant", 100, "专家评审", "初级评审委员会"),
        ({"education": "doctor"}, "intermediate", 160, "专业测评 + 专家评审", "中级评审委员会"),
        ({"education": "doctor", "current_title": "intermediate", "years_in_title": 3}, "deputy_senior", 360, "专业测评 + 专家评审", "高级评审委员会"),
        ({"education": "doctor", "current_title": "deputy_senior", "years_in_title": 6}, "senior", 360, "专业测评 + 专家评审", "高级评审委员会"),
    ],
)
def test_fee_assessment_and_committee_by_level(fields, level, fee, assessment, committee):
    v = judge(**fields)
    assert v.fee[level] == fee
    assert v.assessment[level] == assessment
    assert v.committees[level].endswith(committee)


def test_open_cycle_lists_the_deadlines():
    v = judge(education="master")
    assert v.cycle.phase == "open" and v.cycle.year == 2024
    text = " ".join(v.cycle.lines)
    assert "2024-08-30" in text and "还有60天" in text and "7天内" in text and "另行通知" in text


def test_cycle_over_is_said_honestly():
    v = judge(day=TODAY, education="master")
    assert v.cycle.phase == "closed"
    text = " ".join(v.cycle.lines)
    assert "已于2024-08-30截止" in text and NEWS in text
    assert "还有" not in text and "7天内" not in text


def test_no_cycle_known_yet():
    v = judge(day=date(2023, 1, 1), education="master")
    assert v.cycle.phase == "unknown" and NEWS in v.cycle.lines[0]


def test_the_evaluator_is_pure():
    a = judge(education="bachelor", current_title="assistant", years_in_title=3)
    b = judge(education="bachelor", current_title="assistant", years_in_title=3)
    assert a == b


# ---- cycle files ------------------------------------------------------------------------------
def test_current_cycle_from_a_clock():
    from bot.reference.cycles import CycleCalendar
    from tests.support.helpers import make_clock

    calendar = CycleCalendar.load(PROJECT_ROOT)
    view = calendar.current(make_clock("2024-08-30T23:00:00"))
    assert view.cycle.year == 2024 and view.is_open
    assert not calendar.current(make_clock("2024-08-31T00:10:00")).is_open
    assert calendar.current(make_clock("2026-11-22T10:00:00")).phase == "closed"


def test_cycle_facts_have_sources_and_extra_sections_are_kept(tmp_path):
    import shutil

    from pydantic import BaseModel

    from bot.reference.cycles import load_cycles

    [cycle] = CYCLES
    assert cycle.fees.yuan == {"assistant": 100, "intermediate": 160, "deputy_senior": 360, "senior": 360}
    assert cycle.fees.source.section == "三(五)2" and cycle.committees.source.section == "三(三)"
    assert cycle.paper_form.days_after_acceptance == 7
    (tmp_path / "rules" / "cycles").mkdir(parents=True)
    text = (PROJECT_ROOT / "rules" / "cycles" / "2024.yaml").read_text(encoding="utf-8")
    (tmp_path / "rules" / "cycles" / "2024.yaml").write_text(text + "extension:\n  days_before: [7, 1]\n", encoding="utf-8")

    class Extension(BaseModel):
        days_before: list[int]

    [extended] = load_cycles(tmp_path)
    assert extended.section("extension", Extension).days_before == [7, 1]
    assert extended.section("absent", Extension) is None
    shutil.rmtree(tmp_path / "rules")


def test_check_reports_unknown_documents(tmp_path):

    from bot.eligibility.rulebook_check import check_rulebook
    from tests.support.helpers import copy_content

    copy_content(tmp_path)
    path = tmp_path / "rules" / "eligibility.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("document: q2022_128", "document: q9999"), encoding="utf-8")
    problems = check_rulebook(tmp_path)
    assert problems and all("q9999" in p.reason for p in problems)
    assert check_rulebook(PROJECT_ROOT) == []


def test_a_years_gap_and_a_ce_shortfall_are_both_told():
    v = judge(education="bachelor", current_title="assistant", years_in_title=3,
              ce_hours=[{"year": 2022, "total": 80, "professional": 60}])
    assert blocked(v)[("intermediate", "standard")] == "再满1年可申报工程师。"
    assert any("2022年继续教育80学时" in w for w in v.warnings)


def test_exceptional_stays_a_possibility_when_hours_are_short():
    v = judge(education="college", current_title="intermediate", years_in_title=3, ce_self_report="short")
    assert blocked(v)[("deputy_senior", "standard")] == "国家基本标准中没有大专学历申报高级工程师的常规条件。"
    assert conditional(v) == {("deputy_senior", "exceptional")}


# ---- every statement cites what states it ----------------------------------------------------
def test_exceptional_cites_the_baseline_for_the_recommenders_and_the_notice_for_the_evidence():
    v = judge(education="college", current_title="intermediate", years_in_title=3)
    [item] = [p for p in v.levels if p.path == "exceptional"]
    sources = " ".join(item.sources)
    assert "人社部发〔2019〕16号" in sources and "二1" in sources
    [recommenders] = [m for m in v.materials if "正高级工程师的推荐" in m]
    assert "国家基本标准" in recommenders


def test_senior_technician_years_cite_the_2018_national_opinion():
    v = judge(education="secondary", skill_level="senior_technician", years_in_skill=4, appraisals_passed_3y=True,
              frontline_post=True)
    [item] = [p for p in v.levels if p.path == "skilled"]
    assert any("2018" in s for s in item.sources)


def test_no_source_no_exemption_for_the_through_train():
    assert BOOK.continuing_education.exempt_paths == ["zjtx"]


def test_skilled_applicants_hear_of_the_green_channel():
    v = judge(education="secondary", skill_level="technician", years_in_skill=1, appraisals_passed_3y=True,
              frontline_post=True)
    [green] = [p for p in v.pointers if "山东惠才卡" in p]
    assert "鲁人社字〔2021〕70号" in green and "正高级" in green
    assert not any("山东惠才卡" in p for p in judge(education="master").pointers)


def test_a_skilled_worker_not_asked_about_qualifications_hears_of_that_path():
    # the dialog skips the qualification questions after the skill ones; the verdict says so
    v = judge(education="secondary", skill_level="technician", years_in_skill=1, appraisals_passed_3y=True,
              frontline_post=True)
    [note] = [p for p in v.pointers if "没有问职业资格" in p]
    assert "鲁人社办发〔2023〕11号" in note
    asked = judge(education="secondary", skill_level="technician", years_in_skill=1, appraisals_passed_3y=True,
                  frontline_post=True, qualification_level="intermediate", years_in_qualification=1)
    assert not any("没有问职业资格" in p for p in asked.pointers)
    assert not any("没有问职业资格" in p for p in judge(education="master").pointers)


def test_no_blocked_line_at_or_below_a_level_that_is_open():
    # a 技师 with no title may apply for 工程师 through the skills path: what the standard route to
    # 助理工程师 would still need is noise, while the next level up still shows its gap
    v = judge(education="secondary", skill_level="technician", years_in_skill=4, appraisals_passed_3y=True,
              frontline_post=True, years_of_work=10)
    assert ("intermediate", "skilled") in firm(v)
    assert not any(level in ("assistant", "intermediate") for level, _ in blocked(v))
    nothing_open = judge(education="college", years_of_work=10)
    assert ("assistant", "standard") in blocked(nothing_open)


def test_a_second_level_opened_on_the_same_grounds_points_up_instead_of_repeating_them():
    from bot.eligibility.render import summary_lines

    v = judge(education="college", zjtx_enterprise="national", zjtx_recommended=True, works_in_qingdao=True)
    text = "\n".join(summary_lines(v, t))
    assert "高级工程师（副高级）— 专精特新举荐" in text and "正高级工程师（正高级）— 专精特新举荐" in text
    assert text.count("最多举荐2人") == 1 and text.count("理由和依据同上") == 1
    other = judge(education="doctor", years_of_work=3)  # two levels on different rows: each with its own reasons
    assert len(other.levels) == 2 and "理由和依据同上" not in "\n".join(summary_lines(other, t))
