"""Typed errors for bundle archives and the secret-leak scanner.

Every error is an ``InvalidInputError`` (exit code 2): a refused archive or a leaked secret
is bad input, and the CLI prints ``str(error)`` as one line. Messages name the archive, the
entry and the rule that refused it, and never contain a secret value: names are escaped
(control characters shown as ``\\xNN``) and truncated so a hostile name cannot garble a
terminal either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from greentic_iac.errors import InvalidInputError

if TYPE_CHECKING:
    from greentic_iac.bundles.findings import SecretFinding

_MAX_DISPLAY_CHARS = 160


def display_name(name: str) -> str:
    """Return ``name`` safe to print on one line: escaped non-printables, bounded length."""
    escaped = []
    for char in name:
        if char.isprintable() and char not in "\\":
            escaped.append(char)
        elif char == "\\":
            escaped.append("\\\\")
        else:
            code = ord(char)
            escaped.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    text = "".join(escaped)
    if len(text) > _MAX_DISPLAY_CHARS:
        text = text[: _MAX_DISPLAY_CHARS - 3] + "..."
    return text


class UnsafeArchiveError(InvalidInputError):
    """An archive entry breaks a safety rule; the whole archive is refused, never repaired."""

    def __init__(self, archive: str, entry: str, rule: str, reason: str) -> None:
        self.archive = archive
        self.entry = entry
        self.rule = rule
        self.reason = reason
        super().__init__(
            f"{display_name(archive)}: entry '{display_name(entry)}' refused [{rule}]: {reason}"
        )


class ArchiveLimitError(UnsafeArchiveError):
    """Too many entries, too many bytes or too high a compression ratio (a bomb)."""


class UnsupportedArchiveError(InvalidInputError):
    """The file is not a zip, tar or tar.gz archive, or it is corrupt."""

    def __init__(self, archive: str, reason: str) -> None:
        self.archive = archive
        self.reason = reason
        super().__init__(f"{display_name(archive)}: not a usable archive: {reason}")


class DestinationNotEmptyError(InvalidInputError):
    """The unpack destination exists and is not an empty directory."""


class ScanFailedError(InvalidInputError):
    """The secret scan could not finish (error, timeout, size, corrupt input): fail closed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{display_name(path)}: secret scan could not finish (treated as a failure): {reason}"
        )


class SecretLeakError(InvalidInputError):
    """The scanner found secret shapes; the message names file, line and kind only."""

    def __init__(self, archive: str, findings: Sequence[SecretFinding]) -> None:
        self.archive = archive
        self.findings = tuple(findings)
        first = self.findings[0]
        more = len(self.findings) - 1
        suffix = f" (and {more} more)" if more else ""
        super().__init__(f"{display_name(archive)}: secret found: {first.describe()}{suffix}")
