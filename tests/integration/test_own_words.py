"""User-facing texts are in the bot's own words: the copied-run check of ``python -m bot check``."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

from bot.app import content_checkers
from bot.content.check import run_checks
from bot.content.own_words import NOTICES_DIR, SuffixAutomaton, check_own_words, normalise, shared_runs
from bot.paths import PROJECT_ROOT
from tests.integration.test_cli import run_bot
from tests.support.helpers import PROJECT_ENV

#: N24 三(二)1: a whole sentence of 29 characters with no proper name in it.
COPIED = "经审核不符合申报条件的材料，应及时退回并向申报人说明原因。"


def _content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for name in ("dialogs", "knowledge", "rules"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    return root


def _brute_longest(text: str, other: str) -> int:
    best = 0
    for i in range(len(text)):
        for j in range(i + best + 1, len(text) + 1):
            if text[i:j] not in other:
                break
            best = j - i
    return best


def test_repository_texts_pass_and_the_check_is_registered():
    assert check_own_words(PROJECT_ROOT) == []
    assert run_checks(PROJECT_ROOT, content_checkers())["own_words"] == []


def test_suffix_automaton_finds_the_longest_shared_run():
    rng = random.Random(7)
    for _ in range(300):
        base = "".join(rng.choice("申报职称审核") for _ in range(rng.randint(0, 40)))
        text = "".join(rng.choice("申报职称审核单位") for _ in range(rng.randint(0, 30)))
        length, start = SuffixAutomaton(base).longest_shared(text)
        assert length == _brute_longest(text, base)
        assert text[start : start + length] in base


def test_normalise_ignores_whitespace_and_width_and_maps_back():
    normal, index = normalise("评审费 每人\n３６０元")
    assert normal == "评审费每人360元"
    assert "评审费 每人\n３６０元"[index[5]] == "３"


def test_a_copied_notice_sentence_fails_with_file_line_and_the_run(tmp_path):
    assert len(normalise(COPIED)[0]) == 29
    root = _content(tmp_path)
    path = root / "knowledge" / "entries" / "a_procedure.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "answer: |-")
    lines.insert(at + 2, " " * (len(lines[at + 1]) - len(lines[at + 1].lstrip())) + f"另外：{COPIED}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_bot("check", env=PROJECT_ENV | {"CONTENT_DIR": str(root)})
    assert proc.returncode == 1
    assert "own_words: 1 problem(s)" in proc.stdout
    assert f"knowledge/entries/a_procedure.yaml:{at + 3}: entries.0.answer: shares 29 characters" in proc.stdout
    assert f"「{COPIED}」" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_the_copy_is_found_across_line_breaks_and_in_every_kind_of_text(tmp_path):
    root = _content(tmp_path)
    split = COPIED[:15] + "\n  " + COPIED[15:]
    for rel, key in (("rules/status.yaml", "version_note"), ("dialogs/texts_web.yaml", "copied")):
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + f"\n{key}: |-\n  {split}\n", encoding="utf-8")
    problems = check_own_words(root)
    assert sorted((p.file, p.reason.split(":")[0]) for p in problems) == [
        ("dialogs/texts_web.yaml", "copied"),
        ("rules/status.yaml", "version_note"),
    ]
    assert all("shares 29 characters" in p.reason for p in problems)


def test_proper_names_may_be_quoted_whole_and_the_threshold_is_data(tmp_path):
    root = _content(tmp_path)
    committee = "青岛西海岸新区工业互联网工程技术职务资格高级评审委员会"
    path = root / "rules" / "office.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"\nnote_for_check: 高级职称报{committee}评审。\n", encoding="utf-8")
    assert check_own_words(root) == []
    runs, limit = shared_runs(root)
    assert limit == 20
    longest = max(r.length for r in runs)
    names = root / "knowledge" / "proper_names.yaml"
    data = yaml.safe_load(names.read_text(encoding="utf-8"))
    data["max_shared_run"] = longest - 1
    names.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert [p.reason for p in check_own_words(root)] and all(
        f"shares {longest} characters" in p.reason for p in check_own_words(root)
    )


def test_a_broken_allow_list_is_reported_with_its_line(tmp_path):
    root = _content(tmp_path)
    names = root / "knowledge" / "proper_names.yaml"
    names.write_text(names.read_text(encoding="utf-8").replace("max_shared_run: 20", "max_shared_run: many"), encoding="utf-8")
    problems = run_checks(root, content_checkers())["own_words"]
    assert len(problems) == 1 and problems[0].file == "knowledge/proper_names.yaml" and problems[0].line


def test_the_notice_copies_are_the_notices():
    shared = PROJECT_ROOT.parent / "shared" / "notices"
    if not shared.is_dir():
        pytest.skip("the shared notices are not next to this checkout")
    copies = sorted((PROJECT_ROOT / NOTICES_DIR).glob("*.txt"))
    assert [p.name for p in copies] == sorted(p.name for p in shared.glob("*.txt"))
    for copy in copies:
        assert copy.read_bytes() == (shared / copy.name).read_bytes()


def test_without_the_notices_the_check_says_so_instead_of_passing(tmp_path):
    root = _content(tmp_path)
    shutil.rmtree(root / NOTICES_DIR)
    problems = run_checks(root, content_checkers())["own_words"]
    assert [(p.file, p.reason) for p in problems] == [(NOTICES_DIR, "no notice (*.txt) to compare texts with")]
