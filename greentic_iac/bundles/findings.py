"""The one record the secret scanner produces: where a secret shape is, never what it is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

NESTED_SEPARATOR = "!"
"""Joins an archive path and a member path: ``bundle.zip!config/app.json``."""


@dataclass(frozen=True, order=True)
class SecretFinding:
    """A secret shape found at ``path`` line ``line`` (1-based; 0 when not line-based).

    ``fingerprint`` lets two reports be compared without carrying the secret: at most the
    first four characters (fewer for short values) and 12 hex digits of its sha256.
    ``encoding`` is ``"base64"`` when the secret was found inside a decoded base64 blob.
    """

    path: str
    line: int
    kind: str
    fingerprint: str
    encoding: str = ""

    def describe(self) -> str:
        """One line for messages and reports, e.g. ``app.js:3: github-token [ghp_...1a2b]``."""
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
    """Redacted, comparable fingerprint of a secret value (never the value itself)."""
    digest = hashlib.sha256(value).hexdigest()[:12]
    shown = min(4, len(value) // 4)
    prefix = "".join(chr(byte) if 0x21 <= byte < 0x7F else "?" for byte in value[:shown])
    return f"{prefix}...{digest}"
