"""Personal-case questions in English: the extractor with the vocabulary of
knowledge/en/personal_case.yaml, the English answer with the level's rule and the pre-filled
self-check button, and the check it starts, in English, through the core."""

from __future__ import annotations

import shutil

import pytest
import yaml

from bot.knowledge.loader import load_knowledge
from bot.knowledge.personal import check_personal_cases, load_english_personal_cases, personal_cases_of
from bot.paths import PROJECT_ROOT
from tests.support.helpers import ChatUser

BUTTON = "📝 Eligibility check (pre-filled)"


@pytest.fixture(scope="module")
def cases():
    kb = load_knowledge(PROJECT_ROOT)
    chinese = personal_cases_of(PROJECT_ROOT, kb)
    return load_english_personal_cases(PROJECT_ROOT, chinese, set(kb.by_id))


@pytest.mark.parametrize(
    ("question", "level", "answers"),
    [
        ("I have a bachelor's and 6 years, can I apply for intermediate?", "intermediate",
         {"education": "bachelor", "years_of_work": 6}),
        ("I've worked here 6 years with a master's degree, can I go for senior?", "deputy_senior",
         {"education": "master", "years_of_work": 6}),
        ("assistant engineer for 4 years, am I eligible for engineer", "intermediate",
         {"current_title": "assistant", "years_in_title": 4}),
        ("i'm an engineer for five years with a master's, can i go for senior", "deputy_senior",
         {"current_title": "intermediate", "years_in_title": 5, "education": "master"}),
        ("no title, junior college, 8 years of experience, can i get assistant engineer?", "assistant",
         {"current_title": "none", "education": "college", "years_of_work": 8}),
        ("PhD, worked 2 and a half years, could I apply for engineer", "intermediate",
         {"education": "doctor", "years_of_work": 2.5}),
        ("Master's degree, 3 yrs in industry. Can I apply for the intermediate title?", "intermediate",
         {"education": "master", "years_of_work": 3}),
        ("senior engineer since 5 years, can I apply for full senior?", "senior",
         {"current_title": "deputy_senior", "years_in_title": 5}),
        # general schooling is no 中专 (as 高中 in Chinese); a secondary vocational diploma is
        ("I only finished high school and worked 12 years, can I apply for assistant engineer?", "assistant",
         {"education": "other", "years_of_work": 12}),
        ("secondary technical school diploma, 15 years of work, can I apply for engineer?", "intermediate",
         {"education": "secondary", "years_of_work": 15}),
    ],
)
def test_extractor_reads_level_and_facts_in_english(cases, question, level, answers):
    case = cases.detect(question)
    assert case is not None, question
    assert (case.level, case.answers) == (level, answers)


def test_which_level_question_in_english_gets_the_levels_entry(cases):
    case = cases.detect("I have a bachelor's and 6 years of experience, which level can I apply for?")
    assert case is not None and case.level is None and case.entry_id == "title-level-names"
    assert case.answers == {"education": "bachelor", "years_of_work": 6}


def test_a_skill_grade_and_a_negated_level_in_english(cases):
    case = cases.detect("I'm a senior technician with 5 years, can I apply for senior engineer?")
    assert case is not None and case.entry_id == "policy-skilled-ladder"
    assert case.answers == {"skill_level": "senior_technician", "years_of_work": 5}
    negated = cases.detect("I don't have an assistant title, can I apply for intermediate directly?")
    assert negated is None or "current_title" not in negated.answers


@pytest.mark.parametrize("question", [
    "how much is the review fee for engineer",          # no fact about the asker
    "can I apply for senior engineer?",                 # asks, but tells nothing
    "I have a bachelor's and 6 years of work",          # tells, but asks about no level
    "no junior title, can I apply directly for intermediate?",  # a negated title is not one held
    "what is a senior technician",                      # not a title of this series
    "6 years",
])
def test_questions_that_are_not_personal_cases(cases, question):
    assert cases.detect(question) is None


def test_check_names_an_unknown_level_in_the_english_file(tmp_path):
    for name in ("knowledge", "dialogs", "rules"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    assert check_personal_cases(tmp_path) == []
    path = tmp_path / "knowledge" / "en" / "personal_case.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["level_words"]["chief"] = ["chief engineer"]
    data["education"]["kindergarten"] = ["kindergarten"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    reasons = " | ".join(p.reason for p in check_personal_cases(tmp_path))
    assert "level_words: 'chief' is not a level" in reasons and "education 'kindergarten' is not an option" in reasons


async def test_english_personal_question_gets_the_rule_and_a_prefilled_check_in_english(app):
    user = ChatUser(app, user_id="4401")
    await user.say("/start", language="en")
    await user.say("I have a bachelor's and 6 years, can I apply for intermediate?", language="en")
    text = user.text
    assert text.startswith("From what you told me (education: Bachelor's, 6 year(s) of technical work), "
                           "here are the basic conditions for Engineer (工程师).")
    assert "Source: " in text and "来源" not in text
    assert user.button_labels[0] == BUTTON and user.button_data[1].startswith("kb:up:elig-intermediate:")
    await user.press_label(BUTTON)
    assert "Filled in from what your question said: education: Bachelor's, 6 year(s) of technical work." in user.text
    assert "the result shows whether you can apply for Engineer (工程师)" in user.text
    assert "Question 1: What is your current situation?" in user.text
    for label in ("Employed (company, public institution, association, etc.)",
                  "In Qingdao, industrial internet technical work", "Mainland China resident"):
        await user.press_label(label)
    assert "Question 5: Which engineering professional title" in user.text  # education (4) was skipped
