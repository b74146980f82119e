"""The four title levels of the review, as ids shared by cycles, eligibility and status."""

from __future__ import annotations

from typing import Literal

Level = Literal["assistant", "intermediate", "deputy_senior", "senior"]

LEVELS: tuple[Level, ...] = ("assistant", "intermediate", "deputy_senior", "senior")
