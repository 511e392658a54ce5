"""The AWS allocation hook on its own: banded priorities chosen once, released values held
back until applied, the scope following the listener, quotas refusing only new owners."""

from __future__ import annotations

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.operations import rollout as ops
from greentic_iac.spec import EnvironmentState, RevisionLifecycle
from greentic_iac.spec.allocations import AllocationContext
from greentic_iac.spec.answers import RevisionStagePayload
from greentic_iac.targets.aws_ecs import compile_plan
from greentic_iac.targets.aws_ecs.allocation import PRIORITY, reconcile_allocations
from greentic_iac.targets.aws_ecs.naming import TARGET_GROUP_INPUTS
from greentic_iac.targets.aws_ecs.priorities import pinned_band, weighted_band
from tests.targets.aws_ecs.cases import LISTENER, base_settings, deployment_id, ready, state_with

DIGEST = "sha256:" + "ab" * 32


def _fresh(state: EnvironmentState, applied: int | None = None) -> EnvironmentState:
    return reconcile_allocations(state, state, AllocationContext(applied_generation=applied))


def _settled(revisions: list[tuple[str, int | None, dict[str, str]]]) -> EnvironmentState:
    state = state_with(
        base_settings(), [{"n": 1, "host": "shop.example.com", "revisions": revisions}]
    )
    state.allocation_scopes[PRIORITY] = "environment:prod-eu"  # a v2 state, not a v1 one
    return _fresh(state)


def _stage(state: EnvironmentState) -> tuple[EnvironmentState, str]:
    payload = RevisionStagePayload(
        environment_id="prod-eu", deployment_id=deployment_id(1), bundle_digest=DIGEST
    )
    new, result = ops.stage_revision(state, payload, DIGEST)
    return new, result["revision_id"]


def _priority(state: EnvironmentState, owner: str) -> int:
    return state.allocations[owner][PRIORITY]


def test_new_owners_get_the_lowest_free_value_of_their_band() -> None:
    state = _settled([ready(10_000), ("staged", None, {})])
    route = state.deployments[deployment_id(1)].route_binding
    pins = sorted(_priority(state, r) for r in state.revisions)
    assert pins == [pinned_band(route)[0], pinned_band(route)[0] + 1]
    assert _priority(state, deployment_id(1)) == weighted_band(route)[0]


def test_an_archived_owner_s_value_waits_for_the_applied_plan() -> None:
    state = _settled([ready(10_000), ("inactive", None, {})])
    old = next(r for r in state.revisions.values() if r.lifecycle == RevisionLifecycle.INACTIVE)
    freed = _priority(state, old.revision_id)
    archived, _ = ops.transition_revision(state, old.revision_id, RevisionLifecycle.ARCHIVED)
    archived = _fresh(archived)
    assert old.revision_id not in archived.allocations
    [released] = archived.released
    assert (released.value, released.released_at_generation) == (freed, state.generation + 1)
    archived.generation += 1
    staged, early = _stage(archived)
    assert _priority(_fresh(staged, applied=state.generation), early) != freed
    staged, late = _stage(archived)
    reused = _fresh(staged, applied=archived.generation)
    assert _priority(reused, late) == freed
    assert reused.released == []


def test_moving_to_a_shared_listener_reallocates_in_its_scope() -> None:
    state = _settled([ready(10_000)])
    before = {owner: values[PRIORITY] for owner, values in state.allocations.items()}
    binding = state.environment.deployer()
    assert binding is not None
    binding.settings = base_settings(
        network={
            "mode": "existing",
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1"],
        },
        load_balancer={
            "mode": "existing",
            "listener_arn": LISTENER,
            "security_group_id": "sg-0123456789abcdef0",
        },
    )
    moved = _fresh(state)
    assert moved.allocation_scopes[PRIORITY] == f"listener:{LISTENER}"
    assert {r.scope for r in moved.released} == {"environment:prod-eu"}
    assert {r.value for r in moved.released} == set(before.values())


def test_over_capacity_refuses_only_a_change_that_needs_capacity() -> None:
    deployments = [
        {
            "n": n,
            "host": f"d{n}.example.com",
            "revisions": [ready(10_000)] + [("inactive", None, {})] * 3,
        }
        for n in range(1, 26)
    ]  # 25 weighted + 100 pinned rules: over the 100-rule quota (a state from before v2)
    state = state_with(base_settings(gc_keep_inactive=10), deployments)
    _fresh(state)  # a change needing no new rule passes
    payload = RevisionStagePayload(
        environment_id="prod-eu", deployment_id=deployment_id(3), bundle_digest=DIGEST
    )
    staged, _ = ops.stage_revision(state, payload, DIGEST)
    with pytest.raises(InvalidInputError, match=r"quota ALB rules per listener \(100\)") as refused:
        _fresh(staged)
    assert f"deployment {deployment_id(3)}" in str(refused.value)
    assert "archive revision(s)" in str(refused.value)


def test_target_group_names_follow_their_replace_forcing_inputs() -> None:
    state = _settled([ready(10_000)])
    revision = next(iter(state.revisions))
    recorded = state.allocations[revision][TARGET_GROUP_INPUTS]

    def name(s: EnvironmentState) -> str:
        return next(
            r for r in compile_plan(s).resources if r.name == f"tg-{revision.lower()}"
        ).properties["name"]

    original = name(state)
    binding = state.environment.deployer()
    assert binding is not None
    binding.settings = base_settings(
        service={**binding.settings["service"], "container_port": 9090}
    )
    changed = _fresh(state)
    assert changed.allocations[revision][TARGET_GROUP_INPUTS] == recorded  # recorded once
    assert name(changed) != original
    binding.settings = base_settings(
        service={**binding.settings["service"], "container_port": 8080}
    )
    assert name(_fresh(changed)) == original
