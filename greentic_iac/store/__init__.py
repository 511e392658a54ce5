"""The durable environment store (seeds A2, A6, A7, A8).

Every mutation of an environment is one transaction: lock (or compare-and-swap on S3),
load and verify, authorize, apply a pure change, validate, bump the generation, back up,
write atomically, audit. ``LocalFileStore`` keeps environments under ``$GREENTIC_HOME``;
``S3Store`` keeps the same contract on a bucket. See docs/store.md.

Importing the package is cheap: each exported name loads its module on first use (PEP 562),
so ``env list`` (``store.reading``) never pays for pydantic, and only an s3:// store loads
boto3. Type checkers see the plain imports below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greentic_iac.lazy import lazy_exports

if TYPE_CHECKING:
    from greentic_iac.store.authz import Decision, Grant, Policy, authorize
    from greentic_iac.store.codec import (
        decode_state,
        encode_state,
        payload_digest,
        state_digest,
    )
    from greentic_iac.store.errors import StoreIOError
    from greentic_iac.store.home import greentic_home
    from greentic_iac.store.local import LocalFileStore
    from greentic_iac.store.migrations import CURRENT_STORE_SCHEMA, MigrationReport, migrate
    from greentic_iac.store.model import AuditEvent, BackupInfo, Change, MutationResult
    from greentic_iac.store.open import open_store
    from greentic_iac.store.principal import current_principal
    from greentic_iac.store.protocol import EnvironmentStore
    from greentic_iac.store.reading import environment_summaries, restore_command
    from greentic_iac.store.s3 import S3Store

_EXPORTS: dict[str, str] = {
    "Decision": "greentic_iac.store.authz",
    "Grant": "greentic_iac.store.authz",
    "Policy": "greentic_iac.store.authz",
    "authorize": "greentic_iac.store.authz",
    "decode_state": "greentic_iac.store.codec",
    "encode_state": "greentic_iac.store.codec",
    "payload_digest": "greentic_iac.store.codec",
    "state_digest": "greentic_iac.store.codec",
    "StoreIOError": "greentic_iac.store.errors",
    "greentic_home": "greentic_iac.store.home",
    "LocalFileStore": "greentic_iac.store.local",
    "CURRENT_STORE_SCHEMA": "greentic_iac.store.migrations",
    "MigrationReport": "greentic_iac.store.migrations",
    "migrate": "greentic_iac.store.migrations",
    "AuditEvent": "greentic_iac.store.model",
    "BackupInfo": "greentic_iac.store.model",
    "Change": "greentic_iac.store.model",
    "MutationResult": "greentic_iac.store.model",
    "open_store": "greentic_iac.store.open",
    "current_principal": "greentic_iac.store.principal",
    "EnvironmentStore": "greentic_iac.store.protocol",
    "environment_summaries": "greentic_iac.store.reading",
    "restore_command": "greentic_iac.store.reading",
    "S3Store": "greentic_iac.store.s3",
}

__all__ = [
    "CURRENT_STORE_SCHEMA",
    "AuditEvent",
    "BackupInfo",
    "Change",
    "Decision",
    "EnvironmentStore",
    "Grant",
    "LocalFileStore",
    "MigrationReport",
    "MutationResult",
    "Policy",
    "S3Store",
    "StoreIOError",
    "authorize",
    "current_principal",
    "decode_state",
    "encode_state",
    "environment_summaries",
    "greentic_home",
    "migrate",
    "open_store",
    "payload_digest",
    "restore_command",
    "state_digest",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
