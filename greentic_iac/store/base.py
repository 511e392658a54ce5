"""The public mutation verbs both stores share; each store supplies its ``_transaction``.

create, mutate and remove differ only in how they call the transaction, and that mapping
is part of the contract, so it lives once here rather than in every store.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Literal

from greentic_iac.errors import StateCorruptError
from greentic_iac.spec import EnvironmentState, new_ulid, validate_environment_id
from greentic_iac.store.model import AuditEvent, Change, MutationResult
from greentic_iac.store.principal import current_principal
from greentic_iac.store.transaction import now, validated

Mode = Literal["create", "mutate", "remove"]


class TransactionalStore(ABC):
    @abstractmethod
    def _transaction(
        self,
        environment_id: str,
        mode: Mode,
        *,
        verb: str,
        idempotency_key: str | None,
        payload: object,
        expected_generation: int | None,
        change: Change | None,
        initial: EnvironmentState | None = None,
        create_result: dict[str, object] | None = None,
    ) -> MutationResult: ...

    @abstractmethod
    def _audit(self, environment_id: str, event: AuditEvent) -> None: ...

    @abstractmethod
    def _prepare(self) -> None:
        """Check (or migrate) the store's layout before a transaction."""

    @abstractmethod
    def _read(self, environment_id: str) -> tuple[Any, ...] | None:
        """The verified state and what the store needs with it; None if absent."""

    @abstractmethod
    def load_backup(self, environment_id: str, generation: int) -> EnvironmentState: ...

    @abstractmethod
    def _set_aside_damaged(self, environment_id: str, verb: str) -> str | None:
        """Move a damaged state document aside (audited); None if repaired meanwhile."""

    def restore_backup(
        self, environment_id: str, generation: int, *, verb: str = "env restore"
    ) -> MutationResult:
        """A new generation whose document equals backup ``generation`` (except the number).

        Works when ``state.json`` is damaged (it is set aside as
        ``backups/damaged.<op_id>.json`` first, audited) and when the environment was removed.
        """
        self._prepare()
        restored = self.load_backup(environment_id, generation)
        note: dict[str, object] = {"restored_generation": generation}
        try:
            present = self._read(environment_id) is not None
        except StateCorruptError:
            present = False
            note["damaged_state_kept_as"] = self._set_aside_damaged(environment_id, verb)
        if present:

            def change(_: EnvironmentState) -> tuple[EnvironmentState, dict[str, object]]:
                return restored, note

            return self.mutate(environment_id, change, verb=verb)
        return self._transaction(
            environment_id,
            "create",
            verb=verb,
            idempotency_key=None,
            payload=None,
            expected_generation=None,
            change=None,
            initial=validated(restored, environment_id),
            create_result=note,
        )

    def record(
        self,
        environment_id: str,
        verb: str,
        result: dict[str, Any],
        *,
        outcome: Literal["ok", "error"] = "ok",
        environ: Mapping[str, str] | None = None,
    ) -> AuditEvent:
        """Append one ``done`` event for an action that changes no state document.

        ``--skip-preflight``, ``--override-policy`` and ``up``/``destroy`` are decisions an
        auditor must see even though the state itself did not move.
        """
        environment_id = validate_environment_id(environment_id)
        event = AuditEvent(
            time=now(),
            op_id=new_ulid(),
            principal=current_principal(os.environ if environ is None else environ),
            verb=verb,
            environment_id=environment_id,
            phase="done",
            decision="allow",
            outcome=outcome,
            result=result,
        )
        self._append_record(environment_id, event)
        return event

    def _append_record(self, environment_id: str, event: AuditEvent) -> None:
        """Append an out-of-transaction event (a store with crash recovery runs it first)."""
        self._audit(environment_id, event)

    def create(
        self,
        state: EnvironmentState,
        *,
        verb: str,
        idempotency_key: str | None = None,
        payload: object = None,
    ) -> MutationResult:
        environment_id = validate_environment_id(state.environment.environment_id)
        checked = validated(state, environment_id)
        return self._transaction(
            environment_id,
            "create",
            verb=verb,
            idempotency_key=idempotency_key,
            payload=payload,
            expected_generation=None,
            change=None,
            initial=checked,
        )

    def mutate(
        self,
        environment_id: str,
        change: Change,
        *,
        verb: str,
        expected_generation: int | None = None,
        idempotency_key: str | None = None,
        payload: object = None,
    ) -> MutationResult:
        return self._transaction(
            environment_id,
            "mutate",
            verb=verb,
            idempotency_key=idempotency_key,
            payload=payload,
            expected_generation=expected_generation,
            change=change,
        )

    def remove(
        self, environment_id: str, *, verb: str, idempotency_key: str | None = None
    ) -> MutationResult:
        return self._transaction(
            environment_id,
            "remove",
            verb=verb,
            idempotency_key=idempotency_key,
            payload={"remove": environment_id},
            expected_generation=None,
            change=None,
        )
