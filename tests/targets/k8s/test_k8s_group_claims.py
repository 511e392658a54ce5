"""Issue 16 on the k8s target: the quotas of an IngressGroup several environments share are
counted across them in a store claim record (real files under a temporary home)."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import EnvironmentState
from greentic_iac.spec.allocations import AllocationContext
from greentic_iac.store.claims import LocalClaims, read_claim
from greentic_iac.targets.k8s import reconcile_allocations, settings_for
from greentic_iac.targets.k8s.group_claims import (
    KIND,
    RULES_QUOTA,
    TARGET_GROUPS_QUOTA,
    group_scope,
    group_usage,
)
from tests.targets.k8s.k8s_cases import ALB, NGINX, DeploymentSpec, L, make_state

SCOPE = "ingress-group:zain-prod-eks/greentic-acme"


def _env(
    environment_id: str,
    deployments: int,
    *,
    first: int = 1,
    routing: dict[str, object] | None = None,
) -> EnvironmentState:
    specs = [
        DeploymentSpec(
            i,
            f"bot-{i}",
            f"bot{i}.example.com",
            [(L.READY, 5_000), (L.READY, 5_000), (L.READY, 0)],
        )
        for i in range(first, first + deployments)
    ]
    state = make_state(specs, routing=routing or ALB)
    environment = state.environment.model_copy(update={"environment_id": environment_id})
    return state.model_copy(update={"environment": environment})


def _hold(claims: LocalClaims, state: EnvironmentState) -> EnvironmentState:
    return reconcile_allocations(None, state, AllocationContext(claims=claims))


def test_usage_counts_one_rule_per_routed_deployment_and_one_group_per_weighted_revision() -> None:
    state = _env("a", 2)
    usage = group_usage(state)
    rules = [o for o, w in usage.items() if RULES_QUOTA in w.counts]
    groups = [o for o, w in usage.items() if TARGET_GROUPS_QUOTA in w.counts]
    assert sorted(rules) == sorted(state.deployments)
    # The third revision carries no weight: no target group of the contract (a pin gives way).
    assert len(groups) == 4 and all(state.weight_of(state.revisions[o]) > 0 for o in groups)
    assert group_scope(settings_for(state)) == SCOPE
    assert group_scope(settings_for(_env("a", 1, routing=NGINX))) is None
    assert group_scope(settings_for(_env("a", 1, routing={"mode": "alb"}))) is None


def test_three_environments_share_the_target_group_quota(tmp_path: Path) -> None:
    claims = LocalClaims(tmp_path, 5.0, {}.get)
    # 20 deployments x 2 weighted revisions each: 40 target groups per environment.
    a = _hold(claims, _env("env-a", 20, first=1))
    _hold(claims, _env("env-b", 20, first=21))
    assert a.allocation_scopes[KIND] == SCOPE
    with pytest.raises(InvalidInputError) as refused:
        _hold(claims, _env("env-c", 11, first=41))  # 102 > 100
    message = str(refused.value)
    assert "ALB target groups (100" in message
    assert "IngressGroup zain-prod-eks/greentic-acme" in message
    assert "102 needed across environments env-a, env-b, env-c" in message
    record = read_claim(tmp_path, SCOPE, KIND)
    assert sorted(record["holders"]) == ["env-a", "env-b"]  # the refusal wrote nothing
    _hold(claims, _env("env-c", 10, first=41))  # exactly 100 fits
    assert sorted(read_claim(tmp_path, SCOPE, KIND)["holders"]) == ["env-a", "env-b", "env-c"]


def test_leaving_the_group_frees_its_share_once_applied(tmp_path: Path) -> None:
    applied: dict[str, int | None] = {}
    claims = LocalClaims(tmp_path, 5.0, applied.get)
    joined = _hold(claims, _env("env-a", 30))
    moved = _env("env-a", 30, routing={**ALB, "group_name": "other"})
    moved.allocation_scopes.update(joined.allocation_scopes)
    left = _hold(claims, moved)
    assert left.allocation_scopes[KIND] == "ingress-group:zain-prod-eks/other"
    record = read_claim(tmp_path, SCOPE, KIND)
    assert record["holders"] == {} and len(record["released"]) == 90
    # Its Ingresses stay in the old group until the plan of generation 8 is applied.
    with pytest.raises(InvalidInputError, match="ALB target groups"):
        _hold(claims, _env("env-b", 50, first=31))
    applied["env-a"] = 8
    _hold(claims, _env("env-b", 50, first=31))


def test_without_store_claims_nothing_is_held(tmp_path: Path) -> None:
    state = reconcile_allocations(None, _env("a", 60), AllocationContext())
    assert KIND not in state.allocation_scopes


def test_invalid_settings_leave_the_claim_alone(tmp_path: Path) -> None:
    claims = LocalClaims(tmp_path, 5.0, {}.get)
    joined = _hold(claims, _env("env-a", 3))
    broken = _env("env-a", 3, routing={"mode": "alb", "group_name": "Not A Label"})
    broken.allocation_scopes.update(joined.allocation_scopes)
    assert _hold(claims, broken).allocation_scopes[KIND] == SCOPE
    assert len(read_claim(tmp_path, SCOPE, KIND)["holders"]["env-a"]) == 9
