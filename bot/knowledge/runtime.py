"""The per-process knowledge runtime: the loaded content and its index, built once.

``python -m bot ask`` and the chat feature share this. The cache key is the state (path, size,
mtime) of every file under ``knowledge/``, so an edited file is picked up by the next load while an
unchanged one costs a few ``stat`` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.loader import KNOWLEDGE_DIR, KnowledgeBase, load_knowledge
from bot.knowledge.matcher import Matcher


@dataclass
class Runtime:
    kb: KnowledgeBase
    matcher: Matcher


_cache: dict[Path, tuple[tuple, Runtime]] = {}


def _stamp(root: Path) -> tuple:
    files = sorted((root / KNOWLEDGE_DIR).rglob("*.yaml"))
    out = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


def load_runtime(root: Path) -> Runtime:
    """Validated content and its matcher; raises ``ContentError`` when the content is invalid."""
    return cached_runtime(root, _cache, _build)


def _build(root: Path) -> Runtime:
    kb = load_knowledge(root)
    return Runtime(kb=kb, matcher=Matcher(kb))


def cached_runtime(root: Path, cache: dict[Path, tuple[tuple, Runtime]], build: Callable[[Path], Runtime]) -> Runtime:
    """``cache``'s runtime for ``root`` while no file under ``knowledge/`` has changed; else a new
    one from ``build`` (kept in ``cache``). Each language keeps its own cache."""
    root = root.resolve()
    stamp = _stamp(root)
    cached = cache.get(root)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    runtime = build(root)
    cache[root] = (stamp, runtime)
    return runtime
