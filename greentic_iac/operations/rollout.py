"""Bundles, revisions and traffic: the rollout chain of seed 000 §04 ③-④."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from greentic_iac.errors import ConflictError, InvalidInputError, NotFoundError
from greentic_iac.spec import (
    BundleDeployment,
    DeploymentLifecycle,
    EnvironmentState,
    Revision,
    RevisionLifecycle,
    TrafficSplit,
    check_transition,
    new_ulid,
)
from greentic_iac.spec.answers import (
    BundleAddPayload,
    BundleRemovePayload,
    RevisionStagePayload,
    TrafficRollbackPayload,
    TrafficSetPayload,
)
from greentic_iac.spec.errors import problem_line
from greentic_iac.spec.traffic import TrafficEntry, entries_from_input

Result = tuple[EnvironmentState, dict[str, Any]]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _copy(state: EnvironmentState) -> EnvironmentState:
    return state.model_copy(deep=True)


def deployment_of(state: EnvironmentState, deployment_id: str) -> BundleDeployment:
    deployment = state.deployments.get(deployment_id)
    if deployment is None or deployment.lifecycle != DeploymentLifecycle.ACTIVE:
        raise NotFoundError(
            f"deployment_id: deployment {deployment_id} does not exist in environment "
            f"{state.environment.environment_id} (see `bundles list`)"
        )
    return deployment


def revision_of(state: EnvironmentState, revision_id: str) -> Revision:
    revision = state.revisions.get(revision_id)
    if revision is None:
        raise NotFoundError(
            f"revision_id: revision {revision_id} does not exist in environment "
            f"{state.environment.environment_id} (see `revisions list`)"
        )
    return revision


def deployment_view(deployment: BundleDeployment) -> dict[str, Any]:
    return deployment.to_json_dict()


def revision_view(state: EnvironmentState, revision: Revision) -> dict[str, Any]:
    deployment = state.deployments[revision.deployment_id]
    view = revision.to_json_dict()
    view["bundle_id"] = deployment.bundle_id
    view["name"] = f"{deployment.bundle_id}@{revision.sequence}"  # what answers files may say
    view["weight_bps"] = state.weight_of(revision)
    return view


def split_view(split: TrafficSplit) -> dict[str, Any]:
    return {
        "deployment_id": split.deployment_id,
        "entries": [e.to_json_dict() for e in split.entries],
        "generation": split.generation,
        "has_previous": split.has_previous,
    }


def add_bundle(state: EnvironmentState, payload: BundleAddPayload) -> Result:
    new = _copy(state)
    for existing in new.active_deployments():
        if existing.route_binding == payload.route_binding:
            raise InvalidInputError(
                f"route_binding: host {payload.route_binding.host!r} path "
                f"{payload.route_binding.path_prefix!r} is already bound to deployment "
                f"{existing.deployment_id} ({existing.bundle_id})"
            )
    deployment = BundleDeployment(
        deployment_id=new_ulid(),
        bundle_id=payload.bundle_id,
        customer_id=payload.customer_id or new.environment.tenant.tenant,
        route_binding=payload.route_binding,
        created_at=_now(),
        settings=payload.settings,
    )
    new.deployments[deployment.deployment_id] = deployment
    return new, {
        "deployment_id": deployment.deployment_id,
        "bundle_id": deployment.bundle_id,
        "customer_id": deployment.customer_id,
        "lifecycle": deployment.lifecycle.value,
        "route_binding": deployment.route_binding.to_json_dict(),
    }


def remove_bundle(state: EnvironmentState, payload: BundleRemovePayload) -> Result:
    new = _copy(state)
    deployment = deployment_of(new, payload.deployment_id)
    live = [
        r.revision_id
        for r in new.revisions_of(deployment.deployment_id)
        if r.lifecycle != RevisionLifecycle.ARCHIVED
    ]
    if live:
        raise InvalidInputError(
            f"deployment_id: deployment {deployment.deployment_id} still has "
            f"{len(live)} revision(s) that are not archived ({', '.join(live[:3])}); "
            "drain, deactivate and archive them first"
        )
    deployment.lifecycle = DeploymentLifecycle.REMOVED
    new.traffic.pop(deployment.deployment_id, None)
    new.deployment_config.pop(deployment.deployment_id, None)
    return new, {"deployment_id": deployment.deployment_id, "lifecycle": deployment.lifecycle.value}


def stage_revision(state: EnvironmentState, payload: RevisionStagePayload, digest: str) -> Result:
    """``digest`` is the payload's ``bundle_digest`` or the sha256 of ``bundle_path``."""
    new = _copy(state)
    deployment = deployment_of(new, payload.deployment_id)
    sequence = 1 + max((r.sequence for r in new.revisions_of(deployment.deployment_id)), default=0)
    now = _now()
    revision = Revision(
        revision_id=new_ulid(),
        deployment_id=deployment.deployment_id,
        bundle_digest=digest,
        sequence=sequence,
        created_at=now,
        updated_at=now,
        image=payload.image,
        command=payload.command,
        settings=payload.settings,
    )
    new.revisions[revision.revision_id] = revision
    return new, {
        "deployment_id": deployment.deployment_id,
        "revision_id": revision.revision_id,
        "bundle_id": deployment.bundle_id,
        "bundle_digest": revision.bundle_digest,
        "lifecycle": revision.lifecycle.value,
        "sequence": revision.sequence,
    }


