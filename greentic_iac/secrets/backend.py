"""What every secrets backend offers the ``secrets`` verbs: put, get, and names (never values).

The protocol is small on purpose: a backend is chosen per environment from its secrets
pack binding (see ``chooser``), and the CLI never needs to know where a value lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PutOutcome:
    """Whether ``put`` made a new secret, and where the value now lives (never the value)."""

    created: bool
    # An ARN, a Secrets Manager name, ``namespace/secret#key`` or a file path.
    reference: str

    @property
    def outcome(self) -> str:
        return "created" if self.created else "updated"


class SecretsBackend(Protocol):
    kind: str

    def put(self, name: str, value: str) -> PutOutcome: ...

    def get(self, name: str) -> str: ...

    def names(self) -> list[str]: ...
