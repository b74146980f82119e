"""Where a rule or fact comes from: a document id (``rules/eligibility.yaml`` → documents) and section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Confidence = Literal["high", "medium", "low"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    document: str
    section: str

    def cite(self, documents: dict[str, str]) -> str:
        """Readable citation, e.g. ``人社部发〔2019〕16号《…》 工程师``."""
        return f"{documents.get(self.document, self.document)} {self.section}"
