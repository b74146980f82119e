"""Where the content directories live.

Content (dialogs/, knowledge/, rules/) sits beside the package in the repository so that staff can
edit it without touching code; ``CONTENT_DIR`` may point elsewhere (e.g. next year's content).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def content_root() -> Path:
    """The folder holding dialogs/, knowledge/ and rules/ (env ``CONTENT_DIR`` overrides)."""
    override = os.environ.get("CONTENT_DIR")
    return Path(override).resolve() if override else PROJECT_ROOT
