"""Names of the terminal actions dialogs may call, so the linter can check them without the bot.

A feature that runs a dialog implements the action (``DialogEngine(actions={name: coroutine})``) and
adds its name here with one line.
"""

from __future__ import annotations

_ACTION_NAMES: set[str] = {
    "eligibility_verdict",  # bot.eligibility.feature: the eligibility evaluator's verdict
}


def register_action_name(name: str) -> None:
    _ACTION_NAMES.add(name)


def registered_actions() -> frozenset[str]:
    return frozenset(_ACTION_NAMES)
