"""Content validation of knowledge/: every reference checked, problems reported with file and line."""

from __future__ import annotations

import copy

import pytest

from bot.app import content_checkers
from bot.content.check import run_checks
from bot.knowledge.loader import check_knowledge, load_knowledge
from bot.paths import PROJECT_ROOT
from tests.support.kb_fixtures import ENTRIES, MATCHER, write_knowledge


def entries_with(**changes) -> dict:
    data = copy.deepcopy(ENTRIES)
    data["entries"][0].update(changes)
    return data


def reasons(root) -> list[str]:
    return [str(p) for p in check_knowledge(root)]


def test_fixture_is_valid(tmp_path):
    root = write_knowledge(tmp_path)
    assert reasons(root) == []
    kb = load_knowledge(root)
    assert [e.id for e in kb.entries][:2] == ["fee-amounts", "fee-payment"]


def test_real_content_is_valid_and_registered_with_check():
    assert check_knowledge(PROJECT_ROOT) == []
    assert run_checks(PROJECT_ROOT, content_checkers())["knowledge"] == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sources": [{"document": "nope", "section": "三(五)2"}]}, "document 'nope' is not in documents.yaml"),
        ({"sources": [{"document": "n2024", "section": "九(九)"}]}, "section '九(九)' of n2024 is not in sections.yaml"),
        ({"related": ["no-such-entry"]}, "related 'no-such-entry' is not an entry id"),
        ({"related": ["fee-amounts"]}, "refers to itself"),
        ({"alternatives": ["一", "二", "三"]}, "at least 4 items"),
        ({"topic": "weather"}, "topic"),
        ({"cycle": "next"}, "cycle"),
        ({"id": "Fee_Amounts"}, "id"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
        ({"sources": [{"document": "n2024", "section": "三(五)2", "confidence": "sure"}]}, "confidence"),
        ({"subject": "weather"}, "subject 'weather' has no words in synonyms.yaml"),
    ],
)
def test_bad_entries_are_reported_with_file_and_line(tmp_path, changes, expected):
    root = write_knowledge(tmp_path, entries_with(**changes))
    found = reasons(root)
    assert any(expected in r for r in found), found
    assert all(r.startswith("knowledge/entries/fixture.yaml:") for r in found), found


def test_section_labels_compare_after_nfkc(tmp_path):
    root = write_knowledge(tmp_path, entries_with(sources=[{"document": "n2024", "section": "三（五）2"}]))
    assert reasons(root) == []


def test_duplicate_ids_across_files(tmp_path):
    root = write_knowledge(tmp_path)
    second = {"entries": [copy.deepcopy(ENTRIES["entries"][2])]}
    (root / "knowledge" / "entries" / "other.yaml").write_text(
        __import__("yaml").safe_dump(second, allow_unicode=True), encoding="utf-8"
    )
    found = reasons(root)
    assert any("'online-deadline' is already used in knowledge/entries/" in r for r in found), found


def test_bad_matcher_file_and_synonym_conflicts(tmp_path):
    bad = copy.deepcopy(MATCHER)
    bad["thresholds"]["answer"] = 1.5
    root = write_knowledge(tmp_path, matcher=bad)
    assert any("thresholds.answer" in r for r in reasons(root))
    root = write_knowledge(tmp_path)
    (root / "knowledge" / "synonyms.yaml").write_text(
        "synonyms:\n  - {canonical: 截止, variants: [截至]}\n  - {canonical: 期限, variants: [截至]}\n", encoding="utf-8"
    )
    assert any("belongs to" in r for r in reasons(root))


def test_missing_entries_directory(tmp_path):
    root = write_knowledge(tmp_path)
    (root / "knowledge" / "entries" / "fixture.yaml").unlink()
    assert any("no entry files" in r for r in reasons(root))


def test_same_phrasing_in_two_entries_is_reported(tmp_path):
    data = copy.deepcopy(ENTRIES)
    data["entries"][1]["alternatives"][0] = "評審費多少錢？"  # normalises like fee-amounts' 评审费多少钱
    root = write_knowledge(tmp_path, data)
    assert any("normalises like one of fee-amounts" in r for r in reasons(root)), reasons(root)


def test_content_written_before_subjects_were_general_still_loads(tmp_path):
    """``about_skills: true`` and ``skill_words`` (what earlier commits say, read by ``kb eval
    --as-of``) are the skills subject; ``about_skills: false`` is no subject."""
    from bot.knowledge.schema import Entry, SynonymsFile

    entry = copy.deepcopy(ENTRIES["entries"][0])
    assert Entry.model_validate(entry | {"about_skills": True}).subject == "skills"
    assert Entry.model_validate(entry | {"about_skills": False}).subject is None
    synonyms = SynonymsFile.model_validate({"skill_words": ["技师"], "subjects": {"zjtx": ["专精特新"]}})
    assert synonyms.subjects == {"zjtx": ["专精特新"], "skills": ["技师"]}
    with pytest.raises(ValueError, match="has no words"):
        SynonymsFile.model_validate({"subjects": {"zjtx": [" "]}})
