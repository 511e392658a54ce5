"""The value types a store hands back: mutation results, audit events, backup entries.

They are shared by every store implementation so the CLI (and the contract tests) see one
shape whatever backend holds the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from greentic_iac.spec import EnvironmentState

AUDIT_SCHEMA = "greentic.audit-event.v1"

# A pure function from the loaded state to (new state, JSON-able result). The store runs it
# inside the transaction; it must not bump ``generation`` (the store does that).
Change = Callable[[EnvironmentState], tuple[EnvironmentState, dict[str, Any]]]


class AuditEvent(BaseModel):
    """One line of the audit log (local JSONL) or one audit object (S3).

    A mutation writes an ``intent`` record before it touches the state and a ``done`` record
    after; both carry the same ``op_id``. A denial, a replay and a recovered operation are
    single ``done`` records.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal["greentic.audit-event.v1"] = "greentic.audit-event.v1"
    time: datetime
    op_id: str
    principal: str
    # CI identities the environment asserted (unverified), e.g. "github: claimed GITHUB_..."
    claims: list[str] | None = None
    verb: str
    environment_id: str
    phase: Literal["intent", "done"]
    decision: Literal["allow", "deny"]
    outcome: Literal["ok", "error"] | None = None
    idempotency_key: str | None = None
    payload_sha256: str | None = None
    generation_before: int | None = None
    generation_after: int | None = None
    # sha256 of the canonical state document the operation writes (recovery compares it).
    state_sha256: str | None = None
    grant: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    replayed: bool = False
    recovered: bool = False


@dataclass(frozen=True)
class MutationResult:
    result: dict[str, Any]
    generation_before: int  # -1 for create
    generation_after: int
    replayed: bool
    state: EnvironmentState | None  # None after remove
    op_id: str = ""
    # Operations a crash left between intent and done, completed by this call (reported).
    recovered: tuple[AuditEvent, ...] = field(default=())


@dataclass(frozen=True)
class BackupInfo:
    environment_id: str
    generation: int
    location: str  # a file path or an s3:// URL
    size_bytes: int
    verified: bool  # the backup's own integrity hash checks out
