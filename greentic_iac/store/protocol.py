"""The contract every environment store keeps (local files and S3 alike)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

from greentic_iac.spec import EnvironmentState
from greentic_iac.store.authz import Decision
from greentic_iac.store.model import AuditEvent, BackupInfo, Change, MutationResult


@runtime_checkable
class EnvironmentStore(Protocol):
    def list_environments(self) -> list[str]: ...

    def exists(self, environment_id: str) -> bool: ...

    def load(self, environment_id: str) -> EnvironmentState: ...

    def create(
        self,
        state: EnvironmentState,
        *,
        verb: str,
        idempotency_key: str | None = None,
        payload: object = None,
    ) -> MutationResult: ...

    def mutate(
        self,
        environment_id: str,
        change: Change,
        *,
        verb: str,
        expected_generation: int | None = None,
        idempotency_key: str | None = None,
        payload: object = None,
    ) -> MutationResult: ...

    def remove(
        self,
        environment_id: str,
        *,
        verb: str,
        idempotency_key: str | None = None,
        expected_generation: int | None = None,
        payload: object = None,
    ) -> MutationResult: ...

    def remove_damaged(self, environment_id: str, *, verb: str = "env remove") -> str | None: ...

    def audit_events(self, environment_id: str, limit: int | None = None) -> list[AuditEvent]: ...

    def record(
        self,
        environment_id: str,
        verb: str,
        result: dict[str, Any],
        *,
        outcome: Literal["ok", "error"] = "ok",
        environ: Mapping[str, str] | None = None,
        grant: str | None = None,
    ) -> AuditEvent: ...

    def require_grant(self, environment_id: str, verb: str) -> Decision: ...

    def key_conflict(self, environment_id: str, key: str | None, payload: Any) -> None: ...

    def pending_operations(self, environment_id: str) -> list[AuditEvent]: ...

    def backups(self, environment_id: str) -> list[BackupInfo]: ...

    def load_backup(self, environment_id: str, generation: int) -> EnvironmentState: ...

    def restore_backup(
        self,
        environment_id: str,
        generation: int,
        *,
        verb: str = "env restore",
        override_policy: bool = False,
    ) -> MutationResult: ...
