"""Where a rule or fact comes from: a document id (``knowledge/documents.yaml``) and its section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Confidence = Literal["high", "medium", "low"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    document: str
    section: str

