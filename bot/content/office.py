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
    #: the address for English readers: the Chinese one (a courier needs it) with its English gloss
    address_en: str | None = None
    qq_group: str = Field(pattern=r"^\d{5,12}$")
    qq_group_audience: str
    news_column: str
    platform_name: str
    platform_url: str
    sources: list[SourceRef] = Field(min_length=1)


class OfficeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    office: Office


ADDRESS_EN = "address_en"


def contacts_in(contacts: dict[str, str], lang: str | None) -> dict[str, str]:
    """The contact placeholders for a reader: English readers get the glossed address when the
    office file gives one (``contacts`` may carry it under ``address_en``)."""
    english = contacts.get(ADDRESS_EN)
    if lang == "en" and english:
        return contacts | {"address": english}
    return contacts


def load_office(root: Path) -> Office:
    from bot.content.loader import load_model

    return load_model(root / "rules" / "office.yaml", OfficeFile, root).office
