"""The one record the secret scanner produces: where a secret shape is, never what it is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

NESTED_SEPARATOR = "!"
"""Joins an archive path and a member path: ``bundle.zip!config/app.json``."""


@dataclass(frozen=True, order=True)
class SecretFinding:
    """A secret shape found at ``path`` line ``line`` (1-based; 0 when not line-based).

    ``fingerprint`` lets two reports be compared without carrying the secret: 12 hex digits
    of its sha256 (``sha256:0123456789ab``), never any character of the value.
    ``encoding`` is ``"base64"`` when the secret was found inside a decoded base64 blob.
    """

    path: str
    line: int
    kind: str
    fingerprint: str
    encoding: str = ""

    def describe(self) -> str:
        """One line for messages and reports, e.g.
        ``app.js:3: github-token [sha256:0123456789ab]``."""
        via = f" (inside {self.encoding})" if self.encoding else ""
        return f"{self.path}:{self.line}: {self.kind}{via} [{self.fingerprint}]"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the CLI's result envelope."""
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "fingerprint": self.fingerprint,
            "encoding": self.encoding,
        }


def fingerprint(value: bytes) -> str:
    """Comparable fingerprint of a secret value: 12 hex digits of its sha256, nothing of the
    value itself (not even its first characters, which narrow a guess)."""
    return f"sha256:{hashlib.sha256(value).hexdigest()[:12]}"
