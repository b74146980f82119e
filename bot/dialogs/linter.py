"""Structural checks of a dialog definition (run by ``python -m bot check``).

Each defect has a kind so that tests (and staff) can tell them apart:

- ``unknown_state``     start or a transition names a state that is not defined
- ``unreachable``       a state no path from start leads to
- ``no_terminal_path``  a state from which no terminal state can be reached
- ``undefined_answer``  a guard names an answer no earlier state collects
- ``bad_guard_value``   a guard compares a button/yes-no answer with a value it can never take
- ``no_default``        the last transition of a state is guarded (the dialog could get stuck)
- ``missing_text``      a prompt, help, label or title key is not in the texts
- ``bad_bounds``        a number input without both bounds or with min > max; a bad text pattern
- ``unknown_action``    a terminal calls an action nobody registered
- ``cycle``             forward transitions loop (a dialog must always end)
- ``too_long``          the longest path asks more questions than ``max_steps``
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.loader import ContentError, ContentProblem, line_of, read_yaml
from bot.dialogs.loader import dialog_files, load_dialog_file
from bot.dialogs.schema import ButtonsInput, Dialog, NumberInput, TextInput, YesNoInput


@dataclass(frozen=True)
class Defect:
    kind: str
    state: str | None
    message: str


def _edges(dialog: Dialog) -> dict[str, list[str]]:
    return {name: [t.goto for t in state.next if t.goto in dialog.states] for name, state in dialog.states.items()}


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start] if start in edges else []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, []))
    return seen


def _has_cycle(edges: dict[str, list[str]]) -> bool:
    colour: dict[str, int] = {}

    def visit(node: str) -> bool:
        colour[node] = 1
        for nxt in edges.get(node, []):
            if colour.get(nxt) == 1 or (colour.get(nxt) is None and visit(nxt)):
                return True
        colour[node] = 2
        return False

    return any(colour.get(n) is None and visit(n) for n in edges)


def longest_question_path(dialog: Dialog) -> int:
    """Most questions any forward path asks (the graph must be acyclic)."""
    edges = _edges(dialog)
    memo: dict[str, int] = {}

    def depth(node: str) -> int:
        if node not in memo:
            state = dialog.states[node]
            own = 0 if state.terminal else 1
            memo[node] = own + max((depth(n) for n in edges[node]), default=0)
        return memo[node]

    return depth(dialog.start) if dialog.start in dialog.states else 0


def _possible_values(dialog: Dialog, answer: str) -> set | None:
    """Values an answer can take, when every state collecting it is a button or yes/no input."""
    values: set = set()
    for name, state in dialog.states.items():
        if state.terminal or dialog.answer_name(name) != answer:
            continue
        if isinstance(state.input, ButtonsInput):
            values.update(o.value for o in state.input.options)
        elif isinstance(state.input, YesNoInput):
            values.update({True, False})
        else:
            return None
    return values


def lint(dialog: Dialog, has_text: Callable[[str], bool] | None = None, actions: Iterable[str] | None = None) -> list[Defect]:
    """All defects of one dialog; ``has_text(key)`` and ``actions`` enable the text and action checks."""
    defects: list[Defect] = []
    states = dialog.states
    if dialog.start not in states:
        defects.append(Defect("unknown_state", None, f"start names unknown state {dialog.start!r}"))
    for name, state in states.items():
        for tr in state.next:
            if tr.goto not in states:
                defects.append(Defect("unknown_state", name, f"transition to unknown state {tr.goto!r}"))
        if state.next and state.next[-1].when:
            defects.append(Defect("no_default", name, "the last transition has a guard; add a final one without 'when'"))
        if isinstance(state.input, NumberInput):
            lo, hi = state.input.min, state.input.max
            if lo is None or hi is None:
                defects.append(Defect("bad_bounds", name, "a number input needs both min and max"))
            elif lo > hi:
                defects.append(Defect("bad_bounds", name, f"min {lo} is greater than max {hi}"))
        if isinstance(state.input, TextInput):
            try:
                re.compile(state.input.pattern)
            except re.error as exc:
                defects.append(Defect("bad_bounds", name, f"text pattern does not compile: {exc}"))
        if state.terminal and actions is not None and state.action not in set(actions):
            defects.append(Defect("unknown_action", name, f"action {state.action!r} is not registered"))

    edges = _edges(dialog)
    reachable = _reachable(dialog.start, edges)
    for name in states:
        if name not in reachable and dialog.start in states:
            defects.append(Defect("unreachable", name, "no path from start leads here"))
    terminals = {n for n, s in states.items() if s.terminal}
    reverse: dict[str, list[str]] = {n: [] for n in states}
    for src, dsts in edges.items():
        for dst in dsts:
            reverse[dst].append(src)
    can_finish: set[str] = set()
    for t in terminals:
        can_finish |= _reachable(t, reverse)
    for name in states:
        if name not in can_finish:
            defects.append(Defect("no_terminal_path", name, "no path from here reaches a terminal state"))

    for name, state in states.items():
        ancestors = _reachable(name, reverse)  # includes the state itself
        known = {dialog.answer_name(a) for a in ancestors if not states[a].terminal}
        if isinstance(state.input, NumberInput) and state.input.min_answer and state.input.min_answer not in known - {dialog.answer_name(name)}:
            defects.append(Defect("undefined_answer", name, f"min_answer names answer {state.input.min_answer!r} that no earlier state collects"))
        for tr in state.next:
            for answer, cond in tr.when.items():
                if answer not in known:
                    defects.append(Defect("undefined_answer", name, f"guard names answer {answer!r} that no earlier state collects"))
                    continue
                possible = _possible_values(dialog, answer)
                if possible is not None:
                    for value in cond.values():
                        if value not in possible:
                            defects.append(Defect("bad_guard_value", name, f"guard compares {answer!r} with {value!r}, which is not one of its options"))

    if has_text is not None:
        keys: list[tuple[str | None, str]] = [(None, dialog.title)]
        for name, state in states.items():
            for key in (state.prompt, state.help):
                if key:
                    keys.append((name, key))
            if isinstance(state.input, ButtonsInput):
                keys.extend((name, o.label) for o in state.input.options)
            if isinstance(state.input, TextInput) and state.input.invalid:
                keys.append((name, state.input.invalid))
            if isinstance(state.input, NumberInput):
                keys.extend((name, key) for key in (state.input.below_answer, state.input.rounded_note) if key)
        for where, key in keys:
            if not has_text(key):
                defects.append(Defect("missing_text", where, f"text key {key!r} is not in dialogs/texts*.yaml"))

    if _has_cycle(edges):
        defects.append(Defect("cycle", None, "forward transitions form a loop; a dialog must always end"))
    elif dialog.start in states:
        longest = longest_question_path(dialog)
        if longest > dialog.max_steps:
            defects.append(Defect("too_long", None, f"the longest path asks {longest} questions, max_steps is {dialog.max_steps}"))
    return defects


def lint_file(path: Path, root: Path | None = None, has_text: Callable[[str], bool] | None = None, actions: Iterable[str] | None = None) -> list[ContentProblem]:
    """Load and lint one dialog file; problems carry the file and the line of the state."""
    try:
        dialog = load_dialog_file(path, root)
    except ContentError as exc:
        return exc.problems
    _, node = read_yaml(path, root)
    rel = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
    problems = []
    for defect in lint(dialog, has_text, actions):
        line = _state_line(node, defect.state) if defect.state else 1
        problems.append(ContentProblem(rel, line, f"{defect.kind}: {defect.message}"))
    return problems


def _state_line(node: yaml.Node | None, state: str) -> int | None:
    """The line of the state's key under ``states`` (where staff look for it)."""
    states = _child(node, "states")
    if isinstance(states, yaml.MappingNode):
        for key_node, _ in states.value:
            if str(key_node.value) == state:
                return key_node.start_mark.line + 1
    return line_of(node, ("states",))


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if str(key_node.value) == key:
                return value_node
    return None


def check_dialogs(root: Path, actions: Collection[str] = frozenset()) -> list[ContentProblem]:
    """The content checker: every dialog under ``root/dialogs`` against the texts and the actions the
    feature modules declare (``FeatureModule.dialog_actions``, handed in by ``bot.app``)."""
    from bot.content.texts import Texts, text_files

    texts = Texts.load(text_files(root), root)
    problems: list[ContentProblem] = []
    for path in dialog_files(root / "dialogs"):
        problems.extend(lint_file(path, root, texts.has, set(actions)))
    return problems
