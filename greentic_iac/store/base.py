"""The public mutation verbs both stores share; each store supplies its ``_transaction``.

create, mutate and remove differ only in how they call the transaction, and that mapping
is part of the contract, so it lives once here rather than in every store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Literal

from greentic_iac.errors import InvalidInputError, NotFoundError, StateCorruptError
from greentic_iac.spec import (
    EnvironmentState,
    RevisionLifecycle,
    new_ulid,
    validate_environment_id,
)
from greentic_iac.store.authz import Decision, PolicySource, authorize
from greentic_iac.store.codec import payload_digest
from greentic_iac.store.model import AuditEvent, BackupInfo, Change, MutationResult
from greentic_iac.store.principal import Principal, identify
from greentic_iac.store.transaction import (
    IdempotencyRecord,
    Mode,
    now,
    replay_or_conflict,
    transaction_event,
    validated,
)


class TransactionalStore(ABC):
    _environ: Mapping[str, str] | None

    @abstractmethod
    def policy_source(self) -> PolicySource:
        """Where this store's grants live: beside the state they guard, never per command."""

    def authorize(self, environment_id: str) -> tuple[Principal, Decision]:
        """Who is asking and whether this store's policy lets them mutate the environment."""
        principal = identify(self._environ)
        decision = authorize(environment_id, principal, self.policy_source(), self._environ)
        return principal, decision

    @staticmethod
    def decision_event(
        environment_id: str, verb: str, principal: Principal, decision: Decision
    ) -> AuditEvent:
        """The ``done`` event that records an authorization decision (allow or deny)."""
        event = transaction_event(
            environment_id, verb, principal, decision, idempotency_key=None, payload_sha256=None
        )
        return event.model_copy(
            update={
                "decision": "allow" if decision.allowed else "deny",
                "outcome": "ok" if decision.allowed else "error",
            }
        )

    @classmethod
    def denial_event(
        cls, environment_id: str, verb: str, principal: Principal, decision: Decision
    ) -> AuditEvent:
        event = cls.decision_event(environment_id, verb, principal, decision)
        return event.model_copy(update={"error": decision.reason})

    def require_grant(self, environment_id: str, verb: str) -> Decision:
        """The grant gate for an action outside a state transaction (``up``, ``destroy``,
        ``drift``, ``preview --engine pulumi``): audited either way, raises when denied."""
        environment_id = validate_environment_id(environment_id)
        principal, decision = self.authorize(environment_id)
        event = self.decision_event(environment_id, verb, principal, decision).model_copy(
            update={
                "result": {"authorized": decision.allowed, "reason": decision.reason},
                "error": None if decision.allowed else decision.reason,
            }
        )
        self._append_record(environment_id, event)
        if not decision.allowed:
            raise decision.error(environment_id)
        return decision

    def _next_generation_after_removal(self, environment_id: str) -> int:
        # A removed environment keeps its history; a re-created one continues its numbering
        # so backup and audit generations never repeat.
        known = [b.generation for b in self.backups(environment_id)]
        return max(known) + 1 if known else 0

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
    def backups(self, environment_id: str) -> list[BackupInfo]: ...

    @abstractmethod
    def load_backup(self, environment_id: str, generation: int) -> EnvironmentState: ...

    @abstractmethod
    def _idempotency_get(self, environment_id: str, key: str) -> IdempotencyRecord | None: ...

    def key_conflict(self, environment_id: str, key: str | None, payload: Any) -> None:
        """Refuse (``ConflictError``) a key already recorded for a different payload.

        A verb of several transactions checks this before its first step: otherwise the
        first step commits under its own record and only the last one finds the clash.
        """
        if key is None:
            return
        record = self._idempotency_get(environment_id, key)
        if record is not None:
            replay_or_conflict(environment_id, record, payload_digest(payload), None)

    @abstractmethod
    def _set_aside_damaged(self, environment_id: str, verb: str) -> str | None:
        """Move a damaged state document aside (audited); None if repaired meanwhile."""

    def restore_backup(
        self,
        environment_id: str,
        generation: int,
        *,
        verb: str = "env restore",
        override_policy: bool = False,
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

            def change(current: EnvironmentState) -> tuple[EnvironmentState, dict[str, object]]:
                merged, kept = keep_archived(restored, current, generation)
                result = {**note, "kept_archived": kept} if kept else dict(note)
                rises = max_step_violations(current, merged)
                if rises and not override_policy:
                    worst = rises[0]
                    raise InvalidInputError(
                        f"--generation: restoring backup {generation} raises revision "
                        f"{worst['revision_id']} by {worst['rise_bps']} bps, above the "
                        f"environment's max_step_bps of {current.policy.max_step_bps} "
                        "(pass --override-policy to restore anyway; audited)"
                    )
                if rises:
                    result["policy_override"] = {
                        "max_step_bps": current.policy.max_step_bps,
                        "violations": rises,
                        "reason": None,  # `env restore` takes no payload to give one
                    }
                return merged, result

            return self.mutate(environment_id, change, verb=verb)
        later = self._newest_backup_after(environment_id, generation)
        merged, kept = keep_archived(restored, later, generation) if later else (restored, [])
        return self._transaction(
            environment_id,
            "create",
            verb=verb,
            idempotency_key=None,
            payload=None,
            expected_generation=None,
            change=None,
            initial=validated(merged, environment_id),
            create_result={**note, "kept_archived": kept} if kept else note,
        )

    def _newest_backup_after(self, environment_id: str, generation: int) -> EnvironmentState | None:
        """The newest readable backup after ``generation`` (what a removed env last was)."""
        for info in sorted(self.backups(environment_id), key=lambda b: -b.generation):
            if info.generation <= generation:
                return None
            if info.verified:
                try:
                    return self.load_backup(environment_id, info.generation)
                except (NotFoundError, StateCorruptError):
                    continue
        return None

    def remove_damaged(self, environment_id: str, *, verb: str = "env remove") -> str | None:
        """Remove an environment whose state is damaged: the file is kept aside, audited.

        The one removal that needs no readable state (a corrupt generation 0 has no
        backup to restore). Returns where the file went; None if it reads fine again.
        """
        self._prepare()
        return self._set_aside_damaged(environment_id, verb)

    def record(
        self,
        environment_id: str,
        verb: str,
        result: dict[str, Any],
        *,
        outcome: Literal["ok", "error"] = "ok",
        environ: Mapping[str, str] | None = None,
        grant: str | None = None,
    ) -> AuditEvent:
        """Append one ``done`` event for an action that changes no state document.

        ``--skip-preflight``, ``--override-policy`` and ``up``/``destroy`` are decisions an
        auditor must see even though the state itself did not move.
        """
        environment_id = validate_environment_id(environment_id)
        principal = identify(self._environ if environ is None else environ)
        event = AuditEvent(
            time=now(),
            op_id=new_ulid(),
            principal=principal.name,
            claims=principal.claim_notes(),
            verb=verb,
            environment_id=environment_id,
            phase="done",
            decision="allow",
            outcome=outcome,
            result=result,
            grant=grant,
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
        self,
        environment_id: str,
        *,
        verb: str,
        idempotency_key: str | None = None,
        expected_generation: int | None = None,
        payload: object = None,
    ) -> MutationResult:
        return self._transaction(
            environment_id,
            "remove",
            verb=verb,
            idempotency_key=idempotency_key,
            payload={"remove": environment_id} if payload is None else payload,
            expected_generation=expected_generation,
            change=None,
        )


def keep_archived(
    restored: EnvironmentState, later: EnvironmentState, generation: int
) -> tuple[EnvironmentState, list[str]]:
    """``restored`` with every revision ``later`` archived still archived: archived is final.

    A restore brings back splits, bindings and config, never a revision's life. An archived
    revision the backup gives traffic to can't be restored around (refused); one it lists
    with zero weight is dropped from that split, as archiving it did.
    """
    merged = restored.model_copy(deep=True)
    kept = []
    for revision_id, revision in sorted(later.revisions.items()):
        if revision.lifecycle != RevisionLifecycle.ARCHIVED:
            continue
        if revision.deployment_id not in merged.deployments:
            continue  # the backup predates its deployment: nothing there to un-archive
        earlier = merged.revisions.get(revision_id)
        if earlier is not None and earlier.lifecycle == RevisionLifecycle.ARCHIVED:
            continue
        merged.revisions[revision_id] = revision.model_copy(deep=True)
        kept.append(revision_id)
    archived = {r for r, v in merged.revisions.items() if v.lifecycle == RevisionLifecycle.ARCHIVED}
    for deployment_id, split in list(merged.traffic.items()):
        for entry in split.entries:
            if entry.revision_id in archived and entry.weight_bps > 0:
                raise InvalidInputError(
                    f"--generation: backup {generation} gives {entry.weight_bps} bps to revision "
                    f"{entry.revision_id}, which has been archived since (an archived revision "
                    "is final); restore a later generation or roll forward with `traffic set`"
                )
        remaining = [e for e in split.entries if e.revision_id not in archived]
        if len(remaining) != len(split.entries):
            merged.traffic[deployment_id] = split.model_copy(update={"entries": remaining})
    return merged, kept


def max_step_violations(
    current: EnvironmentState, proposed: EnvironmentState
) -> list[dict[str, object]]:
    """Each revision whose weight would rise by more than the current ``max_step_bps``.

    The same gate ``traffic set`` and ``traffic rollback`` pass; a split that did not
    exist before has nothing to step from (as a first ``traffic set``).
    """
    limit = current.policy.max_step_bps
    if limit is None:
        return []
    rises: list[dict[str, object]] = []
    for deployment_id, split in sorted(proposed.traffic.items()):
        before = current.traffic.get(deployment_id)
        if before is None:
            continue
        for entry in split.entries:
            rise = entry.weight_bps - before.weight_of(entry.revision_id)
            if rise > limit:
                rises.append(
                    {
                        "deployment_id": deployment_id,
                        "revision_id": entry.revision_id,
                        "rise_bps": rise,
                    }
                )
    return rises
