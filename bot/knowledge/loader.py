"""Load ``knowledge/`` and check every cross-reference, reporting file, line and reason.

Files: ``entries/*.yaml`` (entries, possibly split by author), ``documents.yaml`` (source
documents), ``sections.yaml`` (every section of the seed notices), ``synonyms.yaml`` and
``matcher.yaml`` (calibrated thresholds), ``levels.yaml`` (title levels and their words; optional,
without it no entry may declare levels), ``asks.yaml`` (ask types and their cue words; optional
likewise). The loaded ``KnowledgeBase`` is cached per process and
per file state, so the index is built once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bot.content.loader import (
    ContentError,
    ContentProblem,
    line_of,
    load_model,
    read_yaml,
    validate_file,
    validation_problems,
)
from bot.knowledge.schema import (
    AsksFile,
    DocumentsFile,
    EntriesFile,
    Entry,
    LevelsFile,
    MatcherConfig,
    SectionsFile,
    SynonymsFile,
)

KNOWLEDGE_DIR = "knowledge"
LEVELS_FILE = "levels.yaml"
ASKS_FILE = "asks.yaml"


@dataclass
class KnowledgeBase:
    """Validated content, ready for the matcher."""

    entries: list[Entry]
    documents: dict[str, object]
    sections: dict[str, list[str]]
    synonyms: SynonymsFile
    config: MatcherConfig
    #: entry id → relative file it came from (for reports)
    origin: dict[str, str] = field(default_factory=dict)
    #: title levels and their words (empty when knowledge/levels.yaml is absent)
    levels: LevelsFile = field(default_factory=LevelsFile)
    #: ask types and their cue words (empty when knowledge/asks.yaml is absent)
    asks: AsksFile = field(default_factory=AsksFile)

    def __post_init__(self) -> None:
        #: entry id → entry; the id of an entry merged into another leads to the one that replaced it
        self.by_id = {old: e for e in self.entries for old in e.replaces}
        self.by_id.update({e.id: e for e in self.entries})

    def document_short(self, document_id: str) -> str:
        doc = self.documents.get(document_id)
        return getattr(doc, "short", document_id)


def section_key(label: str) -> str:
    """Section labels compare after NFKC and without spaces: 三（五）2 == 三(五)2."""
    return "".join(unicodedata.normalize("NFKC", label).split())


def entry_files(root: Path) -> list[Path]:
    return sorted((root / KNOWLEDGE_DIR / "entries").glob("*.yaml"))


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _load(path: Path, model, root: Path, problems: list[ContentProblem]):  # noqa: ANN001, ANN202
    try:
        return load_model(path, model, root)
    except ContentError as exc:
        problems.extend(exc.problems)
        return None


def load_entries(root: Path, problems: list[ContentProblem]) -> tuple[list[Entry], dict[str, str], dict]:
    """Every entry of every file; duplicates reported with both places."""
    entries: list[Entry] = []
    origin: dict[str, str] = {}
    where: dict[str, tuple[str, object, int]] = {}
    files = entry_files(root)
    if not files:
        problems.append(ContentProblem(f"{KNOWLEDGE_DIR}/entries", None, "no entry files (*.yaml) found"))
    for path in files:
        name = _rel(path, root)
        loaded = validate_file(path, EntriesFile, name, problems, root)
        if loaded is None:
            continue
        parsed, node = loaded
        for i, entry in enumerate(parsed.entries):
            if entry.id in origin:
                line = line_of(node, ("entries", i, "id"))
                problems.append(
                    ContentProblem(name, line, f"entry id {entry.id!r} is already used in {origin[entry.id]}")
                )
                continue
            origin[entry.id] = f"{name}:{line_of(node, ('entries', i, 'id'))}"
            where[entry.id] = (name, node, i)
            entries.append(entry)
    return entries, origin, where


def _check_references(
    entries: list[Entry],
    where: dict,
    documents: DocumentsFile | None,
    sections: SectionsFile | None,
    problems: list[ContentProblem],
    levels: LevelsFile | None = None,
    asks: AsksFile | None = None,
) -> None:
    doc_ids = {d.id for d in documents.documents} if documents else None
    section_sets = (
        {doc: {section_key(s) for s in labels} for doc, labels in sections.documents.items()} if sections else {}
    )
    ids = {e.id for e in entries}
    level_ids = {level.id for level in levels.levels} if levels is not None else None
    ask_ids = {ask.id for ask in asks.asks} if asks is not None else None
    replaced: dict[str, str] = {}
    for entry in entries:
        name, node, i = where[entry.id]
        for j, ask in enumerate(entry.asks):
            if ask_ids is not None and ask not in ask_ids:
                line = line_of(node, ("entries", i, "asks", j))
                known = ", ".join(sorted(ask_ids)) or f"none: {KNOWLEDGE_DIR}/{ASKS_FILE} is missing"
                problems.append(ContentProblem(name, line, f"{entry.id}: ask {ask!r} is not a known ask type ({known})"))
        for j, level in enumerate(entry.levels):
            if level_ids is not None and level not in level_ids:
                line = line_of(node, ("entries", i, "levels", j))
                known = ", ".join(sorted(level_ids)) or f"none: {KNOWLEDGE_DIR}/{LEVELS_FILE} is missing"
                reason = f"{entry.id}: level {level!r} is not a known level ({known})"
                problems.append(ContentProblem(name, line, reason))
        for j, source in enumerate(entry.sources):
            if doc_ids is not None and source.document not in doc_ids:
                line = line_of(node, ("entries", i, "sources", j, "document"))
                problems.append(
                    ContentProblem(name, line, f"{entry.id}: document {source.document!r} is not in documents.yaml")
                )
            known = section_sets.get(source.document)
            if known is not None and section_key(source.section) not in known:
                line = line_of(node, ("entries", i, "sources", j, "section"))
                problems.append(
                    ContentProblem(
                        name, line, f"{entry.id}: section {source.section!r} of {source.document} is not in sections.yaml"
                    )
                )
        for j, old in enumerate(entry.replaces):
            taker = replaced.setdefault(old, entry.id)
            if old in ids or taker != entry.id:
                line = line_of(node, ("entries", i, "replaces", j))
                reason = "is still an entry" if old in ids else f"is replaced by {taker} already"
                problems.append(ContentProblem(name, line, f"{entry.id}: replaces {old!r}, which {reason}"))
        for j, other in enumerate(entry.related):
            if other == entry.id or other not in ids:
                line = line_of(node, ("entries", i, "related", j))
                reason = "refers to itself" if other == entry.id else "is not an entry id"
                problems.append(ContentProblem(name, line, f"{entry.id}: related {other!r} {reason}"))
        seen = set()
        for question in entry.questions:
            key = "".join(question.split())
            if key in seen:
                line = line_of(node, ("entries", i, "alternatives"))
                problems.append(ContentProblem(name, line, f"{entry.id}: phrasing {question!r} repeats the question"))
            seen.add(key)


def _check_subjects(entries: list[Entry], where: dict, synonyms: SynonymsFile | None, problems: list[ContentProblem]) -> None:
    """An entry's subject has its words in synonyms.yaml: a subject without words would rank its
    entries down for every question. (A ``subject_rank`` in matcher.yaml for a subject no entry
    declares does nothing: earlier commits' content, read with today's matcher settings by
    ``kb eval --as-of``, may lack subjects that today's settings rank.)"""
    if synonyms is None:
        return
    known = set(synonyms.subjects)
    listed = ", ".join(sorted(known)) or "none"
    for entry in entries:
        if entry.subject is not None and entry.subject not in known:
            name, node, i = where[entry.id]
            line = line_of(node, ("entries", i, "subject"))
            problems.append(ContentProblem(name, line, f"{entry.id}: subject {entry.subject!r} has no words in synonyms.yaml ({listed})"))


def _check_sections_documents(
    sections: SectionsFile | None, documents: DocumentsFile | None, root: Path, problems: list[ContentProblem]
) -> None:
    if sections is None or documents is None:
        return
    doc_ids = {d.id for d in documents.documents}
    for doc in sections.documents:
        if doc not in doc_ids:
            problems.append(
                ContentProblem(f"{KNOWLEDGE_DIR}/sections.yaml", None, f"document {doc!r} is not in documents.yaml")
            )
    seen: set[str] = set()
    for d in documents.documents:
        if d.id in seen:
            problems.append(ContentProblem(f"{KNOWLEDGE_DIR}/documents.yaml", None, f"document id {d.id!r} repeats"))
        seen.add(d.id)


def _check_synonyms(synonyms: SynonymsFile | None, problems: list[ContentProblem]) -> None:
    """A variant in two groups, or a canonical form that is another group's variant, would make the
    result depend on rule order (and the pass would not be idempotent)."""
    if synonyms is None:
        return
    from bot.knowledge.normalize import Normalizer

    prep = Normalizer._prepare
    name = f"{KNOWLEDGE_DIR}/synonyms.yaml"
    variant_of: dict[str, str] = {}
    canonicals = {prep(g.canonical) for g in synonyms.synonyms}
    for group in synonyms.synonyms:
        canonical = prep(group.canonical)
        for variant in group.variants:
            key = prep(variant)
            if not key:
                problems.append(ContentProblem(name, None, f"{group.canonical}: empty variant {variant!r}"))
            elif key in variant_of and variant_of[key] != canonical:
                problems.append(
                    ContentProblem(name, None, f"variant {variant!r} belongs to {variant_of[key]!r} and {canonical!r}")
                )
            elif key in canonicals and key != canonical:
                problems.append(ContentProblem(name, None, f"variant {variant!r} is itself a canonical form"))
            variant_of[key] = canonical


def _load_levels(root: Path, problems: list[ContentProblem]) -> tuple[LevelsFile | None, object]:
    """``levels.yaml`` and its YAML node (for lines); an absent file is an empty vocabulary."""
    path = root / KNOWLEDGE_DIR / LEVELS_FILE
    if not path.exists():
        return LevelsFile(), None
    try:
        data, node = read_yaml(path, root)
    except ContentError as exc:
        problems.extend(exc.problems)
        return None, None
    try:
        return LevelsFile.model_validate(data if data is not None else {}), node
    except ValidationError as exc:
        problems.extend(validation_problems(exc, _rel(path, root), node))
        return None, None


def _load_asks(root: Path, problems: list[ContentProblem]) -> AsksFile | None:
    """``asks.yaml``; an absent file is no ask types (the matcher then ignores them). Ids repeat
    nowhere."""
    path = root / KNOWLEDGE_DIR / ASKS_FILE
    if not path.exists():
        return AsksFile()
    asks = _load(path, AsksFile, root, problems)
    if asks is not None:
        seen: set[str] = set()
        for ask in asks.asks:
            if ask.id in seen:
                problems.append(ContentProblem(f"{KNOWLEDGE_DIR}/{ASKS_FILE}", None, f"ask id {ask.id!r} repeats"))
            seen.add(ask.id)
    return asks


def _check_levels(
    levels: LevelsFile | None, node: object, synonyms: SynonymsFile | None, problems: list[ContentProblem]
) -> None:
    """Level ids are unique, and each word names one level: after normalisation (助工 and 初级 both
    become 助理工程师) a term in two levels, or in a level and ``not_levels``, would make the
    level a question names depend on file order."""
    if levels is None or synonyms is None:
        return
    from bot.knowledge.normalize import Normalizer

    normalizer = Normalizer(synonyms)
    name = f"{KNOWLEDGE_DIR}/{LEVELS_FILE}"
    owner: dict[str, str] = {}
    seen: set[str] = set()
    for i, level in enumerate(levels.levels):
        if level.id in seen:
            line = line_of(node, ("levels", i, "id"))
            problems.append(ContentProblem(name, line, f"level id {level.id!r} repeats"))
        seen.add(level.id)
        for j, term in enumerate(level.terms):
            key = normalizer.compact(normalizer.normalize(term))
            line = line_of(node, ("levels", i, "terms", j))
            if not key:
                problems.append(ContentProblem(name, line, f"{level.id}: term {term!r} is empty once normalised"))
            elif owner.setdefault(key, level.id) != level.id:
                reason = f"{level.id}: term {term!r} normalises to {key!r}, a term of {owner[key]}"
                problems.append(ContentProblem(name, line, reason))
    for j, word in enumerate(levels.not_levels):
        key = normalizer.compact(normalizer.normalize(word))
        if key in owner:
            problems.append(
                ContentProblem(
                    name,
                    line_of(node, ("not_levels", j)),
                    f"not_levels word {word!r} normalises to {key!r}, a term of {owner[key]}",
                )
            )


def _check_phrasings(entries: list[Entry], where: dict, synonyms: SynonymsFile | None, problems: list[ContentProblem]) -> None:
    """Two entries with a phrasing that normalises identically make the exact path ambiguous (the
    user types it and gets whichever entry was loaded first)."""
    if synonyms is None:
        return
    from bot.knowledge.normalize import Normalizer

    normalizer = Normalizer(synonyms)
    owner: dict[str, str] = {}
    for entry in entries:
        for question in entry.questions:
            key = normalizer.compact(normalizer.normalize(question))
            other = owner.setdefault(key, entry.id)
            if key and other != entry.id:
                name, node, i = where[entry.id]
                line = line_of(node, ("entries", i, "alternatives"))
                problems.append(
                    ContentProblem(name, line, f"{entry.id}: phrasing {question!r} normalises like one of {other}")
                )


def collect(root: Path) -> tuple[KnowledgeBase | None, list[ContentProblem]]:
    """Load everything; returns the knowledge base (None when unusable) and every problem found."""
    problems: list[ContentProblem] = []
    base = root / KNOWLEDGE_DIR
    documents = _load(base / "documents.yaml", DocumentsFile, root, problems)
    sections = _load(base / "sections.yaml", SectionsFile, root, problems)
    synonyms = _load(base / "synonyms.yaml", SynonymsFile, root, problems)
    config = _load(base / "matcher.yaml", MatcherConfig, root, problems)
    levels, levels_node = _load_levels(root, problems)
    asks = _load_asks(root, problems)
    entries, origin, where = load_entries(root, problems)
    _check_references(entries, where, documents, sections, problems, levels, asks)
    _check_subjects(entries, where, synonyms, problems)
    _check_sections_documents(sections, documents, root, problems)
    _check_synonyms(synonyms, problems)
    _check_levels(levels, levels_node, synonyms, problems)
    if not problems:
        _check_phrasings(entries, where, synonyms, problems)
    if problems or any(part is None for part in (documents, sections, synonyms, config, levels, asks)):
        return None, problems
    kb = KnowledgeBase(
        entries=entries,
        documents={d.id: d for d in documents.documents},
        sections=sections.documents,
        synonyms=synonyms,
        config=config,
        origin=origin,
        levels=levels,
        asks=asks,
    )
    return kb, problems


def load_knowledge(root: Path) -> KnowledgeBase:
    """The validated knowledge base; raises ``ContentError`` listing every problem."""
    kb, problems = collect(root)
    if kb is None:
        raise ContentError(problems)
    return kb


def uncited_sections(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(document, section) pairs of sections.yaml that no entry cites."""
    cited = {(s.document, section_key(s.section)) for e in kb.entries for s in e.sources}
    return [
        (doc, label) for doc, labels in kb.sections.items() for label in labels if (doc, section_key(label)) not in cited
    ]


def check_knowledge(root: Path) -> list[ContentProblem]:
    """The ``python -m bot check`` checker for ``knowledge/``: the entries, and for each main-menu
    action an entry offers (``offers``), a menu label in dialogs/texts.yaml."""
    kb, problems = collect(root)
    offered = {key: entry.id for entry in (kb.entries if kb is not None else []) for key in entry.offers}
    if offered:
        from bot.content.texts import Texts

        try:
            texts = Texts.load([root / "dialogs" / "texts.yaml"], root)
        except ContentError as exc:
            return problems + exc.problems
        problems += [
            ContentProblem("knowledge/entries", None, f"{entry_id}: offers {key!r}, which no menu item is (no text menu.{key})")
            for key, entry_id in offered.items()
            if not texts.has(f"menu.{key}")
        ]
    return problems
