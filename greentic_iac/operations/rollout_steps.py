"""Pure state changes of a progressive rollout, one per store transaction.

Each change names the step it expects the rollout to be at, so a decision replayed by a
second (or a resumed, stale) runner is a conflict instead of a step applied twice. Weight
changes go through ``set_traffic``, the path of `traffic set`, so the environment's
max-step policy and the ready-only rule hold for a rollout too; a rollback and an abort
set the stable revision back to 100 % past the max-step policy (that is their point), and
the audit log names them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from greentic_iac.errors import ConflictError, InvalidInputError, NotFoundError
from greentic_iac.operations.rollout import deployment_of, revision_of, set_traffic
from greentic_iac.spec import EnvironmentState, RevisionLifecycle, new_ulid
from greentic_iac.spec.answers import (
    DeploymentEntries,
    RolloutActionPayload,
    RolloutStartPayload,
    TrafficSetPayload,
)
from greentic_iac.spec.rollout import (
    AnalysisResult,
    PauseStep,
    Rollout,
    RolloutStatus,
    SetWeightStep,
)
from greentic_iac.spec.traffic import TOTAL_BPS, TrafficEntryInput

Result = tuple[EnvironmentState, dict[str, Any]]
# Finished rollouts kept in the state for `rollout status --all` (the audit log keeps all).
KEEP_FINISHED = 20


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rollout_of(state: EnvironmentState, rollout_id: str | None) -> Rollout:
    """The named rollout, or the environment's only active one."""
    if rollout_id is not None:
        found = state.rollouts.get(rollout_id)
        if found is None:
            raise NotFoundError(
                f"rollout_id: rollout {rollout_id} does not exist in environment "
                f"{state.environment.environment_id} (see `rollout status`)"
            )
        return found
    active = state.active_rollouts()
    if not active:
        raise NotFoundError(
            f"rollout_id: environment {state.environment.environment_id} has no active "
            "rollout (`rollout status ENV --all` lists finished ones)"
        )
    if len(active) != 1:
        raise InvalidInputError(
            f"rollout_id: environment {state.environment.environment_id} has "
            f"{len(active)} active rollouts; name one"
        )
    return active[0]


def rollout_view(rollout: Rollout) -> dict[str, Any]:
    return rollout.to_json_dict()


def start_rollout(state: EnvironmentState, payload: RolloutStartPayload) -> Result:
    new = state.model_copy(deep=True)
    definition = payload.definition or new.policy.default_rollout
    if definition is None:
        raise InvalidInputError(
            "definition: give the steps, or set policy.default_rollout with `env policy`"
        )
    for index, target in enumerate(payload.targets):
        where = f"targets[{index}]"
        deployment_of(new, target.deployment_id)
        for field, revision_id in (
            ("stable_revision_id", target.stable_revision_id),
            ("canary_revision_id", target.canary_revision_id),
        ):
            revision = revision_of(new, revision_id)
            if revision.deployment_id != target.deployment_id:
                raise InvalidInputError(
                    f"{where}.{field}: revision {revision_id} is not a revision of deployment "
                    f"{target.deployment_id}"
                )
            if revision.lifecycle != RevisionLifecycle.READY:
                raise InvalidInputError(
                    f"{where}.{field}: revision {revision_id} is {revision.lifecycle.value}; "
                    "a rollout moves weight between ready revisions (run `revisions warm`)"
                )
        split = new.traffic.get(target.deployment_id)
        if split is None or split.weight_of(target.stable_revision_id) == 0:
            raise InvalidInputError(
                f"{where}.stable_revision_id: revision {target.stable_revision_id} carries "
                "no traffic; the stable revision is the one serving now"
            )
        for other in new.active_rollouts():
            if any(t.deployment_id == target.deployment_id for t in other.targets):
                raise ConflictError(
                    f"{where}.deployment_id: deployment {target.deployment_id} is already "
                    f"being rolled out by {other.rollout_id} (abort or finish it first)"
                )
    now = _now()
    rollout = Rollout(
        rollout_id=new_ulid(),
        definition=definition,
        targets=payload.targets,
        created_at=now,
        updated_at=now,
    )
    finished = sorted(k for k, r in new.rollouts.items() if r.status.finished)
    for old_id in finished[: max(0, len(finished) - KEEP_FINISHED + 1)]:
        del new.rollouts[old_id]  # ULIDs sort by creation: the oldest go first
    new.rollouts[rollout.rollout_id] = rollout
    return new, rollout_view(rollout)


