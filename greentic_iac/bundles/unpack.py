"""``unpack_archive``: verify, extract into a private folder next to the destination, and
move it into place only when everything passed.

Three lines of defence: our own pre-check (run in full before anything is written, and
again entry by entry while extracting), tarfile's ``data`` filter for tar entries, and a
final walk of the extracted tree. Any failure removes the temporary folder, so the
destination's parent ends exactly as it started.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from greentic_iac.bundles.entries import ArchiveEntry, EntryContent, EntryKind
from greentic_iac.bundles.errors import (
    ArchiveLimitError,
    DestinationNotEmptyError,
    UnsafeArchiveError,
    display_name,
)
from greentic_iac.bundles.formats import (
    ArchiveFormat,
    archive_digest,
    detect_format,
    links_allowed,
)
from greentic_iac.bundles.limits import ArchiveLimits, ScanLimits
from greentic_iac.bundles.precheck import EntryValidator
from greentic_iac.bundles.verify import verify_archive
from greentic_iac.bundles.walk import VisitedEntry, walk_archive
from greentic_iac.errors import GreenticError, InvalidInputError

_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class UnpackIOError(GreenticError):
    """Writing the unpacked files failed (disk full, permissions); nothing was left behind."""


@dataclass(frozen=True)
class UnpackReport:
    """Where a verified archive was unpacked, and what it held."""

    path: str
    destination: str
    digest: str
    format: ArchiveFormat
    entries: int
    files: int
    directories: int
    links: int
    total_bytes: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the CLI's result envelope."""
        return {
            "path": self.path,
            "destination": self.destination,
            "digest": self.digest,
            "format": self.format.value,
            "entries": self.entries,
            "files": self.files,
            "directories": self.directories,
            "links": self.links,
            "total_bytes": self.total_bytes,
        }


def _check_destination(dest: Path) -> None:
    """``dest`` must be absent or an empty real directory, in an existing directory."""
    parent = dest.parent
    if not parent.is_dir():
        raise InvalidInputError(f"{dest}: parent directory {parent} does not exist")
    try:
        info = dest.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise DestinationNotEmptyError(f"{dest}: destination is a symlink")
    if not stat.S_ISDIR(info.st_mode):
        raise DestinationNotEmptyError(f"{dest}: destination exists and is not a directory")
    if any(dest.iterdir()):
        raise DestinationNotEmptyError(f"{dest}: destination directory is not empty")


class _Extractor:
    """Writes each judged entry under ``root`` (a fresh private directory)."""

    def __init__(self, archive: Path, root: Path) -> None:
        self._archive = archive
        self._root = root
        self._real_root = os.path.realpath(root)

    def _inside(self, target: Path, name: str) -> None:
        real_parent = os.path.realpath(target.parent)
        if os.path.commonpath([self._real_root, real_parent]) != self._real_root:
            raise UnsafeArchiveError(
                str(self._archive), name, "link-escape", "entry would land outside the destination"
            )

    def __call__(self, visited: VisitedEntry) -> None:
        entry, content, native, container = (
            visited.entry,
            visited.content,
            visited.native,
            visited.container,
        )
        if visited.path is None:
            return
        target = self._root.joinpath(*visited.path)
        try:
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            self._inside(target, entry.name)
            if isinstance(native, tarfile.TarInfo) and isinstance(container, tarfile.TarFile):
                self._extract_tar(entry, native, container)
            else:
                self._extract_zip(entry, target, content)
        except (GreenticError, tarfile.FilterError):
            raise
        except OSError as error:
            raise UnpackIOError(
                f"{self._archive}: cannot write entry '{display_name(entry.name)}': "
                f"{error.strerror}"
            ) from error

    def _extract_tar(
        self, entry: ArchiveEntry, member: tarfile.TarInfo, archive: tarfile.TarFile
    ) -> None:
        try:
            archive.extract(
                member,
                path=self._root,
                set_attrs=entry.kind is not EntryKind.DIRECTORY,
                filter="data",
            )
        except tarfile.FilterError as error:
            raise UnsafeArchiveError(
                str(self._archive), entry.name, "data-filter", f"tarfile refused it: {error}"
            ) from error

    def _extract_zip(self, entry: ArchiveEntry, target: Path, content: EntryContent) -> None:
        if entry.kind is EntryKind.DIRECTORY:
            target.mkdir(mode=0o755, exist_ok=True)
        elif entry.kind is EntryKind.SYMLINK:
            target.symlink_to(entry.link_target or "")
        else:
            mode = 0o755 if entry.mode & 0o111 else 0o644
            descriptor = os.open(target, _OPEN_FLAGS, mode)
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk)


