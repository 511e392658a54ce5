"""Archive format detection by content (never by extension) and the tarfile safety probe."""

from __future__ import annotations

import enum
import gzip
import hashlib
import os
import sys
import zlib
from pathlib import Path

from greentic_iac.bundles.errors import UnsupportedArchiveError

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP_MAGIC = b"\x1f\x8b"
_TAR_MAGIC_OFFSET = 257
_TAR_MAGIC = b"ustar"
_TAR_BLOCK = 512


class ArchiveFormat(enum.StrEnum):
    """The archive formats a bundle may come in."""

    ZIP = "zip"
    TAR = "tar"
    TAR_GZ = "tar.gz"


def is_tar_header(block: bytes) -> bool:
    """Whether ``block`` starts with a POSIX/GNU tar header (``ustar`` magic at 257)."""
    return block[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + len(_TAR_MAGIC)] == _TAR_MAGIC


def is_zip(head: bytes) -> bool:
    """Whether ``head`` starts with a zip local header or an empty zip's end record."""
    return head[:4] in _ZIP_MAGICS


def is_gzip(head: bytes) -> bool:
    """Whether ``head`` starts with the gzip magic."""
    return head[:2] == _GZIP_MAGIC


def detect_format(path: Path) -> ArchiveFormat:
    """Return the format of the archive at ``path`` from its bytes.

    Raises ``UnsupportedArchiveError`` for anything else, for a gzip stream that does not
    hold a tar, and for a file that is both a zip and a tar (a polyglot that two tools
    would unpack differently).
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_TAR_BLOCK)
            if is_gzip(head):
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as inner:
                    first = inner.read(_TAR_BLOCK)
                if not is_tar_header(first):
                    raise UnsupportedArchiveError(str(path), "gzip stream does not hold a tar")
                return ArchiveFormat.TAR_GZ
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise UnsupportedArchiveError(str(path), "file does not exist") from error
        raise UnsupportedArchiveError(str(path), f"cannot read: {type(error).__name__}") from error
    if is_zip(head):
        if is_tar_header(head):
            raise UnsupportedArchiveError(str(path), "file is both a zip and a tar")
        return ArchiveFormat.ZIP
    if is_tar_header(head):
        return ArchiveFormat.TAR
    raise UnsupportedArchiveError(str(path), "not a zip, tar or tar.gz archive (by content)")


# The June 2025 tarfile fixes (CVE-2025-4517, CVE-2025-4330, CVE-2025-4138,
# CVE-2024-12718, CVE-2025-4435; python/cpython#135034) shipped in these releases.
_FIXED_RELEASES = {(3, 9): 23, (3, 10): 18, (3, 11): 13, (3, 12): 11, (3, 13): 4}


def tarfile_has_2025_fixes(version: tuple[int, int, int] | None = None) -> bool:
    """Whether this Python's ``tarfile`` data filter has the 2025 link-escape fixes.

    The version table is the primary check; ``os.path.ALLOW_MISSING`` (added by the same
    fix) also counts, so a distribution that backported the patch is recognised.
    """
    major, minor, micro = version or sys.version_info[:3]
    if (major, minor) >= (3, 14):
        return True
    fixed_micro = _FIXED_RELEASES.get((major, minor))
    if fixed_micro is not None and micro >= fixed_micro:
        return True
    return version is None and hasattr(os.path, "ALLOW_MISSING")


def links_allowed() -> bool:
    """Whether archives may contain (inside-pointing) links at all on this Python.

    Without the 2025 fixes the ``data`` filter cannot be trusted as a second line of
    defence for links, so every symlink and hardlink is refused instead.
    """
    return tarfile_has_2025_fixes()


def archive_digest(path: Path | str) -> str:
    """Return ``"sha256:" + hex`` of the archive's bytes, read in streamed chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"
