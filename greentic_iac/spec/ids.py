"""Identifiers: environment ids are DNS labels, deployments and revisions are ULIDs.

Each id is an ``Annotated[str, ...]`` so models stay plain JSON, and a validator function
is exported for callers that hold a raw string (the store checks ids before it touches a
path built from them).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from ulid import ULID

from greentic_iac.spec.environment_id import check_environment_id, validate_environment_id

_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_TENANT = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]+$")


def _ulid(value: str) -> str:
    if not _ULID.fullmatch(value):
        raise ValueError(f"{value!r} is not a ULID (26 characters of Crockford base32)")
    return value


def _tenant_id(value: str) -> str:
    if not _TENANT.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid tenant id: lowercase letters, digits, '.', '_' and '-', "
            "at most 64 characters"
        )
    return value


def _bundle_digest(value: str) -> str:
    if not _DIGEST.fullmatch(value):
        raise ValueError(f"{value!r} is not a bundle digest: expected 'sha256:' + lowercase hex")
    return value


EnvironmentId = Annotated[str, AfterValidator(check_environment_id)]
DeploymentId = Annotated[str, AfterValidator(_ulid)]
RevisionId = Annotated[str, AfterValidator(_ulid)]
TenantId = Annotated[str, AfterValidator(_tenant_id)]
BundleDigest = Annotated[str, AfterValidator(_bundle_digest)]


def new_ulid() -> str:
    return str(ULID())


__all__ = [
    "BundleDigest",
    "DeploymentId",
    "EnvironmentId",
    "RevisionId",
    "TenantId",
    "new_ulid",
    "validate_environment_id",
]
