"""``python -m bot check`` (translations): every text file's English twin has exactly its keys and,
key by key, its placeholders."""

from __future__ import annotations

from pathlib import Path

from bot.content.texts import ENGLISH_PENDING, check_translations, english_twin, text_files
from tests.support.helpers import copy_content


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_repository_passes():
    from bot.paths import PROJECT_ROOT

    assert check_translations(PROJECT_ROOT) == []


def test_every_text_file_not_pending_has_an_english_twin():
    from bot.paths import PROJECT_ROOT

    missing = [p.name for p in text_files(PROJECT_ROOT) if not english_twin(p).is_file() and p.name not in ENGLISH_PENDING]
    assert missing == []


def test_a_missing_english_key_is_reported_with_file_and_key(tmp_path):
    root = copy_content(tmp_path)
    _edit(root / "dialogs/en/texts.yaml", "  busy: One moment please, I am still working on your previous message.\n", "")
    problems = check_translations(root)
    assert [(p.file, p.reason) for p in problems] == [("dialogs/en/texts.yaml", "English text 'errors.busy' is missing")]


def test_an_extra_english_key_is_reported(tmp_path):
    root = copy_content(tmp_path)
    _edit(root / "dialogs/en/texts.yaml", "cancel:\n", "cancel:\n  later: Later.\n")
    problems = check_translations(root)
    assert len(problems) == 1 and "'cancel.later'" in problems[0].reason and "extra" in problems[0].reason


def test_placeholders_that_differ_are_reported(tmp_path):
    root = copy_content(tmp_path)
    _edit(root / "dialogs/en/texts.yaml", "Please keep it under {limit} characters.", "Please keep it short.")
    problems = check_translations(root)
    assert len(problems) == 1
    assert problems[0].file == "dialogs/en/texts.yaml"
    assert "'input.too_long'" in problems[0].reason and "limit" in problems[0].reason


def test_a_misspelt_placeholder_is_reported(tmp_path):
    root = copy_content(tmp_path)
    _edit(root / "dialogs/en/texts_web.yaml", "wait {seconds} seconds", "wait {second} seconds")
    problems = check_translations(root)
    assert len(problems) == 1 and "'web.rate_limited'" in problems[0].reason


def test_a_missing_english_file_is_reported_unless_pending(tmp_path):
    root = copy_content(tmp_path)
    (root / "dialogs/en/texts_dialog_engine.yaml").unlink()
    problems = check_translations(root)
    assert [p.file for p in problems] == ["dialogs/en/texts_dialog_engine.yaml"]
    assert "missing" in problems[0].reason


def test_an_english_file_without_a_chinese_original_is_reported(tmp_path):
    root = copy_content(tmp_path)
    (root / "dialogs/en/texts_stray.yaml").write_text("stray:\n  a: A\n", encoding="utf-8")
    problems = check_translations(root)
    assert [p.file for p in problems] == ["dialogs/en/texts_stray.yaml"]


def test_the_check_command_fails_on_a_parity_problem(tmp_path):
    import subprocess
    import sys

    from tests.support.helpers import PROJECT_ENV

    root = copy_content(tmp_path)
    _edit(root / "dialogs/en/texts.yaml", "  busy: One moment please, I am still working on your previous message.\n", "")
    done = subprocess.run([sys.executable, "-m", "bot", "check"], env=PROJECT_ENV | {"CONTENT_DIR": str(root)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "dialogs/en/texts.yaml" in done.stdout + done.stderr and "errors.busy" in done.stdout + done.stderr


def test_an_english_text_naming_a_later_year_is_refused(tmp_path):
    """English writes years alone ("by 30 August 2025"); the later-years check reads them too, in
    dialogs/en/ and in fields named ``*_en``, but not document numbers like 〔2021〕."""
    from bot.reference.later_years import check_no_later_years

    root = copy_content(tmp_path)
    _edit(root / "dialogs/en/texts.yaml", "  busy: One moment please,", "  busy: Until 30 August 2025, one moment please,")
    [problem] = check_no_later_years(root)
    assert problem.file == "dialogs/en/texts.yaml" and "2025" in problem.reason and "errors.busy" in problem.reason
    _edit(root / "dialogs/en/texts.yaml", "Until 30 August 2025, one", "Under 鲁发改成本〔2026〕1号 and 2024, one")
    assert check_no_later_years(root) == []
    rules = sorted((root / "rules").glob("*.yaml"))[0]
    rules.write_text(rules.read_text(encoding="utf-8") + "\nnote_en: Applications open in 2026.\n", encoding="utf-8")
    [problem] = check_no_later_years(root)
    assert problem.file == f"rules/{rules.name}" and "2026" in problem.reason
