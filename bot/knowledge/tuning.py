"""Write calibrated thresholds back to ``knowledge/matcher.yaml`` (keeping the weights as they are)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bot.content.loader import load_model
from bot.knowledge.schema import MatcherConfig, Thresholds

#: the comment a matcher file gets when it has none yet; an existing file keeps its own, which
#: records the reasons behind its thresholds in words a calibration run cannot rewrite
DEFAULT_HEADER = """\
# How the knowledge matcher decides (see bot/knowledge/matcher.py and bot/knowledge/en_matcher.py).
# Thresholds are calibrated with `python -m bot kb calibrate … --write` on the dev and tuning sets,
# never on a held-out set; `calibration` records what that run measured.
"""


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}


def leading_comment(text: str) -> str:
    """The comment block at the top of a YAML file (comment and blank lines before the first key)."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def write_thresholds(
    root: Path,
    thresholds: Thresholds,
    figures: dict[str, float],
    per_file: dict[str, dict[str, float]] | None = None,
    lang: str = "zh",
) -> Path:
    """``figures``: what the calibration run measured over all its questions; ``per_file``: the same
    per dev file or directory it was given; ``lang`` picks the Chinese or the English matcher's file."""
    path = root / "knowledge" / ("en/matcher.yaml" if lang == "en" else "matcher.yaml")
    config = load_model(path, MatcherConfig, root)
    calibration: dict = _rounded(figures)
    if per_file:
        calibration["files"] = {name: _rounded(f) for name, f in per_file.items()}
    calibration["date"] = dt.date.today().isoformat()
    updated = config.model_copy(update={"thresholds": thresholds, "calibration": calibration})
    body = yaml.safe_dump(updated.model_dump(), allow_unicode=True, sort_keys=False)
    header = leading_comment(path.read_text(encoding="utf-8")) or DEFAULT_HEADER
    path.write_text(header + body, encoding="utf-8")
    return path
