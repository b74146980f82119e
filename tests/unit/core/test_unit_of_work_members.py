"""``UnitOfWork`` (``bot.core.unit_of_work``) is the contract every update's storage fulfils: a member
nothing in ``bot/`` calls is surface each implementation must keep for tests alone."""

from __future__ import annotations

import re

from bot.core.unit_of_work import UnitOfWork
from bot.paths import PROJECT_ROOT


def _members() -> list[str]:
    return sorted(name for name in vars(UnitOfWork) if not name.startswith("_"))


def test_every_member_of_the_unit_of_work_is_used_by_the_bot():
    sources = [path.read_text("utf-8") for path in (PROJECT_ROOT / "bot").rglob("*.py")]
    unused = []
    for name in _members():
        use = re.compile(rf"\.{name}\b(?!\s*=)")
        if not any(use.search(re.sub(rf"def {name}\b", "", text)) for text in sources):
            unused.append(name)
    assert "load_turn" in _members() and "session" in _members()
    assert unused == [], f"members of UnitOfWork no code in bot/ uses: {unused}"
