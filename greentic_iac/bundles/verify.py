"""``verify_archive``: the full pre-check plus the secret scan, without writing anything.

This is what ``greentic-iac bundles verify`` and ``revisions stage --bundle_path`` run: an
archive that passes is safe to unpack by our rules and carries no secret shape we know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from greentic_iac.bundles.entries import EntryKind
from greentic_iac.bundles.errors import ScanFailedError, SecretLeakError
from greentic_iac.bundles.findings import NESTED_SEPARATOR, SecretFinding
from greentic_iac.bundles.formats import (
    ArchiveFormat,
    archive_digest,
    detect_format,
    links_allowed,
)
from greentic_iac.bundles.limits import ArchiveLimits, ScanLimits
from greentic_iac.bundles.precheck import EntryValidator
from greentic_iac.bundles.scanner import SecretScanner
from greentic_iac.bundles.walk import VisitedEntry, read_all, walk_archive
from greentic_iac.errors import InvalidInputError

_RAW_CHUNK = 8 * 1024 * 1024
_RAW_OVERLAP = 4096


@dataclass(frozen=True)
class VerifyReport:
    """What a passing archive holds. ``digest`` is ``sha256:<hex>`` of the archive bytes
    (the revision's ``bundle_digest``); ``scanned`` says whether the secret scan ran."""

    path: str
    digest: str
    format: ArchiveFormat
    entries: int
    files: int
    directories: int
    links: int
    total_bytes: int
    scanned: bool
    findings: tuple[SecretFinding, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the CLI's result envelope."""
        return {
            "path": self.path,
            "digest": self.digest,
            "format": self.format.value,
            "entries": self.entries,
            "files": self.files,
            "directories": self.directories,
            "links": self.links,
            "total_bytes": self.total_bytes,
            "secret_scan": "clean" if self.scanned else "skipped",
        }


class _ScanningVisitor:
    """Reads every file entry to the end (so streamed sizes and CRCs are checked) and,
    when asked, scans it for secrets."""

    def __init__(self, archive: str, scanner: SecretScanner | None, scan_limits: ScanLimits):
        self._archive = archive
        self._scanner = scanner
        self._limit = scan_limits.max_file_bytes
        self.findings: list[SecretFinding] = []

    def __call__(self, visited: VisitedEntry) -> None:
        entry, content = visited.entry, visited.content
        scanner = self._scanner
        member = f"{self._archive}{NESTED_SEPARATOR}{entry.name}"
        if scanner is not None and visited.metadata:
            self.findings.extend(scanner.raw_findings(visited.metadata, member, self.findings))
        if entry.kind is not EntryKind.FILE:
            return
        data = read_all(content, self._limit if scanner is not None else 0)
        if scanner is None:
            return
        if data is None:
            raise ScanFailedError(member, f"entry is larger than {self._limit} bytes to scan")
        self.findings.extend(scanner.scan_member(data, self._archive, entry.name))


def verify_archive(
    path: Path | str,
    limits: ArchiveLimits | None = None,
    *,
    scan_secrets: bool = True,
    scan_limits: ScanLimits | None = None,
) -> VerifyReport:
    """Pre-check every entry of a zip / tar / tar.gz (format from content) and scan it for
    secrets; return a ``VerifyReport`` or raise.

    Raises ``UnsupportedArchiveError`` (not an archive, corrupt), ``UnsafeArchiveError`` /
    ``ArchiveLimitError`` (entry and rule named), ``SecretLeakError`` (file, line, kind;
    never the value) or ``ScanFailedError`` (the scan could not finish: fail closed). All
    are ``InvalidInputError`` subclasses (exit code 2). Nothing is written anywhere.
    """
    archive = Path(path)
    limits = limits or ArchiveLimits()
    scan_limits = scan_limits or ScanLimits()
    archive_format = detect_format(archive)
    try:
        digest = archive_digest(archive)
        archive_bytes = archive.stat().st_size
    except OSError as error:
        raise InvalidInputError(f"{archive}: cannot read: {error.strerror}") from error
    validator = EntryValidator(
        str(archive), limits, archive_bytes=archive_bytes, allow_links=links_allowed()
    )
    scanner = SecretScanner(scan_limits) if scan_secrets else None
    visitor = _ScanningVisitor(str(archive), scanner, scan_limits)
    walk_archive(archive, archive_format, validator, limits, visitor)
    findings = visitor.findings
    if scanner is not None:
        findings.extend(_raw_archive_findings(scanner, archive, findings))
        if findings:
            raise SecretLeakError(str(archive), findings)
    counts = validator.kind_counts
    return VerifyReport(
        path=str(archive),
        digest=digest,
        format=archive_format,
        entries=validator.entry_count,
        files=counts.get(EntryKind.FILE, 0),
        directories=counts.get(EntryKind.DIRECTORY, 0),
        links=counts.get(EntryKind.SYMLINK, 0) + counts.get(EntryKind.HARDLINK, 0),
        total_bytes=validator.total_bytes,
        scanned=scanner is not None,
    )


def _raw_archive_findings(
    scanner: SecretScanner, archive: Path, known: list[SecretFinding]
) -> list[SecretFinding]:
    """Secret shapes in the archive's own bytes (the P0.2 raw-bytes gate), in overlapping
    chunks, minus those already found in a member."""
    found: list[SecretFinding] = []
    previous = b""
    with archive.open("rb") as handle:
        while chunk := handle.read(_RAW_CHUNK):
            found.extend(scanner.raw_findings(previous + chunk, str(archive), [*known, *found]))
            previous = chunk[-_RAW_OVERLAP:]
    return found
