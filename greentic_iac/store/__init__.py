"""The durable environment store (seeds A2, A6, A7, A8).

Every mutation of an environment is one transaction: lock (or compare-and-swap on S3),
load and verify, authorize, apply a pure change, validate, bump the generation, back up,
write atomically, audit. ``LocalFileStore`` keeps environments under ``$GREENTIC_HOME``;
``S3Store`` keeps the same contract on a bucket. See docs/store.md.
"""

from greentic_iac.store.authz import Decision, Grant, Policy, authorize
from greentic_iac.store.codec import decode_state, encode_state, payload_digest, state_digest
from greentic_iac.store.errors import StoreIOError
from greentic_iac.store.home import greentic_home
from greentic_iac.store.local import LocalFileStore, restore_command
from greentic_iac.store.migrations import CURRENT_STORE_SCHEMA, MigrationReport, migrate
from greentic_iac.store.model import AuditEvent, BackupInfo, Change, MutationResult
from greentic_iac.store.open import open_store
from greentic_iac.store.principal import current_principal
from greentic_iac.store.protocol import EnvironmentStore

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
    "greentic_home",
    "migrate",
    "open_store",
    "payload_digest",
    "restore_command",
    "state_digest",
]


def __getattr__(name: str) -> object:
    # S3Store pulls in boto3 (slow to import); load it only when someone asks for it.
    if name == "S3Store":
        from greentic_iac.store.s3 import S3Store

        return S3Store
    raise AttributeError(name)
