"""The reviewing office's contacts (``rules/office.yaml``): used by every fallback answer."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceRef(BaseModel):
    """Where a fact comes from: a document id from knowledge/documents.yaml and its section."""

    model_config = ConfigDict(extra="forbid")
    document: str
    section: str
    confidence: Literal["high", "medium", "low"] = "high"


class Office(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    short_name: str
    phone: str = Field(pattern=r"^\d{3,4}-\d{7,8}$")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    address: str
    qq_group: str = Field(pattern=r"^\d{5,12}$")
    qq_group_audience: str
    news_column: str
    platform_name: str
    platform_url: str
    sources: list[SourceRef] = Field(min_length=1)


class OfficeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    office: Office


def load_office(root: Path) -> Office:
    from bot.content.loader import load_model

    return load_model(root / "rules" / "office.yaml", OfficeFile, root).office
