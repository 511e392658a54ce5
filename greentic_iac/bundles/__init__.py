"""Bundle artifacts: safe archive ingestion, digests and the secret-leak scanner.

Bundles are uploaded and shared, so a secret baked into one is a credential leak, and
unpacking an untrusted one must never write outside its folder (seed P0.1-P0.4). This
package is the library behind ``bundles verify``, ``bundles unpack``, ``doctor secrets``
and ``revisions stage --bundle_path``; ``docs/bundles.md`` lists every rule.
"""

from greentic_iac.bundles.errors import (
    ArchiveLimitError,
    DestinationNotEmptyError,
    ScanFailedError,
    SecretLeakError,
    UnsafeArchiveError,
    UnsupportedArchiveError,
)
from greentic_iac.bundles.findings import SecretFinding
from greentic_iac.bundles.formats import (
    ArchiveFormat,
    archive_digest,
    detect_format,
    links_allowed,
    tarfile_has_2025_fixes,
)
from greentic_iac.bundles.limits import ArchiveLimits, ScanLimits
from greentic_iac.bundles.scanner import SecretScanner, scan_generated_outputs, scan_path
from greentic_iac.bundles.unpack import UnpackIOError, UnpackReport, unpack_archive
from greentic_iac.bundles.verify import VerifyReport, verify_archive

__all__ = [
    "ArchiveFormat",
    "ArchiveLimitError",
    "ArchiveLimits",
    "DestinationNotEmptyError",
    "ScanFailedError",
    "ScanLimits",
    "SecretFinding",
    "SecretLeakError",
    "SecretScanner",
    "UnpackIOError",
    "UnpackReport",
    "UnsafeArchiveError",
    "UnsupportedArchiveError",
    "VerifyReport",
    "archive_digest",
    "detect_format",
    "links_allowed",
    "scan_generated_outputs",
    "scan_path",
    "tarfile_has_2025_fixes",
    "unpack_archive",
    "verify_archive",
]
