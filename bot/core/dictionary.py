"""The words of Chinese at large: jieba's dictionary, read as a data file.

Importing jieba itself loads and indexes far more than a word list; the typo corrector and the name
masker only need to know whether a string is a word.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


def package_file(package: str, name: str) -> str | None:
    """The text of a data file shipped in ``package``, without importing the package; None (and a
    warning) when it is missing, so a feature that needs it turns off rather than failing."""
    try:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise FileNotFoundError(package)
        return (Path(spec.origin).parent / name).read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        log.warning("%s/%s not available: %s", package, name, type(exc).__name__)
        return None


@lru_cache(maxsize=1)
def dictionary_words() -> tuple[str, ...]:
    """The words of jieba's dictionary (lines ``word frequency [tag]``)."""
    text = package_file("jieba", "dict.txt") or ""
    return tuple(line.split(" ", 1)[0] for line in text.splitlines())


@lru_cache(maxsize=1)
def short_words() -> frozenset[str]:
    """The dictionary's words of two to four characters that are no person's name (its tag is not
    ``nr…``): what a name found by its shape may be instead (周末, 石化, 黄河路; not 李娜)."""
    text = package_file("jieba", "dict.txt") or ""
    words = set()
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        if 2 <= len(word) <= 4 and not rest.rpartition(" ")[2].startswith("nr"):
            words.add(word)
    return frozenset(words)