def _expect(state: EnvironmentState, rollout_id: str, step_index: int) -> Rollout:
    rollout = rollout_of(state, rollout_id)
    if rollout.status.finished:
        raise ConflictError(f"rollout_id: rollout {rollout_id} is {rollout.status.value}")
    if rollout.step_index != step_index:
        raise ConflictError(
            f"rollout_id: rollout {rollout_id} is at step {rollout.step_index}, not "
            f"{step_index} (another runner moved it)"
        )
    return rollout


def _weights(
    new: EnvironmentState, rollout: Rollout, canary_bps: int, override: bool
) -> list[dict[str, Any]]:
    payload = TrafficSetPayload(
        environment_id=new.environment.environment_id,
        deployments=[
            DeploymentEntries(
                deployment_id=t.deployment_id,
                entries=[
                    TrafficEntryInput(
                        revision_id=t.stable_revision_id, weight_bps=TOTAL_BPS - canary_bps
                    ),
                    TrafficEntryInput(revision_id=t.canary_revision_id, weight_bps=canary_bps),
                ],
            )
            for t in rollout.targets
        ],
        override_policy=override,
    )
    changed, result = set_traffic(new, payload)
    new.traffic = changed.traffic
    splits: list[dict[str, Any]] = result["deployments"]
    return splits


def _stored(new: EnvironmentState, rollout: Rollout, **extra: Any) -> Result:
    rollout.updated_at = _now()
    new.rollouts[rollout.rollout_id] = rollout
    return new, {"rollout": rollout_view(rollout), **extra}


def claim(state: EnvironmentState, rollout_id: str) -> Result:
    """A runner starts (or resumes): audited, and refused without a grant, before it
    applies anything."""
    new = state.model_copy(deep=True)
    rollout = rollout_of(new, rollout_id).model_copy(deep=True)
    if rollout.status.finished:
        raise ConflictError(f"rollout_id: rollout {rollout_id} is {rollout.status.value}")
    return _stored(new, rollout)


def apply_weight_step(state: EnvironmentState, rollout_id: str, step_index: int) -> Result:
    """The current set_weight step, on every target at once; the rollout moves past it."""
    new = state.model_copy(deep=True)
    rollout = _expect(new, rollout_id, step_index)
    step = rollout.current_step
    if not isinstance(step, SetWeightStep):
        raise ConflictError(f"rollout_id: step {step_index} is not a set_weight step")
    splits = _weights(new, rollout, step.weight_bps, override=False)
    rollout.step_index += 1
    rollout.step_started_at = None
    rollout.window_baseline = None
    return _stored(new, rollout, splits=splits)


def begin_wait(
    state: EnvironmentState,
    rollout_id: str,
    step_index: int,
    now: datetime,
    baseline: dict[str, Any] | None,
) -> Result:
    """A pause or analysis starts its clock (and an analysis its counters)."""
    new = state.model_copy(deep=True)
    rollout = _expect(new, rollout_id, step_index)
    rollout.step_started_at = now
    rollout.window_baseline = baseline
    return _stored(new, rollout)


def end_pause(state: EnvironmentState, rollout_id: str, step_index: int) -> Result:
    new = state.model_copy(deep=True)
    rollout = _expect(new, rollout_id, step_index)
    if not isinstance(rollout.current_step, PauseStep):
        raise ConflictError(f"rollout_id: step {step_index} is not a pause")
    rollout.step_index += 1
    rollout.step_started_at = None
    return _stored(new, rollout)


def _roll_back(new: EnvironmentState, rollout: Rollout, status: RolloutStatus) -> Result:
    splits = _weights(new, rollout, 0, override=True)
    rollout.status = status
    rollout.step_started_at = None
    rollout.window_baseline = None
    return _stored(new, rollout, splits=splits)


