"""The backend-independent steps of a mutation, shared by the local and the S3 store.

Both stores run the same sequence (see docs/store.md): authorize, idempotency check, apply
the pure change, validate, compare-and-swap on the generation, intent record, backup,
write, done record. Only where the bytes go differs, so the decisions live here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from greentic_iac.errors import ConflictError, InvalidInputError
from greentic_iac.spec import EnvironmentState, format_validation_error
from greentic_iac.store.model import AuditEvent, Change, MutationResult

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
