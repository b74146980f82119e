"""``python -m bot check`` for the console: every text key its templates and code use exists.

Keys are found where they are written literally (``t("console.…")`` in templates, ``"console.…"``
strings in the package's modules); keys built from a prefix (``console.nav.`` + a page key,
``console.role.`` + a role) are checked from the lists they come from.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.content.loader import ContentError, ContentProblem

PACKAGE = Path(__file__).resolve().parent
_LITERAL = re.compile(r"""["'](console\.[a-z0-9_.]+[a-z0-9_])["']""")


def used_keys() -> set[str]:
    import importlib

    from bot.console.accounts import ROLES
    from bot.console.pages import PAGE_MODULES
    from bot.console.pages.knowledge import REFUSALS

    keys: set[str] = set()
    for path in [*PACKAGE.glob("templates/*.html"), *PACKAGE.rglob("*.py")]:
        keys.update(_LITERAL.findall(path.read_text(encoding="utf-8")))
    for name in PAGE_MODULES:
        keys.update(f"console.nav.{item.key}" for item in getattr(importlib.import_module(name), "NAV", ()))
    keys.update(f"console.role.{role}" for role in ROLES)
    keys.update(_built_keys())
    keys.update(f"console.knowledge.refused.{reason}" for reason in REFUSALS)
    return {key for key in keys if not key.endswith((".", "_"))}


def _built_keys() -> set[str]:
    """Keys pages build from a prefix (``…outcome_`` + an outcome, ``…action.`` + an import action)."""
    from bot.console.applications import SORTS
    from bot.console.figures import PUSH_GROUPS
    from bot.content.texts import LANGUAGES
    from bot.knowledge.daily import OUTCOMES

    return ({f"console.overview.outcome_{o}" for o in OUTCOMES} | {f"console.overview.push_{p}" for p in PUSH_GROUPS}
            | {f"console.applications.sort_{s}" for s in SORTS}
            | {f"console.import.action.{action}" for action in ("create", "change", "update", "same")}
            | {f"console.broadcast.channel.{channel}" for channel in ("telegram", "web")}
            | {f"console.broadcast.language.{lang}" for lang in LANGUAGES}
            | {f"console.knowledge.outcome.{outcome}" for outcome in ("suggest", "fallback")})


def check_console(root: Path) -> list[ContentProblem]:
    from bot.content.texts import Texts, text_files

    try:
        texts = Texts.load(text_files(root), root)
    except ContentError as exc:
        return list(exc.problems)
    return [ContentProblem("dialogs/texts_console.yaml", None, f"text key {key!r} is used by the console but missing")
            for key in sorted(used_keys()) if not texts.has(key)]
