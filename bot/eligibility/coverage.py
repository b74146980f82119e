"""Every input the rules read is asked or derived on every dialog path that ends in an evaluation.

The rulebook lists the profile fields it reads and when each matters (``inputs`` in
``rules/eligibility.yaml``). This check walks the paths of ``dialogs/eligibility.yaml``: a path that
reaches the verdict with the applicant neither excluded, nor outside the notices, nor at the top
title, must have asked every field needed on it (or an answer it is derived from,
``bot.eligibility.answers.DERIVED``). Otherwise the evaluator silently reads a default, as it did
with years of work for title holders (0 years: 本科 + 技术员 refused 助理).

Only answers that steer something (a guard, an input's condition, an exclusion) branch the walk;
the others take their first option, which keeps the walk to a few thousand paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.content.loader import ContentError, ContentProblem
from bot.dialogs.schema import ButtonsInput, Dialog, NumberInput, YesNoInput
from bot.eligibility.answers import DERIVED, profile_from_answers
from bot.eligibility.profile import Profile
from bot.eligibility.rulebook import TITLE_RANK, Rulebook

DIALOG_FILE = "dialogs/eligibility.yaml"


def _steering(dialog: Dialog, book: Rulebook) -> set[str]:
    """Answers (and the profile fields they become) whose value changes a path or a need."""
    names: set[str] = {"origin", "current_title"}  # not_covered and top_title
    for state in dialog.states.values():
        for transition in state.next:
            names.update(transition.when)
    for item in book.inputs:
        names.update(item.when)
        names.update(item.unless)
    for exclusion in book.exclusions:
        names.update(exclusion.when)
    for field, sources in DERIVED.items():
        if field in names:
            names.update(sources)
    return names


def _values(dialog: Dialog, name: str, answers: dict[str, Any], steering: set[str]) -> list[Any]:
    state = dialog.states[name]
    spec = state.input
    if isinstance(spec, ButtonsInput):
        values: list[Any] = [o.value for o in spec.options]
    elif isinstance(spec, YesNoInput):
        values = [True, False]
    elif isinstance(spec, NumberInput):
        from bot.dialogs.runner import DialogEngine

        values = [DialogEngine.number_bounds(spec, answers)[0]]
    else:
        values = [""]
    return values if dialog.answer_name(name) in steering else values[:1]


def walk(dialog: Dialog, book: Rulebook) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(states asked, answers) of every path that reaches a terminal state."""
    steering = _steering(dialog, book)

    def go(name: str, path: list[str], answers: dict[str, Any]) -> Iterator[tuple[list[str], dict[str, Any]]]:
        state = dialog.states[name]
        if state.terminal:
            yield path, answers
            return
        for value in _values(dialog, name, answers, steering):
            after = {**answers, dialog.answer_name(name): value}
            target = next((t.goto for t in state.next if t.matches(after)), None)
            if target is not None and target in dialog.states:
                yield from go(target, [*path, name], after)

    yield from go(dialog.start, [], {})


def _evaluated(profile: Profile, book: Rulebook) -> bool:
    """Does the evaluation go past the exclusions, the uncovered origins and the top title?"""
    for exclusion in book.exclusions:
        if all(_matches(getattr(profile, f), want) for f, want in exclusion.when.items()):
            return False
    if profile.origin in book.not_covered.origins:
        return False
    return TITLE_RANK[profile.current_title] < TITLE_RANK[book.top_title]


def _matches(value: Any, want: Any) -> bool:
    return value in want if isinstance(want, list) else value == want


def unasked_inputs(dialog: Dialog, book: Rulebook) -> list[str]:
    """One message per (field) that some evaluating path neither asks nor derives."""
    found: dict[str, str] = {}
    for path, answers in walk(dialog, book):
        try:
            profile, _ = profile_from_answers(answers)
        except ValidationError as exc:
            found.setdefault("(profile)", f"answers {answers} do not make a valid profile: {exc.errors()[0]['msg']}")
            continue
        if not _evaluated(profile, book):
            continue
        values = profile.model_dump()
        for item in book.inputs:
            if item.field in found or item.field in answers or not item.needed(values):
                continue
            if any(source in answers for source in DERIVED.get(item.field, ())):
                continue
            found[item.field] = (f"the rules read {item.field!r} but the path {' → '.join(path)} "
                                 f"neither asks nor derives it")
    return list(found.values())


def check_inputs(root: Path) -> list[ContentProblem]:
    """The content checker: fields declared, known to the profile, and asked where needed."""
    from bot.dialogs.loader import load_dialog
    from bot.eligibility.rulebook import load_rulebook

    try:
        book = load_rulebook(root)
        dialog = load_dialog(root, "eligibility")
    except ContentError:
        return []  # reported by the rulebook and dialog checkers
    problems = [ContentProblem("rules/eligibility.yaml", None, f"inputs: unknown profile field {item.field!r}")
                for item in book.inputs if item.field not in Profile.model_fields]
    if problems:
        return problems
    return [ContentProblem(DIALOG_FILE, None, message) for message in unasked_inputs(dialog, book)]
