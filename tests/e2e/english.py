"""Steps shared by the English journeys through the emulator: pressing a labelled button and the
self-check answered as an employed bachelor with four years as assistant engineer."""

from __future__ import annotations

from tests.support.emulator import TgUser, button_data

#: the answers, in order, that lead the English self-check to "Engineer": buttons, except the two
#: typed year counts
SELF_CHECK_TO_ENGINEER: tuple[str, ...] = (
    "Employed (company, public institution, association, etc.)", "In Qingdao, industrial internet technical work",
    "Mainland China resident", "Bachelor's", "Assistant Engineer", "4", "4", "No / not sure", "None",
    "None / not sure",
)
SELF_CHECK_LAST_ANSWER = "Met every year"


async def choose(user: TgUser, question: dict, label: str, expect: int = 1) -> list[dict]:
    """Press the button labelled ``label`` under ``question``; the next ``expect`` messages."""
    buttons = button_data(question)
    assert label in buttons, (label, list(buttons))
    await user.press(question, buttons[label])
    return await user.replies(expect)


async def self_check_to_engineer(user: TgUser, question: dict) -> tuple[dict, dict]:
    """From the self-check's first question to its verdict: (summary, details)."""
    assert "Question 1: What is your current situation?" in question["text"]
    for answer in SELF_CHECK_TO_ENGINEER:
        if answer.isdigit():
            (question,) = await user.say(answer)
        else:
            (question,) = await choose(user, question, answer)
    summary, details = await choose(user, question, SELF_CHECK_LAST_ANSWER, expect=2)
    return summary, details
