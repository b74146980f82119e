"""Write calibrated thresholds back to ``knowledge/matcher.yaml`` (keeping the weights as they are)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bot.content.loader import load_model
from bot.knowledge.schema import MatcherConfig, Thresholds

HEADER = """\
# How the knowledge matcher decides (see bot/knowledge/matcher.py). Thresholds are calibrated on the
# dev set and the tuning half of the real phrasings with
# `python -m bot kb calibrate tests/data/kb_dev tests/data/kb_real/tune.yaml --write` (never on the
# held-out half); `calibration` records what that run measured, overall and per file.
"""


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}


HEADER_EN = """\
# How the English matcher decides (see bot/knowledge/en_matcher.py; the decision policy is the
# Chinese matcher's). Thresholds are calibrated on the English dev set and the English tuning set with
# `python -m bot kb calibrate tests/data/kb_dev_en tests/data/kb_tune_en --max-wrong 0.015
# --max-oos-answered 0.03 --write` (limits below the floors, so each file keeps headroom); `calibration`
# records what that run measured. min_content_chars counts content words here, not characters.
"""


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
    path.write_text((HEADER_EN if lang == "en" else HEADER) + body, encoding="utf-8")
    return path
