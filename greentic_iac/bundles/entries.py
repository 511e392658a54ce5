"""One neutral view of tar and zip entries, read in archive order with bounded streams.

The pre-check, the secret scan and the extraction all walk archives through this module,
so a tar and a zip are judged by exactly the same rules. Reading is streamed: a tar (or
tar.gz) is read once front to back, with the decompressed stream capped, because a gzip
header cannot be trusted to say how much it will inflate to.
"""

from __future__ import annotations

import enum
import gzip
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from greentic_iac.bundles.errors import UnsupportedArchiveError
from greentic_iac.bundles.formats import ArchiveFormat

CHUNK_BYTES = 256 * 1024
TAR_BLOCK = 512


class EntryKind(enum.StrEnum):
    """What an archive entry would become on disk."""

    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device"
    FIFO = "fifo"
    OTHER = "other"


@dataclass(frozen=True)
class ArchiveEntry:
    """An entry as stored: raw name, kind, declared size and permission bits.

    ``compressed_size`` is known for zip entries only. ``link_target`` is the symlink
    target (relative to the link's directory) or the hardlink target (relative to the
    archive root), exactly as stored.
    """

    name: str
    kind: EntryKind
    size: int
    mode: int
    link_target: str | None = None
    compressed_size: int | None = None


class StreamBudgetExceededError(Exception):
    """Internal: the decompressed stream grew past its budget (the current entry is named
    by the caller, which knows it)."""


class BoundedReader:
    """A read-only stream that raises once more than ``budget`` bytes were read from it."""

    def __init__(self, source: BinaryIO, budget: int, tail_size: int = 0) -> None:
        self._source = source
        self._budget = budget
        self.bytes_read = 0
        self._tail = bytearray()
        self._tail_size = tail_size  # the last bytes read are kept to inspect a tar's end

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._budget - self.bytes_read + 1
        data = self._source.read(size)
        self.bytes_read += len(data)
        if self.bytes_read > self._budget:
            raise StreamBudgetExceededError
        if self._tail_size:
            self._tail += data
            if len(self._tail) > self._tail_size:
                del self._tail[: len(self._tail) - self._tail_size]
        return data

    def rest_is_zeros(self, offset: int) -> bool:
        """Whether every byte from stream ``offset`` to the end is zero (tar end padding).

        Needs ``tail_size`` to have been large enough to cover what the tar reader had
        already buffered past ``offset``; if not, the answer is a (safe) ``False``.
        """
        buffered = self.bytes_read - offset
        if buffered < 0 or buffered > len(self._tail):
            return False
        if any(self._tail[len(self._tail) - buffered :]):
            return False
        while chunk := self.read(CHUNK_BYTES):
            if any(chunk):
                return False
        return True


class EntryContent(Protocol):
    """The bytes of the entry the walk is currently at (valid only until the next entry)."""

    def chunks(self) -> Iterator[bytes]: ...


CORRUPT_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    ValueError,
    struct.error,
    UnicodeDecodeError,
)
"""What the standard library raises on corrupt or unsupported archive data."""


def tar_entry(member: tarfile.TarInfo) -> ArchiveEntry:
    """Translate a ``TarInfo`` into the neutral entry."""
    if member.sparse is not None or member.type == tarfile.GNUTYPE_SPARSE:
        kind = EntryKind.OTHER
    elif member.isreg():
        kind = EntryKind.FILE
    elif member.isdir():
        kind = EntryKind.DIRECTORY
    elif member.issym():
        kind = EntryKind.SYMLINK
    elif member.islnk():
        kind = EntryKind.HARDLINK
    elif member.ischr() or member.isblk():
        kind = EntryKind.DEVICE
    elif member.isfifo():
        kind = EntryKind.FIFO
    else:
        kind = EntryKind.OTHER
    link = member.linkname if kind in (EntryKind.SYMLINK, EntryKind.HARDLINK) else None
    return ArchiveEntry(
        name=member.name, kind=kind, size=member.size, mode=member.mode, link_target=link
    )


