"""The backend-independent steps of a mutation, shared by the local and the S3 store.

Both stores run the same sequence (see docs/store.md): authorize, idempotency check, apply
the pure change, validate, compare-and-swap on the generation, intent record, backup,
write, done record. Only where the bytes go differs, so the decisions live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from greentic_iac.errors import ConflictError, InvalidInputError, NotFoundError
from greentic_iac.spec import EnvironmentState, format_validation_error, new_ulid
from greentic_iac.store.authz import Decision
from greentic_iac.store.model import AuditEvent, Change, MutationResult
from greentic_iac.store.principal import Principal

Mode = Literal["create", "mutate", "remove"]

DEFAULT_KEEP_BACKUPS = 20
DEFAULT_KEEP_IDEMPOTENCY_KEYS = 1000


class IdempotencyRecord(BaseModel):
    """What a finished keyed mutation leaves behind so a retry can get the first answer."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    idempotency_key: str
    payload_sha256: str | None
    op_id: str
    verb: str
    result: dict[str, Any]
    generation_before: int
    generation_after: int
    time: datetime


def now() -> datetime:
    return datetime.now(UTC)


def validated(state: EnvironmentState, environment_id: str) -> EnvironmentState:
    """Re-validate a state through the spec model; a rule broken by a change is bad input."""
    try:
        checked = EnvironmentState.model_validate(state.to_json_dict())
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc)) from None
    if checked.environment.environment_id != environment_id:
        raise InvalidInputError(
            f"environment.environment_id: {checked.environment.environment_id!r} differs from "
            f"the environment being changed ({environment_id!r})"
        )
    return checked


def apply_change(
    current: EnvironmentState, change: Change
) -> tuple[EnvironmentState, dict[str, Any]]:
    """Run the change, validate the result, bump the generation.

    ``current`` must be the transaction's own freshly decoded copy: the change may edit it
    in place (no defensive deep copy, which cost more than the rest of a mutation), and
    when the change raises the copy is simply dropped.
    """
    environment_id = current.environment.environment_id
    generation = current.generation
    proposed, result = change(current)
    checked = validated(proposed, environment_id)
    checked.generation = generation + 1
    return checked, dict(result)


def transaction_event(
    environment_id: str,
    verb: str,
    principal: Principal,
    decision: Decision,
    *,
    idempotency_key: str | None,
    payload_sha256: str | None,
) -> AuditEvent:
    """The event each record of one transaction is copied from (denial, replay, intent)."""
    return AuditEvent(
        time=now(),
        op_id=new_ulid(),
        principal=principal.name,
        claims=principal.claim_notes(),
        verb=verb,
        environment_id=environment_id,
        phase="done",
        decision="allow",
        idempotency_key=idempotency_key,
        payload_sha256=payload_sha256,
        grant=decision.grant,
    )


@dataclass(frozen=True)
class PlannedWrite:
    """What a transaction is about to write: the new state (None: removed) and its result."""

    generation_before: int  # -1 when the environment is being created
    state: EnvironmentState | None
    result: dict[str, Any]

    @property
    def generation_after(self) -> int:
        return self.state.generation if self.state is not None else self.generation_before


def plan_write(
    environment_id: str,
    mode: Mode,
    current: EnvironmentState | None,
    *,
    initial: EnvironmentState | None,
    change: Change | None,
    expected_generation: int | None,
    create_result: dict[str, object] | None,
    next_generation: Callable[[], int],
) -> PlannedWrite:
    """The new state for ``mode`` over ``current``; a create starts at ``next_generation()``
    (a re-created environment continues its numbering, so generations never repeat)."""
    if mode == "create":
        if current is not None:
            raise ConflictError(f"environment {environment_id}: already exists")
        assert initial is not None
        created = initial.model_copy(update={"generation": next_generation()})
        result = dict(create_result or {"environment_id": environment_id, "created": True})
        return PlannedWrite(-1, created, result)
    if current is None:
        raise NotFoundError(f"environment {environment_id}: not found")
    # Before the change runs: a change may act outside the state (``secrets put`` writes
    # its backend), and a stale caller must not get that far.
    check_expected_generation(environment_id, expected_generation, current.generation)
    if mode == "mutate":
        assert change is not None
        return PlannedWrite(current.generation, *apply_change(current, change))
    return PlannedWrite(
        current.generation, None, {"environment_id": environment_id, "removed": True}
    )


def intent_event(base: AuditEvent, planned: PlannedWrite, state_sha256: str | None) -> AuditEvent:
    """The durable record written before any byte of the state changes."""
    return base.model_copy(
        update={
            "time": now(),
            "phase": "intent",
            "generation_before": planned.generation_before,
            "generation_after": planned.generation_after,
            "result": planned.result,
            "state_sha256": state_sha256,
        }
    )


def check_expected_generation(environment_id: str, expected: int | None, actual: int) -> None:
    if expected is not None and expected != actual:
        raise ConflictError(
            f"environment {environment_id}: stale generation: expected {expected}, "
            f"the store has {actual}; reload and retry"
        )


def replay_or_conflict(
    environment_id: str,
    record: IdempotencyRecord,
    payload_sha256: str | None,
    state: EnvironmentState | None,
) -> MutationResult:
    if record.payload_sha256 != payload_sha256:
        raise ConflictError(
            f"environment {environment_id}: idempotency key {record.idempotency_key!r} was "
            f"already used with a different payload (operation {record.op_id}, {record.verb})"
        )
    return MutationResult(
        result=record.result,
        generation_before=record.generation_before,
        generation_after=record.generation_after,
        replayed=True,
        state=state,
        op_id=record.op_id,
    )


def record_from_event(event: AuditEvent) -> IdempotencyRecord | None:
    if event.idempotency_key is None or event.result is None:
        return None
    return IdempotencyRecord(
        idempotency_key=event.idempotency_key,
        payload_sha256=event.payload_sha256,
        op_id=event.op_id,
        verb=event.verb,
        result=event.result,
        generation_before=event.generation_before if event.generation_before is not None else -1,
        generation_after=event.generation_after if event.generation_after is not None else -1,
        time=event.time,
    )


def done_event(
    intent: AuditEvent, *, error: str | None = None, recovered: bool = False
) -> AuditEvent:
    update: dict[str, Any] = {
        "phase": "done",
        "time": now(),
        "outcome": "error" if error else "ok",
        "recovered": recovered,
    }
    if error:
        update["error"] = error
        update["result"] = None
    return intent.model_copy(update=update)
