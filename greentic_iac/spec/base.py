"""The base model every spec type derives from: strict about unknown fields, JSON-stable."""

from __future__ import annotations

import json
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """Unknown fields are refused (answers files must not carry typos silently)."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)

    def canonical_json(self) -> str:
        """Sorted keys, no whitespace: the form hashed for integrity and idempotency."""
        return json.dumps(self.to_json_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.model_validate_json(text)