def transition_revision(
    state: EnvironmentState, revision_id: str, target: RevisionLifecycle
) -> Result:
    new = _copy(state)
    revision = revision_of(new, revision_id)
    weight = new.weight_of(revision)
    verdict = check_transition(revision.lifecycle, target, weight_bps=weight)
    if not verdict and weight > 0 and target != RevisionLifecycle.READY:
        split = new.traffic[revision.deployment_id]
        held = ", ".join(f"{e.revision_id}={e.weight_bps}bps" for e in split.entries)
        raise InvalidInputError(
            f"revision_id: revision {revision_id} still carries {weight} bps "
            f"(split generation {split.generation}: {held}); "
            "move its weight with `traffic set` first"
        )
    if not verdict:
        raise InvalidInputError(f"revision_id: {verdict.reason}")
    if target == RevisionLifecycle.ARCHIVED or (
        weight == 0 and target in {RevisionLifecycle.INACTIVE}
    ):
        held_by = new.traffic.get(revision.deployment_id)
        if held_by is not None and any(e.revision_id == revision_id for e in held_by.entries):
            # A zero-weight entry for a revision that no longer runs is dropped from the split.
            remaining = [e for e in held_by.entries if e.revision_id != revision_id]
            new.traffic[revision.deployment_id] = held_by.model_copy(update={"entries": remaining})
    if target == RevisionLifecycle.DRAINING:
        new.frozen_config[revision_id] = new.config_of(revision)
    elif target in {RevisionLifecycle.ARCHIVED, RevisionLifecycle.WARMING, RevisionLifecycle.READY}:
        new.frozen_config.pop(revision_id, None)
    revision.lifecycle = target
    revision.updated_at = _now()
    return new, revision_view(new, revision)


def _check_policy(
    state: EnvironmentState,
    deployment_id: str,
    entries: list[TrafficEntry],
    override: bool,
    field_name: str = "entries",
) -> list[dict[str, Any]]:
    """The rises above ``max_step_bps`` that ``override`` lets through (refused without it)."""
    limit = state.policy.max_step_bps
    before = state.traffic.get(deployment_id)
    if limit is None or before is None:
        return []
    rises = []
    for entry in entries:
        rise = entry.weight_bps - before.weight_of(entry.revision_id)
        if rise <= limit:
            continue
        if not override:
            raise InvalidInputError(
                f"{field_name}: revision {entry.revision_id} would rise by {rise} bps, above the "
                f"environment's max_step_bps of {limit} (set override_policy to bypass; audited)"
            )
        rises.append(
            {"deployment_id": deployment_id, "revision_id": entry.revision_id, "rise_bps": rise}
        )
    return rises


def _override_record(
    state: EnvironmentState, rises: list[dict[str, Any]], reason: str | None
) -> dict[str, Any]:
    # Part of the verb's result, so the audit event that names the principal carries it.
    return {"max_step_bps": state.policy.max_step_bps, "violations": rises, "reason": reason}


