"""The secret-leak scanner: files, folders and archives (nested too) searched for secret shapes.

Everything is read as bytes, so minified JS, binaries and the raw bytes of archives are all
covered; archive members are opened and scanned (recursively, bounded), and base64 blobs
are decoded and scanned again. The scan fails closed: an error, a corrupt archive, a file
too large, too deep a nesting or the time budget running out raise ``ScanFailedError``
instead of returning a partial, clean-looking result. Findings carry file, line and kind,
never the value.
"""

from __future__ import annotations

import bisect
import gzip
import io
import os
import stat
import tarfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from greentic_iac.bundles import secret_rules
from greentic_iac.bundles.entries import (
    CORRUPT_ERRORS,
    BoundedReader,
    StreamBudgetExceededError,
)
from greentic_iac.bundles.errors import ScanFailedError
from greentic_iac.bundles.findings import NESTED_SEPARATOR, SecretFinding, fingerprint
from greentic_iac.bundles.formats import is_gzip, is_tar_header, is_zip
from greentic_iac.bundles.gitleaks_rules import DeadlineExceededError
from greentic_iac.bundles.limits import ScanLimits

_RAW_CHUNK = 8 * 1024 * 1024
_RAW_OVERLAP = 4096
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class _LineIndex:
    """Byte offset → 1-based line number, built once per scanned buffer."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._newlines: list[int] | None = None

    def line(self, offset: int) -> int:
        if self._newlines is None:
            newlines = []
            position = self._data.find(b"\n")
            while position != -1:
                newlines.append(position)
                position = self._data.find(b"\n", position + 1)
            self._newlines = newlines
        return bisect.bisect_left(self._newlines, offset) + 1


class SecretScanner:
    """One bounded scan (build a fresh scanner per scan: it carries the time and byte budget)."""

    def __init__(self, limits: ScanLimits | None = None) -> None:
        self.limits = limits or ScanLimits()
        self._deadline = time.monotonic() + self.limits.timeout_seconds
        self._bytes_budget = self.limits.max_total_bytes
        self._members = 0

    # -- budget --------------------------------------------------------------------------

    def _check_time(self, where: str) -> None:
        if time.monotonic() > self._deadline:
            raise ScanFailedError(
                where, f"time budget of {self.limits.timeout_seconds:g} s ran out"
            )

    def _spend(self, where: str, count: int) -> None:
        self._bytes_budget -= count
        if self._bytes_budget < 0:
            raise ScanFailedError(
                where, f"more than {self.limits.max_total_bytes} bytes to scan in one run"
            )

    def _count_member(self, where: str) -> None:
        self._members += 1
        if self._members > self.limits.max_members:
            raise ScanFailedError(where, f"more than {self.limits.max_members} archive members")

    # -- entry points --------------------------------------------------------------------

    def scan_path(self, path: Path) -> list[SecretFinding]:
        """Scan a file or, recursively, a directory (symlinks are not followed)."""
        try:
            info = path.lstat()
        except OSError as error:
            raise ScanFailedError(str(path), f"cannot stat: {error.strerror}") from error
        if stat.S_ISDIR(info.st_mode):
            findings: list[SecretFinding] = []
            for root, dirs, files in os.walk(path, onerror=_raise_walk_error):
                dirs.sort()
                for name in sorted(files):
                    findings.extend(self.scan_file(Path(root) / name))
            return findings
        return self.scan_file(path)

    def scan_file(self, path: Path) -> list[SecretFinding]:
        """Scan one file; special files (FIFOs, sockets, devices) and symlinks are skipped."""
        where = str(path)
        self._check_time(where)
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                return []
            if info.st_size > self.limits.max_file_bytes:
                if self._looks_like_archive_file(path):
                    return self._scan_large_archive(path)
                raise ScanFailedError(
                    where, f"file is larger than {self.limits.max_file_bytes} bytes"
                )
            with path.open("rb") as handle:
                data = handle.read(self.limits.max_file_bytes + 1)
        except OSError as error:
            raise ScanFailedError(where, f"cannot read: {error.strerror or error}") from error
        if len(data) > self.limits.max_file_bytes:
            raise ScanFailedError(where, "file grew while it was being scanned")
        self._spend(where, len(data))
        return self.scan_bytes(data, where, name=path.as_posix(), depth=0)

    def scan_bytes(
        self, data: bytes, where: str, *, name: str, depth: int, encoded: str = ""
    ) -> list[SecretFinding]:
        """Scan a buffer known as ``where`` (display) with file name ``name`` (for the
        file-name rules); archives in it are opened, base64 blobs decoded."""
        self._check_time(where)
        if depth > self.limits.max_depth:
            raise ScanFailedError(where, f"nested deeper than {self.limits.max_depth} levels")
        findings = self._file_name_findings(data, where, name, encoded)
        if is_zip(data) or is_gzip(data) or is_tar_header(data[:512]):
            findings.extend(self._scan_archive_bytes(data, where, depth, encoded))
            findings.extend(self._raw_findings(data, where, encoded, known=findings))
            return findings
        if data[:2] in _UTF16_BOMS:
            try:
                data = data.decode("utf-16").encode("utf-8")
            except UnicodeDecodeError as error:
                raise ScanFailedError(where, "UTF-16 text cannot be decoded") from error
        # a value a file-name rule already reported on the same line is reported once
        named = {(finding.line, finding.fingerprint) for finding in findings}
        findings.extend(
            finding
            for finding in self._content_findings(data, where, depth, encoded, name)
            if (finding.line, finding.fingerprint) not in named
        )
        return findings

    # -- rules ---------------------------------------------------------------------------

    def _file_name_findings(
        self, data: bytes, where: str, name: str, encoded: str
    ) -> list[SecretFinding]:
        lines = _LineIndex(data)
        found: list[SecretFinding] = []
        if secret_rules.is_dev_secrets_name(name) and data.strip():
            found.append(
                SecretFinding(where, 1, secret_rules.DEV_SECRETS_FILE, fingerprint(data), encoded)
            )
        if secret_rules.is_dotenv_name(name):
            found.extend(
                SecretFinding(
                    where, lines.line(hit.offset), hit.kind, fingerprint(hit.value), encoded
                )
                for hit in secret_rules.dotenv_hits(data)
            )
        if secret_rules.is_answers_name(name):
            found.extend(
                SecretFinding(
                    where, lines.line(hit.offset), hit.kind, fingerprint(hit.value), encoded
                )
                for hit in secret_rules.answer_hits(data)
            )
        return found

    def _content_findings(
        self, data: bytes, where: str, depth: int, encoded: str, name: str = ""
    ) -> list[SecretFinding]:
        lines = _LineIndex(data)
        findings = [
            SecretFinding(where, lines.line(hit.offset), hit.kind, fingerprint(hit.value), encoded)
            for hit in self._content_hits(data, where, name)
        ]
        if depth >= self.limits.max_depth:
            return findings
        for offset, decoded in secret_rules.base64_blobs(data):
            self._check_time(where)
            self._spend(where, len(decoded))
            if not (is_zip(decoded) or is_gzip(decoded) or secret_rules.is_mostly_text(decoded)):
                continue
            try:
                inner = self.scan_bytes(decoded, where, name="", depth=depth + 1, encoded="base64")
            except ScanFailedError:
                if is_zip(decoded) or is_gzip(decoded):
                    # a blob that only happens to start like an archive: scan it as text
                    inner = self._content_findings(decoded, where, depth + 1, "base64")
                else:
                    raise
            line = lines.line(offset)
            findings.extend(
                SecretFinding(where, line, finding.kind, finding.fingerprint, "base64")
                for finding in inner
            )
        return findings

    def _content_hits(self, data: bytes, where: str, name: str) -> list[secret_rules.Hit]:
        """The content rules on ``data`` under this scan's time budget (fail closed)."""
        try:
            return secret_rules.content_hits(data, name, deadline=self._deadline)
        except DeadlineExceededError:
            raise ScanFailedError(
                where, f"time budget of {self.limits.timeout_seconds:g} s ran out"
            ) from None

    def raw_findings(
        self, data: bytes, where: str, known: list[SecretFinding]
    ) -> list[SecretFinding]:
        """Content-pattern findings in raw bytes (line 0), minus any ``known`` one."""
        self._check_time(where)
        return self._raw_findings(data, where, "", known)

    def scan_member(self, data: bytes, archive: str, member: str) -> list[SecretFinding]:
        """Scan one archive member's bytes (reported as ``archive!member``)."""
        self._spend(f"{archive}{NESTED_SEPARATOR}{member}", len(data))
        return self._member(data, archive, member, 0, "")

    def _raw_findings(
        self, data: bytes, where: str, encoded: str, known: list[SecretFinding]
    ) -> list[SecretFinding]:
        """Secret shapes in the archive's own bytes (comments, headers, stored members),
        minus those already reported for a member."""
        seen = {(finding.kind, finding.fingerprint) for finding in known}
        raw = []
        for hit in self._content_hits(data, where, ""):
            key = (hit.kind, fingerprint(hit.value))
            if key not in seen:
                seen.add(key)
                raw.append(SecretFinding(where, 0, hit.kind, key[1], encoded))
        return raw

    # -- archives ------------------------------------------------------------------------

    @staticmethod
    def _looks_like_archive_file(path: Path) -> bool:
        with path.open("rb") as handle:
            head = handle.read(512)
        return is_zip(head) or is_gzip(head) or is_tar_header(head)

    def _scan_large_archive(self, path: Path) -> list[SecretFinding]:
        """An archive bigger than one file's budget: members are scanned one by one, the raw
        bytes in overlapping chunks, so memory stays bounded."""
        where = str(path)
        with path.open("rb") as handle:
            findings = self._scan_archive_handle(handle, where, 0, "")
            handle.seek(0)
            known = list(findings)
            previous = b""
            while chunk := handle.read(_RAW_CHUNK):
                self._check_time(where)
                findings.extend(self._raw_findings(previous + chunk, where, "", known))
                known = list(findings)
                previous = chunk[-_RAW_OVERLAP:]
        return findings

    def _scan_archive_bytes(
        self, data: bytes, where: str, depth: int, encoded: str
    ) -> list[SecretFinding]:
        return self._scan_archive_handle(io.BytesIO(data), where, depth, encoded)

    def _scan_archive_handle(
        self, handle: BinaryIO, where: str, depth: int, encoded: str
    ) -> list[SecretFinding]:
        head = handle.read(512)
        handle.seek(0)
        try:
            if is_zip(head):
                return self._scan_zip(handle, where, depth, encoded)
            if is_gzip(head):
                return self._scan_gzip(handle, where, depth, encoded)
            return self._scan_tar(handle, where, depth, encoded)
        except ScanFailedError:
            raise
        except StreamBudgetExceededError as error:
            raise ScanFailedError(where, "archive inflates past the scan budget") from error
        except CORRUPT_ERRORS as error:
            raise ScanFailedError(
                where, f"archive cannot be read: {type(error).__name__}"
            ) from error

    def _member(
        self, data: bytes, where: str, member: str, depth: int, encoded: str
    ) -> list[SecretFinding]:
        return self.scan_bytes(
            data,
            f"{where}{NESTED_SEPARATOR}{member}",
            name=member,
            depth=depth + 1,
            encoded=encoded,
        )

    def _scan_zip(
        self, handle: BinaryIO, where: str, depth: int, encoded: str
    ) -> list[SecretFinding]:
        findings: list[SecretFinding] = []
        with zipfile.ZipFile(handle) as archive:
            comment = archive.comment
            for info in archive.infolist():
                member_where = f"{where}{NESTED_SEPARATOR}{info.orig_filename}"
                self._check_time(member_where)
                self._count_member(member_where)
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise ScanFailedError(member_where, "encrypted member cannot be scanned")
                if info.file_size > self.limits.max_file_bytes:
                    raise ScanFailedError(
                        member_where, f"member is larger than {self.limits.max_file_bytes} bytes"
                    )
                self._spend(member_where, info.file_size)
                with archive.open(info) as member:
                    data = member.read(self.limits.max_file_bytes + 1)
                findings.extend(self._member(data, where, info.orig_filename, depth, encoded))
                if info.comment:
                    findings.extend(
                        self._raw_findings(info.comment, member_where, encoded, findings)
                    )
        if comment:
            findings.extend(self._raw_findings(comment, where, encoded, findings))
        return findings

    def _scan_gzip(
        self, handle: BinaryIO, where: str, depth: int, encoded: str
    ) -> list[SecretFinding]:
        with gzip.GzipFile(fileobj=handle) as inflated:
            first = inflated.read(512)
        handle.seek(0)
        if is_tar_header(first):
            return self._scan_tar(handle, where, depth, encoded)
        with gzip.GzipFile(fileobj=handle) as inflated:
            data = inflated.read(self.limits.max_file_bytes + 1)
        if len(data) > self.limits.max_file_bytes:
            raise ScanFailedError(where, f"inflates past {self.limits.max_file_bytes} bytes")
        self._spend(where, len(data))
        base = where.rsplit(NESTED_SEPARATOR, 1)[-1]
        inner = base[:-3] if base.lower().endswith(".gz") else "(gzip content)"
        return self._member(data, where, inner, depth, encoded)

    def _scan_tar(
        self, handle: BinaryIO, where: str, depth: int, encoded: str
    ) -> list[SecretFinding]:
        head = handle.read(2)
        handle.seek(0)
        source: BinaryIO = handle
        if is_gzip(head):
            source = gzip.GzipFile(fileobj=handle)  # type: ignore[assignment]
        budget = max(self._bytes_budget, 0) + 64 * 1024
        bounded = BoundedReader(source, budget)
        findings: list[SecretFinding] = []
        with tarfile.open(fileobj=bounded, mode="r|", encoding="utf-8") as archive:  # type: ignore[call-overload]
            for member in archive:
                member_where = f"{where}{NESTED_SEPARATOR}{member.name}"
                self._check_time(member_where)
                self._count_member(member_where)
                pax = "\n".join(f"{key}={value}" for key, value in member.pax_headers.items())
                if pax:
                    findings.extend(
                        self._raw_findings(
                            pax.encode("utf-8", "replace"), member_where, encoded, findings
                        )
                    )
                if not member.isreg():
                    continue
                if member.size > self.limits.max_file_bytes:
                    raise ScanFailedError(
                        member_where, f"member is larger than {self.limits.max_file_bytes} bytes"
                    )
                self._spend(member_where, member.size)
                extracted = archive.extractfile(member)
                data = extracted.read() if extracted is not None else b""
                findings.extend(self._member(data, where, member.name, depth, encoded))
        return findings


def _raise_walk_error(error: OSError) -> None:
    raise ScanFailedError(str(error.filename), f"cannot list: {error.strerror}") from error


def scan_path(path: Path | str, limits: ScanLimits | None = None) -> list[SecretFinding]:
    """Scan a file, a directory (recursively) or an archive (members and raw bytes,
    nested archives and base64 blobs included) for secret shapes.

    Returns the findings (empty when clean). Raises ``ScanFailedError`` when the scan
    cannot finish: unreadable files, corrupt archives, limits or time budget exceeded.
    """
    return SecretScanner(limits).scan_path(Path(path))


def scan_generated_outputs(
    paths: Iterable[Path | str], limits: ScanLimits | None = None
) -> list[SecretFinding]:
    """``scan_path`` over many outputs under one budget (the suite's leak gate: expect [])."""
    scanner = SecretScanner(limits)
    findings: list[SecretFinding] = []
    for path in paths:
        findings.extend(scanner.scan_path(Path(path)))
    return findings
