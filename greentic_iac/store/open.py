"""Pick a store from a URL: ``--store``, else ``$GREENTIC_STORE``, else the local home."""

from __future__ import annotations

import os
from pathlib import Path

from greentic_iac.errors import InvalidInputError
from greentic_iac.store.local import LocalFileStore
from greentic_iac.store.protocol import EnvironmentStore

STORE_VARIABLE = "GREENTIC_STORE"


def open_store(store_url: str | None = None, home: Path | None = None) -> EnvironmentStore:
    """``s3://bucket/prefix`` -> S3Store; None or ``file://<path>`` -> LocalFileStore.

    A ``file://`` URL names the home directory itself (it overrides ``home``).
    """
    url = store_url or os.environ.get(STORE_VARIABLE) or None
    if url is None:
        return LocalFileStore(home)
    if url.startswith("s3://"):
        from greentic_iac.store.s3 import S3Store  # lazy: boto3 only when it is used

        return S3Store.from_url(url, home=home)
    if url.startswith("file://"):
        path = url[len("file://") :]
        return LocalFileStore(Path(path) if path else home)
    raise InvalidInputError(
        f"store: {url!r} is not a store URL (use s3://bucket/prefix or file:///path)"
    )
