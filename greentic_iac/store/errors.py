"""Store-specific failures that are not the caller's fault (disk, bucket, injected faults)."""

from __future__ import annotations

from greentic_iac.errors import GreenticError


class StoreIOError(GreenticError):
    """Writing or reading the store failed (fsync, rename, bucket); the old state stands."""

    exit_code = 1
