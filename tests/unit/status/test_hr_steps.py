"""The next step as a unit's HR contact reads it (``status.hr_step.*``): one text per state of the
workflow, in Chinese and English, carrying the same facts as the applicant's next step, and never
speaking to the reader as if they were the applicant."""

from __future__ import annotations

import pytest

from bot.content.texts import Texts, placeholders, text_files
from bot.paths import PROJECT_ROOT
from bot.status.cards import HR_STEP, HR_STEP_OTHER
from bot.status.workflow import load_workflow

TEXTS = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)
WORKFLOW = load_workflow(PROJECT_ROOT)
STATES = list(WORKFLOW.states.values())
#: the applicant's own next steps address them so; an HR contact is not the one who resubmits,
#: prints the form or downloads the certificate
SECOND_PERSON = ("请您", "您的", "本人签字后", "存入本人档案")


def _variants(state) -> list[tuple[str, str]]:  # noqa: ANN001
    """(HR key, the applicant's field) for each wording the state has."""
    out = [(f"{HR_STEP}.{state.id}", "next_step")]
    if state.next_step_without_due:
        out.append((f"{HR_STEP}.{state.id}_without_due", "next_step_without_due"))
    return out


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.id)
def test_every_state_has_an_hr_step_with_the_applicants_facts(state):
    for key, field in _variants(state):
        assert TEXTS.has(key), f"{key} is missing from dialogs/texts_status.yaml"
        zh, en = TEXTS.get(key), TEXTS.get(key, "en")
        assert zh != en, f"{key} has no English text"
        # the same dates, fee, address and phone as the applicant is told
        assert placeholders(zh) == placeholders(getattr(state, field)), key
        assert placeholders(en) == placeholders(zh), key
        assert not any(words in zh for words in SECOND_PERSON), zh
        assert "your application" not in en.lower() and "your title" not in en.lower(), en


def test_the_applicants_own_steps_are_the_second_person_ones():
    """What the HR wording replaces: the workflow's next steps speak to the applicant."""
    assert any(words in state.next_step for state in STATES for words in SECOND_PERSON)


def test_the_general_hr_step_exists_for_states_added_later():
    assert TEXTS.has(HR_STEP_OTHER) and TEXTS.get(HR_STEP_OTHER, "en") != TEXTS.get(HR_STEP_OTHER)
    known = {state.id for state in STATES} | {f"{s.id}_without_due" for s in STATES} | {"other"}
    stray = [key for key in TEXTS.keys() if key.startswith(f"{HR_STEP}.") and key.removeprefix(f"{HR_STEP}.") not in known]
    assert stray == []  # a text for a state the workflow no longer has
