"""Texts users read must be in the bot's own words, not the source notices' sentences.

The two notices (copied verbatim under ``knowledge/notices/``) are written for units and offices;
an answer that copies their sentences reads like a legal text on a phone and hides which part
matters to the applicant. ``python -m bot check`` therefore fails every user-facing text that
shares a run of more than ``max_shared_run`` characters with either notice. Proper names — titles,
文号, URLs, the address, committee, platform, form and department names, phones, e-mail — must stay
exact, so they are masked on both sides first (a run never includes or crosses one); they are
listed in one allow-list, ``knowledge/proper_names.yaml``, together with the threshold.

Both sides are compared after NFKC normalisation with whitespace removed, so a copy does not
escape by a line break or a full-width/half-width swap. The notices are indexed once in a suffix
automaton; the longest run each text shares with them is then found in time linear in the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content.loader import ContentError, ContentProblem, read_yaml, validation_problems

ALLOW_LIST = "knowledge/proper_names.yaml"
NOTICES_DIR = "knowledge/notices"
#: Where user-facing texts live: knowledge entries, rule reasons and explanations, dialog texts.
TEXT_GLOBS = (
    "knowledge/entries/*.yaml",
    "knowledge/documents.yaml",
    "rules/*.yaml",
    "rules/cycles/*.yaml",
    "dialogs/*.yaml",
)
#: Masked characters: one in the notices, another in the texts, so no run includes or crosses a mask.
_NOTICE_MASK = "\x00"
_TEXT_MASK = "\x01"
_STR_TAG = "tag:yaml.org,2002:str"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ProperNames(BaseModel):
    """``knowledge/proper_names.yaml``: the threshold and what may be quoted exactly."""

    model_config = ConfigDict(extra="forbid")

    max_shared_run: int = Field(ge=5)
    #: Regular expressions (applied to the normalised notices and texts) for whole classes of names.
    patterns: list[str] = Field(default_factory=list)
    #: Literal names by kind (titles, committees, platforms, ...); the kind is for the reader.
    names: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        return patterns


def normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, whitespace dropped; returns the result and each character's source index."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            if not out.isspace():
                chars.append(out)
                index.append(i)
    return "".join(chars), index


class SuffixAutomaton:
    """The suffix automaton of a string: every substring is a path from the root."""

    def __init__(self, text: str) -> None:
        self._next: list[dict[str, int]] = [{}]
        self._link = [-1]
        self._len = [0]
        last = 0
        for ch in text:
            cur = self._new(self._len[last] + 1, {}, 0)
            p = last
            while p != -1 and ch not in self._next[p]:
                self._next[p][ch] = cur
                p = self._link[p]
            if p != -1:
                q = self._next[p][ch]
                if self._len[p] + 1 == self._len[q]:
                    self._link[cur] = q
                else:
                    clone = self._new(self._len[p] + 1, dict(self._next[q]), self._link[q])
                    while p != -1 and self._next[p].get(ch) == q:
                        self._next[p][ch] = clone
                        p = self._link[p]
                    self._link[q] = clone
                    self._link[cur] = clone
            last = cur

    def _new(self, length: int, transitions: dict[str, int], link: int) -> int:
        self._next.append(transitions)
        self._len.append(length)
        self._link.append(link)
        return len(self._next) - 1

    def longest_shared(self, text: str) -> tuple[int, int]:
        """Length and start (in ``text``) of the longest substring of ``text`` that is also in ours."""
        state = length = best = best_end = 0
        for i, ch in enumerate(text):
            while state and ch not in self._next[state]:
                state = self._link[state]
                length = self._len[state]
            if ch in self._next[state]:
                state = self._next[state][ch]
                length += 1
            else:
                length = 0
            if length > best:
                best, best_end = length, i + 1
        return best, best_end - best


@dataclass(frozen=True)
class SharedRun:
    """The longest run one text shares with the notices."""

    file: str
    line: int
    where: str
    length: int
    run: str
    notice: str


class NoticeIndex:
    """The masked notices, indexed for longest-run queries."""

    def __init__(self, notices: dict[str, str], allow: ProperNames) -> None:
        self._masks = _masks(allow)
        self.masked = {name: self._mask(normalise(text)[0], _NOTICE_MASK) for name, text in notices.items()}
        self._automaton = SuffixAutomaton(_NOTICE_MASK.join(self.masked.values()))

    def _mask(self, text: str, char: str) -> str:
        """``text`` with every proper name replaced by ``char`` (same length, so indices still map)."""
        for regex in self._masks:
            text = regex.sub(lambda m: char * len(m.group()), text)
        return text

    def longest(self, text: str) -> tuple[int, int, str, str]:
        """(length, where the run starts in ``text``, the run as written there, its notice)."""
        normal, index = normalise(text)
        normal = self._mask(normal, _TEXT_MASK)
        length, start = self._automaton.longest_shared(normal)
        if length == 0:
            return 0, 0, "", ""
        first, last = index[start], index[start + length - 1]
        shared = normal[start : start + length]
        notice = next(name for name, masked in self.masked.items() if shared in masked)
        return length, first, text[first : last + 1], notice


def _masks(allow: ProperNames) -> list[re.Pattern[str]]:
    """Literal names first, longest first (one alternation), then the patterns."""
    literals = {normalise(name)[0] for group in allow.names.values() for name in group} - {""}
    ordered = sorted(literals, key=len, reverse=True)
    masks = [re.compile("|".join(re.escape(name) for name in ordered))] if ordered else []
    return masks + [re.compile(pattern) for pattern in allow.patterns]


def user_texts(root: Path) -> Iterator[tuple[str, str, yaml.ScalarNode]]:
    """(file, key path, YAML node) of every string value in the user-facing content files.

    Only composed (no Python objects built), with libyaml when present: parsing is most of this
    check's time. A file that does not parse is skipped here; its own checker reports it.
    """
    for pattern in TEXT_GLOBS:
        for path in sorted(root.glob(pattern)):
            try:
                node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            name = str(path.relative_to(root))
            for where, scalar in _scalars(node, ()):
                yield name, where, scalar


def _scalars(node: yaml.Node | None, path: tuple[str, ...]) -> Iterator[tuple[str, yaml.ScalarNode]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _scalars(item, (*path, str(i)))
    elif isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
        yield ".".join(path), node


def load_index(root: Path) -> tuple[NoticeIndex, int]:
    """The notice index and the threshold; ContentError names the file and line of a defect."""
    data, node = read_yaml(root / ALLOW_LIST, root)
    try:
        allow = ProperNames.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ContentError(validation_problems(exc, ALLOW_LIST, node)) from None
    notices = {}
    for path in sorted((root / NOTICES_DIR).glob("*.txt")):
        try:
            notices[path.name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ContentError([ContentProblem(f"{NOTICES_DIR}/{path.name}", None, "not UTF-8 text")]) from None
    if not notices:
        raise ContentError([ContentProblem(NOTICES_DIR, None, "no notice (*.txt) to compare texts with")])
    return NoticeIndex(notices, allow), allow.max_shared_run


def shared_runs(root: Path) -> tuple[list[SharedRun], int]:
    """The longest run every user-facing text shares with the notices, and the threshold."""
    index, limit = load_index(root)
    runs = []
    for file, where, scalar in user_texts(root):
        length, start, run, notice = index.longest(scalar.value)
        if length:
            runs.append(SharedRun(file, _line_of(scalar, start), where, length, run, notice))
    return runs, limit


def _line_of(scalar: yaml.ScalarNode, offset: int) -> int:
    """The file line of ``scalar.value[offset]``: exact in a literal block (``|``), else the value's first line."""
    if scalar.style == "|":
        return scalar.start_mark.line + 2 + scalar.value.count("\n", 0, offset)
    return scalar.start_mark.line + 1


def check_own_words(root: Path) -> list[ContentProblem]:
    """The ``python -m bot check`` checker: no user-facing text copies a notice beyond the threshold."""
    runs, limit = shared_runs(root)
    return [
        ContentProblem(
            r.file,
            r.line,
            f"{r.where}: shares {r.length} characters with the notice {r.notice} (at most {limit}): "
            f"「{r.run}」 — say it in your own words (proper names: {ALLOW_LIST})",
        )
        for r in runs
        if r.length > limit
    ]
