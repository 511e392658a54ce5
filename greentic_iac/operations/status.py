"""An environment at a glance: deployments, revisions, what is applied, drift and rollouts.

A pure function of the state, the environment's audit events and whether an applied-plan
baseline exists: ``up`` records the generation it applied in its audit event, ``drift``
records its result, so the status of an environment reads the same from any machine
sharing the store. Event results written before those fields existed show as unknown.
Active rollouts are summarised by operations/rollout_view.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from greentic_iac.operations.rollout_view import rollout_summary
from greentic_iac.preview.names import revision_name
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.store.model import AuditEvent


def _last(events: Iterable[AuditEvent], verbs: set[str]) -> AuditEvent | None:
    found = None
    for event in events:
        if event.verb in verbs and event.phase == "done" and event.outcome == "ok":
            found = event
    return found


def _applied(state: EnvironmentState, events: list[AuditEvent], baseline: bool) -> dict[str, Any]:
    last = _last(events, {"up", "destroy"})
    if last is None or last.verb == "destroy":
        return {
            "state": "never applied" if last is None else "destroyed",
            "generation": None,
            "at": None if last is None else last.time.isoformat(),
            "behind": None,
            "baseline": baseline,
        }
    result = last.result if isinstance(last.result, dict) else {}
    generation = result.get("generation")
    if not isinstance(generation, int) or isinstance(generation, bool):
        generation = None
    behind = None if generation is None else state.generation - generation
    if generation is None:
        summary = "applied (generation not recorded)"
    elif behind == 0:
        summary = "up to date"
    else:
        summary = f"{behind} generation{'' if behind == 1 else 's'} behind"
    return {
        "state": summary,
        "generation": generation,
        "at": last.time.isoformat(),
        "behind": behind,
        "baseline": baseline,
    }


def _drift(events: list[AuditEvent]) -> dict[str, Any] | None:
    last = _last(events, {"drift"})
    if last is None:
        return None
    result = last.result if isinstance(last.result, dict) else {}
    return {"drift": result.get("drift"), "at": last.time.isoformat()}


def environment_status(
    state: EnvironmentState,
    events: list[AuditEvent],
    *,
    baseline: bool,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One environment's status (see the module docstring and docs/cli.md#status); ``now``
    (default: the clock) is what a rollout's time to its next step counts from."""
    deployer = state.environment.deployer()
    deployments = []
    for deployment in state.active_deployments():
        revisions = [
            {
                "revision_id": revision.revision_id,
                "name": revision_name(deployment.bundle_id, revision.sequence),
                "lifecycle": revision.lifecycle.value,
                "weight_bps": state.weight_of(revision),
            }
            for revision in state.revisions_of(deployment.deployment_id)
        ]
        split = state.traffic.get(deployment.deployment_id)
        deployments.append(
            {
                "deployment_id": deployment.deployment_id,
                "bundle_id": deployment.bundle_id,
                "route": f"{deployment.route_binding.host}{deployment.route_binding.path_prefix}",
                "split_generation": split.generation if split else None,
                "revisions": revisions,
            }
        )
    status: dict[str, Any] = {
        "environment_id": state.environment.environment_id,
        "target": str(deployer.kind.path) if deployer is not None else None,
        "generation": state.generation,
        "applied": _applied(state, events, baseline),
        "drift": _drift(events),
        "deployments": deployments,
        # Each active rollout's step, weights, last analysis and time to its next step.
        "rollouts": [
            rollout_summary(rollout, state, now or datetime.now(UTC))
            for rollout in state.active_rollouts()
        ],
    }
    return status
