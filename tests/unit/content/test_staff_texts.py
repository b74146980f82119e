"""Staff-facing wording (broadcast console, ``hr invite``, import report lines, workflow refusals)
lives in ``dialogs/texts_*.yaml``: ``check`` names any of those keys the data lacks, and the code
really reads the data (a reworded text shows up in the output)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.content.check import check_texts
from bot.content.texts import Texts, text_files
from bot.paths import PROJECT_ROOT
from bot.reminders.cli import parse_segment
from bot.status.importer import ImportReport, RowError, render_report
from bot.status.workflow import STATUS_FILE, TransitionRefused, load_workflow

#: the keys that replaced strings written in the staff tools' code
MOVED_KEYS = [
    "reminders.broadcast_cli.preview",
    "reminders.broadcast_cli.confirm",
    "reminders.broadcast_cli.queued",
    "reminders.broadcast_cli.wait_for_bot",
    "reminders.broadcast_cli.progress_title",
    "reminders.broadcast_cli.progress_counts",
    "reminders.broadcast.cancelled_draft",
    "reminders.broadcast.segments.all",
    "reminders.broadcast.segments.applicants",
    "reminders.broadcast.segments.hr",
    "reminders.broadcast.segment_level",
    "reminders.broadcast.segment_state",
    "reminders.broadcast.segment_unit",
    "status.invite_cli",
    "status.import.progress",
    "status.import.error_line",
    "status.import.error_line_no_column",
    "status.transition.unknown_state",
    "status.transition.not_allowed",
    "status.transition.level_excluded",
]
TEXTS = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)


def _content_copy(tmp_path: Path) -> Path:
    """The text files and the workflow of the project, in a content root the test may edit."""
    (tmp_path / "dialogs").mkdir()
    for path in text_files(PROJECT_ROOT):
        shutil.copy(path, tmp_path / "dialogs" / path.name)
    (tmp_path / STATUS_FILE).parent.mkdir()
    shutil.copy(PROJECT_ROOT / STATUS_FILE, tmp_path / STATUS_FILE)
    return tmp_path


def _edit_text(root: Path, key: str, value: str | None) -> None:
    """Reword (or, with None, delete) one text key in whichever file of ``root`` defines it."""
    *parents, leaf = key.split(".")
    for path in text_files(root):
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        node = tree
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            if value is None:
                del node[leaf]
            else:
                node[leaf] = value
            path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), encoding="utf-8")
            return
    raise AssertionError(f"{key} is in no text file")


def test_the_moved_keys_are_in_the_data_and_check_is_clean():
    assert [key for key in MOVED_KEYS if not TEXTS.has(key)] == []
    assert check_texts(PROJECT_ROOT) == []


@pytest.mark.parametrize("key", MOVED_KEYS)
def test_check_names_a_missing_staff_key(tmp_path, key):
    root = _content_copy(tmp_path)
    _edit_text(root, key, None)
    problems = [str(p) for p in check_texts(root)]
    assert any(repr(key) in p for p in problems), problems


def test_workflow_refusals_are_worded_by_the_texts(tmp_path):
    workflow = load_workflow(PROJECT_ROOT)
    with pytest.raises(TransitionRefused) as info:
        workflow.check_transition("fee_paid", "assessment", "assistant")
    assert str(info.value) == "状态不能从“评审费已缴”变为“专业测评”：助理级不参加专业测评。"
    with pytest.raises(TransitionRefused) as info:
        workflow.check_transition("accepted", "nonsense")
    assert str(info.value) == "未知状态“nonsense”。"

    root = _content_copy(tmp_path)
    _edit_text(root, "status.transition.not_allowed", "不可从{source}改为{target}")
    with pytest.raises(TransitionRefused) as info:
        load_workflow(root).check_transition("accepted", "passed", "intermediate")
    assert str(info.value) == "不可从审核受理改为通过"


def test_import_error_lines_are_worded_by_the_texts():
    report = ImportReport(total=2, errors=[RowError(2, "申报编号", "不能为空"), RowError(3, "", "整行无法读取")])
    text = render_report(report, TEXTS.get)
    assert "第2行 申报编号：不能为空" in text and "第3行：整行无法读取" in text
    reworded = Texts({**{k: TEXTS.get(k) for k in TEXTS.keys()}, "status.import.error_line": "行{row}/{column}: {reason}"})
    assert "行2/申报编号: 不能为空" in render_report(report, reworded.get)


def test_broadcast_segments_are_labelled_from_the_texts():
    workflow = load_workflow(PROJECT_ROOT)
    assert parse_segment("all", workflow, {}, TEXTS.get)[1] == "全部用户"
    assert parse_segment("HR", workflow, {}, TEXTS.get)[1] == "单位职称工作负责人"
    assert parse_segment("level:中级", workflow, {}, TEXTS.get)[1] == "申报级别为“中级”的已绑定申报人"
    assert parse_segment("state:退回补正", workflow, {}, TEXTS.get)[1] == "申报状态为“退回补正”的已绑定申报人"
    assert parse_segment("unit:青岛示例", workflow, {"青岛示例": 7}, TEXTS.get)[1] == "“青岛示例”的申报人和职称工作负责人"
    with pytest.raises(ValueError, match="segment must be all, applicants, hr"):
        parse_segment("everyone", workflow, {}, TEXTS.get)


def test_every_import_problem_the_code_can_name_has_its_wording():
    """The importer names problems by short key (``self._row_error(row, "姓名", "required")``,
    ``TableFileError("empty")``, ``DateCellError("time_unreadable")``, a due date's
    "due_before_status"); ``check`` only sees full keys, so this scans for them."""
    import re

    texts = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)
    sources = {name: (PROJECT_ROOT / "bot" / "status" / name).read_text(encoding="utf-8")
               for name in ("importer.py", "tablefile.py")}
    keys = set(re.findall(r'self\._(?:t|row_error|refuse_file)\((?:[^,()]+, ){0,2}"([a-z_]+)"', sources["importer.py"]))
    keys |= set(re.findall(r'"(due_before_\w+)"', sources["importer.py"]))
    keys |= set(re.findall(r'DateCellError\("(\w+)"', sources["importer.py"] + sources["tablefile.py"]))
    keys |= set(re.findall(r'TableFileError\("(\w+)"', sources["tablefile.py"]))
    assert {"required", "time_unreadable", "time_ambiguous", "time_serial_range", "due_before_import", "empty",
            "column_twice"} <= keys  # the scan itself works
    missing = sorted(k for k in keys if not texts.has(f"status.import_errors.{k}"))
    assert missing == []
