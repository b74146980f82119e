"""YAML loading that keeps line numbers, and validation that reports file, line and reason.

Content is edited by office staff; a broken file must be reported precisely (``python -m bot check``),
never as a stack trace. ``load_model`` parses a YAML file into a pydantic model and maps every
validation error back to the line of the offending YAML node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ContentProblem:
    """One defect in a content file."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class ContentError(Exception):
    """Raised when content cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# libyaml's parser when PyYAML was built with it (the wheels are): content is parsed at every start,
# and the pure-Python parser was most of a cold `python -m bot ask`
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeBase):
    """A safe loader that rejects duplicate mapping keys (a silent overwrite hides typos)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def read_yaml(path: Path, root: Path | None = None) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file; returns (data, node tree). Raises ContentError with the line on failure."""
    name = _rel(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([ContentProblem(name, None, "file not found")]) from None
    except UnicodeDecodeError:
        raise ContentError([ContentProblem(name, None, "not UTF-8 text")]) from None
    try:
        node, data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ContentError([ContentProblem(name, line, f"YAML syntax: {exc.problem or exc}")]) from None
    return data, node


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose the node tree once and build the data from it (one parse, not two)."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Walk a composed YAML node along a pydantic error location; return the deepest line found."""
    line = node.start_mark.line + 1 if node is not None else None
    current = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            nxt = None
            for key_node, value_node in current.value:
                if str(key_node.value) == str(part):
                    nxt = value_node
                    break
            if nxt is None:
                break
            current = nxt
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                break
            current = current.value[part]
        else:
            break
        line = current.start_mark.line + 1
    return line


def validation_problems(exc: ValidationError, name: str, node: yaml.Node | None) -> list[ContentProblem]:
    """Convert a pydantic ValidationError into content problems with YAML lines."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top)"
        problems.append(ContentProblem(name, line_of(node, loc), f"{where}: {err['msg']}"))
    return problems


def load_model(path: Path, model: type[M], root: Path | None = None) -> M:
    """Load one YAML file into ``model``; every defect is reported with its line."""
    data, node = read_yaml(path, root)
    name = _rel(path, root)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ContentError(validation_problems(exc, name, node)) from None


def validate_file(
    path: Path,
    model: type[M],
    name: str,
    problems: list[ContentProblem],
    root: Path | None = None,
    read: Callable[[Path, Path | None], tuple[Any, yaml.Node | None]] = read_yaml,
) -> tuple[M, yaml.Node | None] | None:
    """One YAML file as ``model`` and its node tree, or None with its defects added to ``problems``,
    so a loader reports every bad file of a folder rather than the first. ``read`` may skip the
    node tree (a fast parser); the tree is then composed only to place a validation error."""
    try:
        data, node = read(path, root)
    except ContentError as exc:
        problems.extend(exc.problems)
        return None
    try:
        return model.model_validate(data if data is not None else {}), node
    except ValidationError as exc:
        problems.extend(validation_problems(exc, name, node if node is not None else read_yaml(path, root)[1]))
        return None