def zip_mode(info: zipfile.ZipInfo) -> int:
    """The Unix mode (type and permission bits) of a zip entry, 0 if none was recorded."""
    return (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0


def zip_entry(info: zipfile.ZipInfo, read_link: Callable[[], str]) -> ArchiveEntry:
    """Translate a ``ZipInfo`` into the neutral entry (``read_link`` reads a symlink target)."""
    mode = zip_mode(info)
    file_type = stat.S_IFMT(mode)
    name = info.orig_filename
    link: str | None = None
    if name.endswith("/"):
        kind = EntryKind.DIRECTORY if file_type in (0, stat.S_IFDIR) else EntryKind.OTHER
        name = name[:-1]
    elif file_type in (0, stat.S_IFREG):
        kind = EntryKind.FILE
    elif file_type == stat.S_IFDIR:
        kind = EntryKind.OTHER  # a directory without the trailing slash is ambiguous
    elif file_type == stat.S_IFLNK:
        kind = EntryKind.SYMLINK
        link = read_link()
    elif file_type in (stat.S_IFCHR, stat.S_IFBLK):
        kind = EntryKind.DEVICE
    elif file_type == stat.S_IFIFO:
        kind = EntryKind.FIFO
    else:
        kind = EntryKind.OTHER
    return ArchiveEntry(
        name=name,
        kind=kind,
        size=info.file_size,
        mode=stat.S_IMODE(mode),
        link_target=link,
        compressed_size=info.compress_size,
    )


def tar_stream_budget(max_total_bytes: int, max_entries: int, max_name_length: int) -> int:
    """Most bytes a decompressed tar stream may have for an archive within the limits:
    contents, plus per entry a header, long-name/pax blocks and padding, plus the end."""
    per_entry = 3 * TAR_BLOCK + 2 * (max_name_length + TAR_BLOCK) + 1024
    return max_total_bytes + (max_entries + 1) * per_entry + 20 * TAR_BLOCK


@contextmanager
def open_tar_stream(
    path: Path, archive_format: ArchiveFormat, budget: int
) -> Iterator[tuple[tarfile.TarFile, BoundedReader]]:
    """Open a tar or tar.gz for one front-to-back pass with a capped decompressed stream."""
    with path.open("rb") as raw:
        source: BinaryIO = raw
        if archive_format is ArchiveFormat.TAR_GZ:
            source = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        bounded = BoundedReader(source, budget, tail_size=64 * 1024)
        try:
            archive = tarfile.open(  # type: ignore[call-overload]  # noqa: SIM115
                fileobj=bounded,
                mode="r|",
                errorlevel=2,
                encoding="utf-8",
            )
        except CORRUPT_ERRORS as error:
            raise UnsupportedArchiveError(str(path), f"corrupt tar: {error}") from error
        try:
            yield archive, bounded
        finally:
            archive.close()


class TarMemberContent:
    """Content of the tar member a stream is currently at."""

    def __init__(self, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        self._archive = archive
        self._member = member

    def chunks(self) -> Iterator[bytes]:
        handle = self._archive.extractfile(self._member)
        if handle is None:
            return
        with handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk


class ZipMemberContent:
    """Content of one zip member, streamed; refuses to yield more than the declared size."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info

    def chunks(self) -> Iterator[bytes]:
        with self._archive.open(self._info) as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"


def zip_layout_problem(
    handle: BinaryIO, infos: list[zipfile.ZipInfo], directory_start: int
) -> tuple[str, str] | None:
    """``(entry name, rule)`` of the first zip layout trick, or ``None``.

    Each entry's local header and data must sit one after the other from offset 0 up to
    the central directory: overlapping entries are the "overlapping files" zip bomb, and
    gaps can hide local entries that streaming unzippers would see but the central
    directory does not list (a parser differential).
    """
    spans: list[tuple[int, int, str]] = []
    for info in infos:
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            return info.orig_filename, "corrupt-entry"
        fields = _LOCAL_HEADER.unpack(header)
        name_length, extra_length = fields[10], fields[11]
        end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        end += info.compress_size
        if info.flag_bits & 0x8:
            end += _data_descriptor_length(handle, end)
        spans.append((info.header_offset, end, info.orig_filename))
    spans.sort()
    previous_end = 0
    for start, end, name in spans:
        if start < previous_end:
            return name, "overlapping-entries"
        if start > previous_end:
            return name, "hidden-data"
        previous_end = end
    if previous_end > directory_start:
        return spans[-1][2], "overlapping-entries"
    if previous_end < directory_start:
        return (spans[-1][2] if spans else "(archive)"), "hidden-data"
    return None


def _data_descriptor_length(handle: BinaryIO, offset: int) -> int:
    """Length of the optional data descriptor after an entry's data (12, 16, 20 or 24)."""
    handle.seek(offset)
    head = handle.read(4)
    signed = 4 if head == b"PK\x07\x08" else 0
    # crc + sizes: 32-bit sizes unless the entry is zip64; both forms are accepted by
    # checking which one leaves the stream at the next header signature
    for sizes in (8, 16):
        handle.seek(offset + signed + 4 + sizes)
        if handle.read(2) == b"PK":
            return signed + 4 + sizes
    return signed + 12
