"""The generic dialog engine: the linter on broken fixture dialogs, the graph, and a random walk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import content_checkers
from bot.content.loader import ContentError
from bot.dialogs.graph import mermaid
from bot.dialogs.linter import lint, longest_question_path
from bot.dialogs.loader import dialog_files, load_all, load_dialog_file
from bot.dialogs.runner import DialogEngine
from bot.dialogs.schema import ButtonsInput, NumberInput, TextInput, YesNoInput
from bot.paths import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "dialogs"
DEFECT_KINDS = [
    "unknown_state", "unreachable", "no_terminal_path", "undefined_answer", "bad_guard_value",
    "no_default", "missing_text", "bad_bounds", "unknown_action", "cycle", "too_long",
]

#: the dialog checker as `python -m bot check` runs it (with the actions the feature modules declare)
check_dialogs = content_checkers()["dialogs"]


def content_root_with(tmp_path: Path, *fixtures: str) -> Path:
    """A content root holding the real texts plus the named fixture dialogs."""
    root = tmp_path / "content"
    (root / "dialogs").mkdir(parents=True)
    for text_file in (PROJECT_ROOT / "dialogs").glob("texts*.yaml"):
        shutil.copy(text_file, root / "dialogs" / text_file.name)
    shutil.copy(FIXTURES / "texts_fixture.yaml", root / "dialogs" / "texts_fixture.yaml")
    for name in fixtures:
        shutil.copy(FIXTURES / f"{name}.yaml", root / "dialogs" / f"{name}.yaml")
    return root


def kinds_of(problems) -> set[str]:
    return {p.reason.split(":", 1)[0] for p in problems}


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_check_catches_each_defect_kind(tmp_path, kind):
    root = content_root_with(tmp_path, kind)
    problems = check_dialogs(root)
    assert kind in kinds_of(problems), problems
    assert all(p.file == f"dialogs/{kind}.yaml" for p in problems)
    assert all(p.line for p in problems)  # file and line for staff


def test_each_fixture_has_only_its_own_defect(tmp_path):
    root = content_root_with(tmp_path, *DEFECT_KINDS)
    by_file: dict[str, set[str]] = {}
    for problem in check_dialogs(root):
        by_file.setdefault(problem.file, set()).add(problem.reason.split(":", 1)[0])
    for kind in DEFECT_KINDS:
        expected = {kind, "cycle"} if kind == "no_terminal_path" else {kind}
        assert by_file[f"dialogs/{kind}.yaml"] == expected


def test_good_fixture_and_real_dialogs_are_clean(tmp_path):
    assert check_dialogs(content_root_with(tmp_path, "good")) == []
    assert check_dialogs(PROJECT_ROOT) == []


def test_defects_name_the_state_and_line(tmp_path):
    root = content_root_with(tmp_path, "unreachable")
    [problem] = check_dialogs(root)
    assert "no path from start" in problem.reason
    text = (root / "dialogs" / "unreachable.yaml").read_text().splitlines()
    assert text[problem.line - 1].strip() == "orphan:"


def test_missing_text_names_each_key(tmp_path):
    problems = check_dialogs(content_root_with(tmp_path, "missing_text"))
    reasons = " ".join(p.reason for p in problems)
    assert "fx.no_such_question" in reasons and "fx.opt.missing_label" in reasons
    assert "fx.opt.one'" not in reasons


def test_bad_bounds_reports_both_problems(tmp_path):
    problems = check_dialogs(content_root_with(tmp_path, "bad_bounds"))
    reasons = [p.reason for p in problems]
    assert any("min 50 is greater than max 0" in r for r in reasons)
    assert any("needs both min and max" in r for r in reasons)


def test_schema_errors_are_content_problems_with_lines(tmp_path):
    bad = tmp_path / "dialogs"
    bad.mkdir()
    (bad / "oops.yaml").write_text("dialog: oops\ntitle: fx.title\nstart: a\nmax_steps: 3\nstates:\n  a:\n    prompt: fx.q\n    input: {kind: slider}\n    next: [{goto: a}]\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_all(tmp_path)
    assert info.value.problems[0].line == 8


def test_file_name_must_match_dialog_name(tmp_path):
    (tmp_path / "dialogs").mkdir()
    shutil.copy(FIXTURES / "good.yaml", tmp_path / "dialogs" / "other.yaml")
    with pytest.raises(ContentError, match="must match the file name"):
        load_all(tmp_path)


def test_version_is_a_hash_of_the_file(tmp_path):
    path = tmp_path / "good.yaml"
    shutil.copy(FIXTURES / "good.yaml", path)
    first = load_dialog_file(path).version
    assert first == load_dialog_file(path).version and len(first) == 16
    path.write_text(path.read_text() + "\n# edited\n")
    assert load_dialog_file(path).version != first


def test_mermaid_graph_lists_every_transition():
    dialog = load_dialog_file(FIXTURES / "good.yaml")
    graph = mermaid(dialog)
    assert graph.startswith("stateDiagram-v2\n    [*] --> pick\n")
    assert "pick --> done : pick = two" in graph
    assert "pick --> count : 否则" in graph
    assert "count --> confirm : count ≥ 10" in graph
    assert "done --> [*]" in graph
    edges = sum(len(s.next) for s in dialog.states.values())
    assert graph.count(" --> ") == edges + 2  # plus the start and the terminal edge


def test_cli_graph_prints_mermaid():
    from typer.testing import CliRunner

    from bot.cli import _register_optional_commands, app

    _register_optional_commands()
    result = CliRunner().invoke(app, ["dialogs", "graph", "eligibility"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("stateDiagram-v2")
    assert "person_type --> verdict" in result.output
    missing = CliRunner().invoke(app, ["dialogs", "graph", "nope"])
    assert missing.exit_code == 2


def test_committed_diagram_is_current():
    """docs/dialogs/eligibility.md holds the diagram of the dialog as it is now."""
    dialog = load_dialog_file(PROJECT_ROOT / "dialogs" / "eligibility.yaml")
    for doc in (PROJECT_ROOT / "docs" / "dialogs" / "eligibility.md", PROJECT_ROOT / "dialogs" / "eligibility.md"):
        assert f"```mermaid\n{mermaid(dialog)}```" in doc.read_text(encoding="utf-8"), doc


def test_eligibility_dialog_never_asks_more_than_fourteen():
    dialog = load_dialog_file(PROJECT_ROOT / "dialogs" / "eligibility.yaml")
    assert dialog.max_steps == 14
    assert longest_question_path(dialog) == 14


# ---- property: random answers always end within max_steps -------------------------------------
def _all_dialogs():
    dialogs = [load_dialog_file(p) for p in dialog_files(PROJECT_ROOT / "dialogs")]
    dialogs.append(load_dialog_file(FIXTURES / "good.yaml"))
    return dialogs


def _answer_strategy(state):
    spec = state.input
    if isinstance(spec, ButtonsInput):
        return st.sampled_from([o.value for o in spec.options])
    if isinstance(spec, YesNoInput):
        return st.booleans()
    if isinstance(spec, NumberInput):
        return st.integers(spec.min, spec.max)
    if isinstance(spec, TextInput):
        return st.from_regex(spec.pattern, fullmatch=True)
    raise AssertionError(spec)


@pytest.mark.parametrize("dialog", _all_dialogs(), ids=lambda d: d.dialog)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_answers_always_end_within_max_steps(dialog, data):
    engine = DialogEngine(dialog, "t", {})
    assert not lint(dialog)
    current, answers, asked = dialog.start, {}, 0
    while not dialog.states[current].terminal:
        state = dialog.states[current]
        answers[dialog.answer_name(current)] = data.draw(_answer_strategy(state))
        asked += 1
        assert asked <= dialog.max_steps
        current = engine.next_state(current, answers)
        assert current in dialog.states
    assert asked <= dialog.max_steps


class _FakeCtx:
    """Just enough of a Context for parsing: texts with placeholders filled."""

    def __init__(self) -> None:
        from bot.content.texts import Texts, text_files

        self.texts = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)

    def t(self, key: str, **values) -> str:
        return self.texts.get(key, phone="0", **values)


_CTX = _FakeCtx()


@pytest.mark.parametrize("dialog", _all_dialogs()[:-1], ids=lambda d: d.dialog)
@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_any_typed_text_is_an_answer_or_a_reason(dialog, text):
    """Parsing never throws anything but InvalidAnswer, and a parsed value always fits the input."""
    from bot.dialogs.runner import InvalidAnswer

    engine = DialogEngine(dialog, "t", {})
    for state in dialog.states.values():
        if state.terminal:
            continue
        try:
            value = engine.parse_text(_CTX, state, text)
        except InvalidAnswer as exc:
            assert exc.reason
            continue
        if isinstance(state.input, NumberInput):
            assert state.input.min <= value <= state.input.max
        elif isinstance(state.input, ButtonsInput):
            assert value in [o.value for o in state.input.options]
        elif isinstance(state.input, YesNoInput):
            assert isinstance(value, bool)


@pytest.mark.parametrize(
    ("label", "typed", "matches"),
    [
        ("在职（企业、事业单位、社会团体等）", "在职", True),
        ("内地（大陆）居民", "大陆", True),
        ("没有/不清楚", "不清楚", True),
        ("Junior college (大专)", "大专", True),
        ("No / not sure", "no", True),
        ("在青岛市，从事工业互联网专业技术工作", "在青岛市从事工业互联网专业技术工作", True),
        # a piece of a word or of a longer name is no part: typed, it would pick the wrong button
        ("Second bachelor's degree", "bachelor's degree", False),
        ("Champion (not in the 专精特新 lists)", "no", False),
        ("第二学士学位", "学士学位", False),
        ("在山东，但不从事工业互联网工作", "从事工业互联网", False),
    ],
)
def test_the_parts_of_a_button_label_a_person_may_type(label, typed, matches):
    from bot.dialogs.runner import label_parts, letters_only

    assert (letters_only(typed.lower()) in label_parts(label.lower())) is matches
