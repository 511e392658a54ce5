"""What every secrets backend offers the ``secrets`` verbs: put, get, names (never values),
rotate (a new version, the previous one kept where the backend can) and delete.

The protocol is small on purpose: a backend is chosen per environment from its secrets
pack binding (see ``chooser``), and the CLI never needs to know where a value lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

DEFAULT_RECOVERY_WINDOW_DAYS: Final = 30


@dataclass(frozen=True)
class PutOutcome:
    """Whether ``put`` made a new secret, and where the value now lives (never the value)."""

    created: bool
    # An ARN, a Secrets Manager name, ``namespace/secret#key`` or a file path.
    reference: str

    @property
    def outcome(self) -> str:
        return "created" if self.created else "updated"


@dataclass(frozen=True)
class RotateOutcome:
    """Where the new value lives, and where the one it replaced is kept (never a value)."""

    reference: str
    previous: str
    version: str | None = None


@dataclass(frozen=True)
class DeleteOutcome:
    """What was deleted, and until when it can be restored (None: gone at once)."""

    reference: str
    recoverable_until: str | None = None


@dataclass(frozen=True)
class DeleteRequest:
    """``recovery_window_days`` None means the backend's default (AWS: 30 days); a backend
    without a recovery window refuses an explicit one rather than ignore it."""

    recovery_window_days: int | None = None
    force_without_recovery: bool = False


class SecretsBackend(Protocol):
    kind: str

    def put(self, name: str, value: str) -> PutOutcome: ...

    def get(self, name: str) -> str: ...

    def names(self) -> list[str]: ...

    def rotate(self, name: str, value: str) -> RotateOutcome:
        """Replace an existing secret's value (``SecretNotFoundError`` if there is none)."""
        ...

    def delete(self, name: str, request: DeleteRequest) -> DeleteOutcome: ...