def set_traffic(state: EnvironmentState, payload: TrafficSetPayload) -> Result:
    """All deployments in the payload change together or not at all."""
    new = _copy(state)
    results: list[dict[str, Any]] = []
    overridden: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, change in enumerate(payload.changes()):
        prefix = f"deployments[{index}]." if payload.deployments is not None else ""
        if change.deployment_id in seen:
            raise InvalidInputError(f"{prefix}deployment_id: deployment appears twice")
        seen.add(change.deployment_id)
        deployment = deployment_of(new, change.deployment_id)
        try:
            entries = entries_from_input(change.entries)
        except ValueError as exc:
            raise InvalidInputError(problem_line(f"{prefix}entries", str(exc))) from None
        for position, entry in enumerate(entries):
            revision = new.revisions.get(entry.revision_id)
            where = f"{prefix}entries[{position}].revision_id"
            if revision is None or revision.deployment_id != deployment.deployment_id:
                raise NotFoundError(
                    f"{where}: revision {entry.revision_id} is not a revision of deployment "
                    f"{deployment.deployment_id}"
                )
            if entry.weight_bps > 0 and revision.lifecycle != RevisionLifecycle.READY:
                raise InvalidInputError(
                    f"{where}: revision {entry.revision_id} is {revision.lifecycle.value}; "
                    "only ready revisions may take weight (run `revisions warm` first)"
                )
        overridden += _check_policy(
            new, deployment.deployment_id, entries, payload.override_policy, f"{prefix}entries"
        )
        before = new.traffic.get(deployment.deployment_id)
        split = (
            TrafficSplit(deployment_id=deployment.deployment_id, entries=entries)
            if before is None
            else before.replaced_by(entries)
        )
        new.traffic[deployment.deployment_id] = split
        results.append(split_view(split))
    result = results[0] if payload.deployments is None else {"deployments": results}
    if overridden:
        result = {
            **result,
            "policy_override": _override_record(state, overridden, payload.override_reason),
        }
    return new, result


def rollback_traffic(state: EnvironmentState, payload: TrafficRollbackPayload) -> Result:
    new = _copy(state)
    deployment = deployment_of(new, payload.deployment_id)
    split = new.traffic.get(deployment.deployment_id)
    if split is None or split.previous is None:
        raise NotFoundError(
            f"deployment_id: deployment {deployment.deployment_id} has no previous split "
            "to roll back to"
        )
    for entry in split.previous:
        revision = new.revisions.get(entry.revision_id)
        if entry.weight_bps > 0 and (
            revision is None or revision.lifecycle != RevisionLifecycle.READY
        ):
            raise ConflictError(
                f"deployment_id: the previous split gives weight to revision {entry.revision_id}, "
                f"which is {_rollback_hint(revision)}"
            )
    overridden = _check_policy(
        new, deployment.deployment_id, list(split.previous), payload.override_policy
    )
    rolled = TrafficSplit(
        deployment_id=split.deployment_id,
        entries=split.previous,
        generation=split.generation + 1,
        previous=None,
    )
    new.traffic[deployment.deployment_id] = rolled
    result = split_view(rolled)
    if overridden:
        result["policy_override"] = _override_record(state, overridden, payload.override_reason)
    return new, result


def _rollback_hint(revision: Revision | None) -> str:
    """What the revision is and the verb that makes it ready again (if any does)."""
    if revision is None:
        return "gone; roll forward with `traffic set` instead"
    hints = {
        RevisionLifecycle.DRAINING: "run `revisions warm` to cancel its drain (draining -> "
        "ready), then roll back",
        RevisionLifecycle.INACTIVE: "run `revisions warm` to bring it back (inactive -> "
        "warming -> ready), then roll back",
        RevisionLifecycle.WARMING: "let `revisions warm` finish (or run it again), then roll back",
        RevisionLifecycle.STAGED: "run `revisions warm` first, then roll back",
        RevisionLifecycle.ARCHIVED: "final; roll forward with `traffic set` instead",
    }
    return f"{revision.lifecycle.value}; {hints.get(revision.lifecycle, 'not ready')}"
