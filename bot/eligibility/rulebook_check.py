"""``python -m bot check`` for the eligibility rulebook: every source names a known document, and
every exclusion reads a field the profile has.

Kept apart from the rulebook because it reads the profile, which itself is built on the rulebook's
vocabularies (education, titles, skill levels).
"""

from __future__ import annotations

from pathlib import Path

from bot.content.loader import ContentError, ContentProblem, read_yaml
from bot.content.localized import english_problems
from bot.eligibility.profile import Profile
from bot.eligibility.rulebook import load_qualifications, load_rulebook
from bot.reference.documents import is_worded_section


def check_rulebook(root: Path) -> list[ContentProblem]:
    """Rules load (pydantic refuses a row without its source), every user-facing field has its
    English sibling, every cited document id is in knowledge/documents.yaml, and every worded
    section label the rules cite has its English in knowledge/en/documents.yaml."""
    problems: list[ContentProblem] = []
    try:
        book = load_rulebook(root)
        quals = load_qualifications(root)
    except ContentError as exc:
        return exc.problems
    problems += english_problems(book, "rules/eligibility.yaml", read_yaml(root / "rules" / "eligibility.yaml", root)[1])
    problems += english_problems(quals, "rules/qualifications.yaml", read_yaml(root / "rules" / "qualifications.yaml", root)[1])
    known = set(book.documents)
    for label, source in book.all_sources():
        if source.document not in known:
            problems.append(ContentProblem("rules/eligibility.yaml", None, f"{label}: unknown document {source.document!r}"))
    for label, source in [("source", quals.source)] + [(f"mappings[{i}]", m.source) for i, m in enumerate(quals.mappings)]:
        if source.document not in known:
            problems.append(ContentProblem("rules/qualifications.yaml", None, f"{label}: unknown document {source.document!r}"))
    if quals.document not in known:
        problems.append(ContentProblem("rules/qualifications.yaml", None, f"document: unknown document {quals.document!r}"))
    if book.documents_in(english=True)[0]:
        english_words = book.documents_in(english=True)[1]
        for label, source in book.all_sources():
            if source.section and is_worded_section(source.section) and source.section not in english_words:
                problems.append(ContentProblem("knowledge/en/documents.yaml", None,
                                               f"{label}: section {source.section!r} has no English under `sections`"))
    for exclusion in book.exclusions:
        for field in exclusion.when:
            if field not in Profile.model_fields:
                problems.append(ContentProblem("rules/eligibility.yaml", None, f"exclusion {exclusion.id}: unknown profile field {field!r}"))
    return problems
