"""The next step as a unit's HR contact reads it (``hr_next_step`` beside each state's
``next_step`` in rules/status.yaml): one per state of the workflow, in Chinese and English, carrying
the same facts as the applicant's next step, and never speaking to the reader as if they were the
applicant."""

from __future__ import annotations

import pytest
import yaml

from bot.content.texts import placeholders
from bot.paths import PROJECT_ROOT
from bot.status.workflow import WorkflowFile, load_workflow

WORKFLOW = load_workflow(PROJECT_ROOT)
STATES = list(WORKFLOW.states.values())
#: the applicant's own next steps address them so; an HR contact is not the one who resubmits,
#: prints the form or downloads the certificate
SECOND_PERSON = ("请您", "您的", "本人签字后", "存入本人档案")


def _variants(state) -> list[tuple[str, str]]:  # noqa: ANN001
    """(HR field, the applicant's field) for each wording the state has."""
    out = [("hr_next_step", "next_step")]
    if state.next_step_without_due:
        out.append(("hr_next_step_without_due", "next_step_without_due"))
    return out


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.id)
def test_every_state_has_an_hr_step_with_the_applicants_facts(state):
    for hr_field, field in _variants(state):
        zh, en = getattr(state, hr_field), getattr(state, f"{hr_field}_en")
        assert zh and en and zh != en, f"{state.id}: {hr_field} needs Chinese and English"
        # the same dates, fee, address and phone as the applicant is told
        assert placeholders(zh) == placeholders(getattr(state, field)), state.id
        assert placeholders(en) == placeholders(zh), state.id
        assert not any(words in zh for words in SECOND_PERSON), zh
        assert "your application" not in en.lower() and "your title" not in en.lower(), en


def test_the_applicants_own_steps_are_the_second_person_ones():
    """What the HR wording replaces: the workflow's next steps speak to the applicant."""
    assert any(words in state.next_step for state in STATES for words in SECOND_PERSON)


def test_a_state_without_its_hr_wording_is_refused():
    """A state added to rules/status.yaml without the HR contact's wording fails validation (and so
    `python -m bot check`), rather than reaching an HR contact in the applicant's words."""
    raw = yaml.safe_load((PROJECT_ROOT / "rules" / "status.yaml").read_text(encoding="utf-8"))
    del raw["states"][0]["hr_next_step"]
    with pytest.raises(ValueError, match="hr_next_step"):
        WorkflowFile.model_validate(raw)
    raw = yaml.safe_load((PROJECT_ROOT / "rules" / "status.yaml").read_text(encoding="utf-8"))
    returned = next(s for s in raw["states"] if s.get("next_step_without_due"))
    del returned["hr_next_step_without_due"]
    with pytest.raises(ValueError, match="go together"):
        WorkflowFile.model_validate(raw)