def _check_tree(archive: Path, root: Path, limits: ArchiveLimits) -> None:
    """Third line: the extracted tree holds only files, directories and inside links,
    within the byte limit."""
    real_root = os.path.realpath(root)
    total = 0
    for current, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            full = Path(current) / name
            info = full.lstat()
            relative = full.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                resolved = os.path.realpath(full)
                if os.path.commonpath([real_root, resolved]) != real_root:
                    raise UnsafeArchiveError(
                        str(archive), relative, "link-escape", "extracted link leaves the folder"
                    )
            elif stat.S_ISREG(info.st_mode):
                total += info.st_size
                if info.st_mode & (stat.S_ISUID | stat.S_ISGID):
                    raise UnsafeArchiveError(
                        str(archive), relative, "setuid-setgid", "extracted file is setuid/setgid"
                    )
            elif not stat.S_ISDIR(info.st_mode):
                raise UnsafeArchiveError(
                    str(archive), relative, "device-or-fifo", "extracted a special file"
                )
    if total > limits.max_total_bytes:
        raise ArchiveLimitError(
            str(archive), "(extracted tree)", "too-many-bytes", "extracted more than the limit"
        )


def unpack_archive(
    path: Path | str,
    dest: Path | str,
    limits: ArchiveLimits | None = None,
    *,
    scan_secrets: bool = True,
    scan_limits: ScanLimits | None = None,
) -> UnpackReport:
    """Verify ``path`` (as ``verify_archive``) and unpack it into ``dest``.

    ``dest`` must not exist or be an empty directory; its parent must exist. Extraction
    goes into a temporary directory next to ``dest`` which is renamed into place only
    when every check passed; on any error it is removed and nothing else changed.

    Raises everything ``verify_archive`` raises, plus ``DestinationNotEmptyError`` and
    ``InvalidInputError`` for a bad destination, ``UnsafeArchiveError`` if the archive
    changed between verification and extraction, and ``UnpackIOError`` (exit code 1)
    when writing fails.
    """
    archive = Path(path)
    destination = Path(dest)
    limits = limits or ArchiveLimits()
    _check_destination(destination)
    report = verify_archive(archive, limits, scan_secrets=scan_secrets, scan_limits=scan_limits)
    archive_format = detect_format(archive)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.unpack-", dir=destination.parent))
    try:
        validator = EntryValidator(
            str(archive),
            limits,
            archive_bytes=archive.stat().st_size,
            allow_links=links_allowed(),
        )
        walk_archive(archive, archive_format, validator, limits, _Extractor(archive, staging))
        _check_tree(archive, staging, limits)
        if archive_digest(archive) != report.digest:
            raise UnsafeArchiveError(
                str(archive), "(archive)", "changed-during-unpack", "archive bytes changed"
            )
        staging.chmod(0o755)
        _check_destination(destination)
        staging.replace(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return UnpackReport(
        path=str(archive),
        destination=str(destination),
        digest=report.digest,
        format=archive_format,
        entries=report.entries,
        files=report.files,
        directories=report.directories,
        links=report.links,
        total_bytes=report.total_bytes,
    )
