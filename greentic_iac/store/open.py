"""Pick a store from a URL: ``--store``, else ``$GREENTIC_STORE``, else the local home."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from greentic_iac.errors import InvalidInputError
from greentic_iac.store.reading import STORE_VARIABLE

if TYPE_CHECKING:
    from greentic_iac.store.protocol import EnvironmentStore

__all__ = ["STORE_VARIABLE", "open_store"]


def open_store(store_url: str | None = None, home: Path | None = None) -> EnvironmentStore:
    """``s3://bucket/prefix`` -> S3Store; None or ``file://<path>`` -> LocalFileStore.

    A ``file://`` URL names the home directory itself (it overrides ``home``).
    """
    from greentic_iac.store.local import LocalFileStore  # the models load with the store

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
