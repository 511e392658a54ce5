"""The configurable bounds for archive ingestion and secret scanning, with their defaults.

Defaults are sized for Greentic bundles (packs, flows, wasm components, static assets):
generous for real bundles, far below what a bomb needs. ``docs/bundles.md`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds an archive must stay within, or it is refused as a whole.

    - ``max_entries``: entries of any kind (files, directories, links).
    - ``max_total_bytes``: sum of uncompressed file sizes, enforced from the headers before
      anything is read AND while streaming, because headers can lie.
    - ``max_compression_ratio``: uncompressed / compressed, per zip entry and for the whole
      archive; only applied once at least ``ratio_floor_bytes`` are involved, so a tiny
      file of repeated text is not mistaken for a bomb.
    - ``max_name_length``: characters of a whole entry path; each component is also limited
      to 255 UTF-8 bytes (the common filesystem limit).
    - ``max_link_target_length``: characters of a symlink target.
    """

    max_entries: int = 10_000
    max_total_bytes: int = 1 * GIB
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MIB
    max_name_length: int = 512
    max_link_target_length: int = 1024

    def __post_init__(self) -> None:
        if self.max_entries < 1 or self.max_total_bytes < 0 or self.max_name_length < 1:
            raise ValueError("archive limits must be positive")
        if self.max_compression_ratio <= 1.0:
            raise ValueError("max_compression_ratio must be greater than 1")


@dataclass(frozen=True)
class ScanLimits:
    """Bounds that keep a secret scan finite; reaching one fails the scan (fail closed).

    - ``max_file_bytes``: largest single file (or archive member) read for scanning.
    - ``max_total_bytes``: all bytes read, decompressed or decoded during one scan.
    - ``max_depth``: nesting of archives in archives and base64 in base64.
    - ``max_members``: archive members across all nested archives.
    - ``timeout_seconds``: wall-clock budget for one scan.
    """

    max_file_bytes: int = 64 * MIB
    max_total_bytes: int = 2 * GIB
    max_depth: int = 4
    max_members: int = 100_000
    timeout_seconds: float = 300.0
