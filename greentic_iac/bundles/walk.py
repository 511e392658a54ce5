"""Walk a tar, tar.gz or zip entry by entry, judging each one before its bytes are touched.

Both ``verify_archive`` and ``unpack_archive`` walk through here, so what is verified is
exactly what is unpacked. A tar is judged header by header as its stream goes past (the
decompressed stream capped); a zip is judged from its central directory first, all
entries, before any content is read; then contents are streamed and counted, because
headers can lie.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from greentic_iac.bundles.entries import (
    CHUNK_BYTES,
    CORRUPT_ERRORS,
    ArchiveEntry,
    EntryContent,
    EntryKind,
    StreamBudgetExceededError,
    TarMemberContent,
    ZipMemberContent,
    open_tar_stream,
    tar_entry,
    tar_stream_budget,
    zip_entry,
    zip_layout_problem,
)
from greentic_iac.bundles.errors import (
    ArchiveLimitError,
    UnsafeArchiveError,
    UnsupportedArchiveError,
    display_name,
)
from greentic_iac.bundles.formats import ArchiveFormat
from greentic_iac.bundles.limits import ArchiveLimits
from greentic_iac.bundles.precheck import EntryPath, EntryValidator
from greentic_iac.errors import GreenticError

_SUPPORTED_ZIP_METHODS = {
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
}


@dataclass(frozen=True)
class VisitedEntry:
    """An entry that passed the pre-check, handed to the visitor in archive order.

    ``path`` is ``None`` for the archive root entry (``./``); ``metadata`` holds text the
    archive attaches to the entry (tar pax headers, zip comments) for the secret scan;
    ``native`` is the ``TarInfo`` or ``ZipInfo`` and ``container`` the open archive.
    """

    entry: ArchiveEntry
    path: EntryPath | None
    content: EntryContent
    metadata: bytes
    native: tarfile.TarInfo | zipfile.ZipInfo
    container: tarfile.TarFile | zipfile.ZipFile


class Visitor(Protocol):
    """Called once per entry that passed the pre-check."""

    def __call__(self, visited: VisitedEntry) -> None: ...


class CountedContent:
    """Content whose streamed bytes are held to the declared size (headers can lie)."""

    def __init__(self, inner: EntryContent, validator: EntryValidator, entry: ArchiveEntry):
        self._inner = inner
        self._validator = validator
        self._entry = entry

    def chunks(self) -> Iterator[bytes]:
        streamed = 0
        for chunk in self._inner.chunks():
            streamed += len(chunk)
            self._validator.count_streamed(self._entry.name, streamed, self._entry.size)
            yield chunk


def walk_archive(
    path: Path,
    archive_format: ArchiveFormat,
    validator: EntryValidator,
    limits: ArchiveLimits,
    visit: Visitor,
) -> None:
    """Judge every entry with ``validator`` and hand each passing one to ``visit``."""
    if archive_format is ArchiveFormat.ZIP:
        _walk_zip(path, validator, limits, visit)
    else:
        _walk_tar(path, archive_format, validator, limits, visit)


def _corrupt(path: Path, near: str, error: BaseException) -> UnsupportedArchiveError:
    return UnsupportedArchiveError(
        str(path), f"corrupt archive near entry '{display_name(near)}': {type(error).__name__}"
    )


def _walk_tar(
    path: Path,
    archive_format: ArchiveFormat,
    validator: EntryValidator,
    limits: ArchiveLimits,
    visit: Visitor,
) -> None:
    budget = tar_stream_budget(limits.max_total_bytes, limits.max_entries, limits.max_name_length)
    current = "(first header)"
    try:
        with open_tar_stream(path, archive_format, budget) as (archive, bounded):
            for member in archive:
                entry = tar_entry(member)
                current = entry.name
                entry_path = validator.check(entry)
                pax = "\n".join(f"{key}={value}" for key, value in member.pax_headers.items())
                content = CountedContent(TarMemberContent(archive, member), validator, entry)
                visit(
                    VisitedEntry(
                        entry, entry_path, content, pax.encode("utf-8", "replace"), member, archive
                    )
                )
            current = "(end of archive)"
            if not bounded.rest_is_zeros(archive.offset):
                raise UnsafeArchiveError(
                    str(path),
                    current,
                    "trailing-data",
                    "data after the end of the tar (a corrupt header hides entries)",
                )
        validator.finish()
    except StreamBudgetExceededError as error:
        raise ArchiveLimitError(
            str(path), current, "too-many-bytes", "decompressed stream exceeds the limits"
        ) from error
    except GreenticError:
        raise
    except CORRUPT_ERRORS as error:
        raise _corrupt(path, current, error) from error


def _read_link(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> str:
    with archive.open(info) as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise UnsafeArchiveError(str(path), info.orig_filename, "link-target", "target too long")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnsafeArchiveError(
            str(path), info.orig_filename, "undecodable-name", "link target is not UTF-8"
        ) from error


def _walk_zip(path: Path, validator: EntryValidator, limits: ArchiveLimits, visit: Visitor) -> None:
    current = "(central directory)"
    try:
        with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_entries:
                raise ArchiveLimitError(
                    str(path),
                    infos[limits.max_entries].orig_filename,
                    "too-many-entries",
                    f"more than {limits.max_entries} entries",
                )
            # every header is judged before any content is read
            judged: list[tuple[ArchiveEntry, EntryPath | None, zipfile.ZipInfo]] = []
            for info in infos:
                current = info.orig_filename
                _check_zip_flags(path, info)
                entry = zip_entry(info, _link_reader(path, archive, info, limits))
                judged.append((entry, validator.check(entry), info))
            validator.finish()
            problem = zip_layout_problem(handle, infos, getattr(archive, "start_dir", 0))
            if problem is not None:
                raise UnsafeArchiveError(str(path), problem[0], problem[1], _LAYOUT[problem[1]])
            for entry, entry_path, info in judged:
                current = entry.name
                content = CountedContent(ZipMemberContent(archive, info), validator, entry)
                visit(VisitedEntry(entry, entry_path, content, info.comment, info, archive))
    except GreenticError:
        raise
    except CORRUPT_ERRORS as error:
        raise _corrupt(path, current, error) from error


def _link_reader(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits
) -> Callable[[], str]:
    return lambda: _read_link(path, archive, info, limits.max_link_target_length)


_LAYOUT = {
    "overlapping-entries": "entry data overlaps another entry (overlapping-files zip bomb)",
    "hidden-data": "bytes between entries that the central directory does not list",
    "corrupt-entry": "local header missing or damaged",
}


def _check_zip_flags(path: Path, info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(
            str(path), info.orig_filename, "encrypted-entry", "encrypted entries cannot be checked"
        )
    if info.compress_type not in _SUPPORTED_ZIP_METHODS:
        raise UnsafeArchiveError(
            str(path),
            info.orig_filename,
            "unsupported-compression",
            f"compression method {info.compress_type} is not supported",
        )


def read_all(content: EntryContent, limit: int) -> bytes | None:
    """The whole content, or ``None`` once it passes ``limit`` bytes (the rest is still
    streamed and counted, so the size checks run to the end)."""
    parts: list[bytes] = []
    size = 0
    for chunk in content.chunks():
        size += len(chunk)
        if size <= limit:
            parts.append(chunk)
        else:
            parts.clear()
    return b"".join(parts) if size <= limit else None


def is_content_kind(entry: ArchiveEntry) -> bool:
    """Entries whose bytes are file content (files; a zip symlink's bytes are its target)."""
    return entry.kind is EntryKind.FILE


__all__ = [
    "CHUNK_BYTES",
    "CountedContent",
    "Visitor",
    "is_content_kind",
    "read_all",
    "walk_archive",
]