def record_analysis(
    state: EnvironmentState, rollout_id: str, step_index: int, result: AnalysisResult
) -> Result:
    """A passed analysis moves on; a failed one sets every stable revision back to 100 %."""
    new = state.model_copy(deep=True)
    rollout = _expect(new, rollout_id, step_index)
    rollout.last_analysis = result
    if result.passed:
        rollout.step_index += 1
        rollout.step_started_at = None
        rollout.window_baseline = None
        return _stored(new, rollout)
    failed = [f for f in result.figures if not f.passed]
    rollout.reason = "analysis failed: " + "; ".join(
        f"{f.revision_id} {f.metric}: {f.reason}" for f in failed
    )
    return _roll_back(new, rollout, RolloutStatus.ROLLED_BACK)


def roll_back_unhealthy(
    state: EnvironmentState, rollout_id: str, step_index: int, reason: str
) -> Result:
    new = state.model_copy(deep=True)
    rollout = _expect(new, rollout_id, step_index)
    rollout.reason = reason
    return _roll_back(new, rollout, RolloutStatus.ROLLED_BACK)


def complete(state: EnvironmentState, rollout_id: str, step_index: int) -> Result:
    """After the last step: the canaries take 100 % (policy-checked) and it is promoted."""
    new = state.model_copy(deep=True)
    rollout = _expect(new, rollout_id, step_index)
    if rollout.current_step is not None:
        raise ConflictError(f"rollout_id: rollout {rollout_id} has steps left")
    splits = _weights(new, rollout, TOTAL_BPS, override=False)
    rollout.status = RolloutStatus.PROMOTED
    return _stored(new, rollout, splits=splits)


def pause_rollout(state: EnvironmentState, payload: RolloutActionPayload) -> Result:
    new = state.model_copy(deep=True)
    rollout = rollout_of(new, payload.rollout_id).model_copy(deep=True)
    if rollout.status != RolloutStatus.RUNNING:
        raise ConflictError(f"rollout_id: rollout {rollout.rollout_id} is {rollout.status.value}")
    rollout.status = RolloutStatus.PAUSED
    rollout.reason = payload.reason
    return _stored(new, rollout)


def resume_rollout(state: EnvironmentState, payload: RolloutActionPayload) -> Result:
    """Running again; a pause or analysis that was under way starts its window afresh."""
    new = state.model_copy(deep=True)
    rollout = rollout_of(new, payload.rollout_id).model_copy(deep=True)
    if rollout.status != RolloutStatus.PAUSED:
        raise ConflictError(f"rollout_id: rollout {rollout.rollout_id} is {rollout.status.value}")
    rollout.status = RolloutStatus.RUNNING
    rollout.step_started_at = None
    rollout.window_baseline = None
    rollout.reason = None
    return _stored(new, rollout)


def promote_rollout(state: EnvironmentState, payload: RolloutActionPayload) -> Result:
    """Release the current indefinite pause; with ``full``, canaries to 100 % at once."""
    new = state.model_copy(deep=True)
    rollout = rollout_of(new, payload.rollout_id).model_copy(deep=True)
    if rollout.status.finished:
        raise ConflictError(f"rollout_id: rollout {rollout.rollout_id} is {rollout.status.value}")
    if payload.full:
        splits = _weights(new, rollout, TOTAL_BPS, override=False)
        rollout.status = RolloutStatus.PROMOTED
        rollout.step_index = len(rollout.definition.steps)
        rollout.reason = payload.reason
        return _stored(new, rollout, splits=splits)
    step = rollout.current_step
    if not isinstance(step, PauseStep):
        raise InvalidInputError(
            f"rollout_id: rollout {rollout.rollout_id} is not at a pause (step "
            f"{rollout.step_index}); give full: true to promote it completely"
        )
    rollout.released_step = rollout.step_index
    return _stored(new, rollout)


def abort_rollout(state: EnvironmentState, payload: RolloutActionPayload) -> Result:
    new = state.model_copy(deep=True)
    rollout = rollout_of(new, payload.rollout_id).model_copy(deep=True)
    if rollout.status.finished:
        raise ConflictError(f"rollout_id: rollout {rollout.rollout_id} is {rollout.status.value}")
    rollout.reason = payload.reason or "aborted"
    return _roll_back(new, rollout, RolloutStatus.ABORTED)
