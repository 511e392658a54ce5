"""One test per AWS defect of issue 16, each replayed into moto_server the way Pulumi applies
it. Each would fail with its fix reverted (named in the test's docstring)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from greentic_iac.operations import rollout
from greentic_iac.operations.planning import compile_environment
from greentic_iac.plan import Plan
from greentic_iac.targets.aws_ecs import allocation
from greentic_iac.targets.aws_ecs.priorities import PIN_SLOTS, _hash_int
from tests.lifetime.aws.operator import Operator, SharedListener, own_alb_settings

pytestmark = pytest.mark.integration

RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"


def _ok(outcome: Any) -> Any:
    assert outcome.code == 0, outcome.stderr
    return outcome.result


def _priorities(plan: Plan) -> dict[str, int]:
    return {r.name: r.properties["priority"] for r in plan.resources if r.type == RULE}


def _serving(operator: Operator, env: str, host: str, path: str = "/") -> tuple[str, str]:
    """A deployment with one ready revision at 100 %."""
    deployment = _ok(operator.add_bundle(env, host, path))["deployment_id"]
    revision = _ok(operator.stage(env, deployment, 1))["revision_id"]
    _ok(operator.transition(env, "warm", revision))
    _ok(operator.traffic(env, deployment, {revision: 10_000}))
    return deployment, revision


def _colliding_revision_ids() -> tuple[str, str]:
    """Two revision ids whose v1 pinned-rule hashes pick the same slot (v1 probed the
    second one to the next slot)."""
    seen: dict[int, str] = {}
    for n in itertools.count():
        candidate = f"01J9REV{n:019d}"
        slot = _hash_int(candidate) % PIN_SLOTS
        if slot in seen:
            return seen[slot], candidate
        seen[slot] = candidate
    raise AssertionError("unreachable")


def test_archiving_a_colliding_rule_moves_no_survivor(operator: Operator) -> None:
    """v1 recomputed priorities: with R1 archived, R2 moved into R1's slot before Pulumi
    deleted R1's rule (SetRulePriorities: PriorityInUse, every retry)."""
    first, second = _colliding_revision_ids()
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    deployment = _ok(operator.add_bundle("prod-eu", "shop.example.com", "/"))["deployment_id"]
    ids = iter([first, second])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollout, "new_ulid", lambda: next(ids))
        _ok(operator.stage("prod-eu", deployment, 1))
        _ok(operator.stage("prod-eu", deployment, 2))
    before = _priorities(operator.up("prod-eu"))
    survivor = f"rule-pin-{second.lower()}"
    _ok(operator.transition("prod-eu", "archive", first))
    after = _priorities(operator.up("prod-eu"))  # raises ReplayError on PriorityInUse
    assert after[survivor] == before[survivor]
    assert operator.stacks["prod-eu"].rule_priority(survivor) == before[survivor]


def test_staging_in_an_older_deployment_moves_no_rule_of_a_newer_one(operator: Operator) -> None:
    """v1 probed in compile order (older deployments first): a new revision there whose hash
    hit the slot of a newer deployment's pinned rule took it, and that rule moved."""
    newer_revision, older_revision = _colliding_revision_ids()
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    older, _ = _serving(operator, "prod-eu", "a.example.com")
    newer = _ok(operator.add_bundle("prod-eu", "b.example.com", "/"))["deployment_id"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollout, "new_ulid", lambda: newer_revision)
        _ok(operator.stage("prod-eu", newer, 1))
    before = _priorities(operator.up("prod-eu"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollout, "new_ulid", lambda: older_revision)
        _ok(operator.stage("prod-eu", older, 2))
    after = _priorities(operator.up("prod-eu"))
    assert {k: after[k] for k in before} == before


def test_container_port_change_replaces_target_groups_under_new_names(operator: Operator) -> None:
    """v1 kept gt-<env>-<revision> on replace: the create-before-delete collided
    (DuplicateTargetGroupName)."""
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    _serving(operator, "prod-eu", "shop.example.com")
    names = {r.properties["name"] for r in operator.up("prod-eu").resources if r.type == TG}
    _ok(operator.update_deployer("prod-eu", own_alb_settings(container_port=9090)))
    plan = operator.up("prod-eu")  # raises ReplayError on DuplicateTargetGroupName
    new_names = {r.properties["name"] for r in plan.resources if r.type == TG}
    assert new_names.isdisjoint(names)
    assert "delete-replaced" not in " ".join(operator.stacks["prod-eu"].steps)
    groups = operator.session.client("elbv2").describe_target_groups()["TargetGroups"]
    assert {g["TargetGroupName"] for g in groups} == new_names
    assert {g["Port"] for g in groups} == {9090}


def test_two_environments_on_one_listener_never_share_a_priority(operator: Operator) -> None:
    """v1 allocated per environment: two environments on one listener took one priority."""
    shared = SharedListener.create(operator.session)
    for env in ("shared-a", "shared-b"):
        _ok(operator.create_environment(env, shared.settings()))
        _serving(operator, env, f"{env}.example.com")
    a, b = (_priorities(operator.up(env)) for env in ("shared-a", "shared-b"))
    assert not set(a.values()) & set(b.values())
    rules = operator.session.client("elbv2").describe_rules(ListenerArn=shared.listener_arn)
    assert len([r for r in rules["Rules"] if not r["IsDefault"]]) == 4


@pytest.fixture
def small_quotas(monkeypatch: pytest.MonkeyPatch) -> int:
    """ALB quotas of 12 instead of 100: the same counting, a tenth of the verbs to reach it."""
    limit = 12
    monkeypatch.setattr(allocation, "QUOTAS", dict.fromkeys(allocation.QUOTAS, limit))
    monkeypatch.setattr(
        allocation,
        "QUOTA_TEXT",
        {k: v.replace("(100)", f"({limit})") for k, v in allocation.QUOTA_TEXT.items()},
    )
    return limit


def test_listener_quota_is_counted_across_environments(
    operator: Operator, small_quotas: int
) -> None:
    """v1 counted rules per environment: two environments could overfill one listener."""
    shared = SharedListener.create(operator.session)
    _ok(operator.create_environment("shared-a", shared.settings()))
    _ok(operator.create_environment("shared-b", shared.settings()))
    deployment = _ok(operator.add_bundle("shared-a", "a.example.com", "/"))["deployment_id"]
    for n in range(1, 6):
        _ok(operator.stage("shared-a", deployment, n))  # 1 + 5 rules
    other = _ok(operator.add_bundle("shared-b", "b.example.com", "/"))["deployment_id"]
    for n in range(1, 6):
        _ok(operator.stage("shared-b", other, n))  # 12 on the listener now
    operator.real_cli = True
    refused = operator.stage("shared-b", other, 6)
    assert refused.code == 2, refused.stderr
    assert f"ALB rules per listener ({small_quotas})" in refused.stderr
    assert other in refused.stderr and "archive" in refused.stderr
    assert refused.stderr.count("\n") == 1
    # shared-a alone is far from the quota, yet the listener is full for it too.
    assert operator.stage("shared-a", deployment, 6).code == 2


def test_a_new_vpc_behind_an_existing_listener_is_refused(operator: Operator) -> None:
    shared = SharedListener.create(operator.session)
    settings = shared.settings()
    settings["network"] = {"mode": "create"}
    refused = operator.create_environment("shared-a", settings)
    assert refused.code == 2
    assert "network.mode" in refused.stderr and "listener's VPC" in refused.stderr


def test_at_capacity_only_the_stage_is_refused(operator: Operator, small_quotas: int) -> None:
    """v1 refused every later plan of the environment once one deployment was at capacity."""
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    full = _ok(operator.add_bundle("prod-eu", "full.example.com", "/"))["deployment_id"]
    other, _ = _serving(operator, "prod-eu", "other.example.com")
    for n in range(1, small_quotas - 3):  # 2 weighted + 1 + 8 pinned rules = 11
        _ok(operator.stage("prod-eu", full, n))
    _ok(operator.stage("prod-eu", other, 2))  # 12
    operator.real_cli = True
    refused = operator.stage("prod-eu", full, small_quotas)
    operator.real_cli = False
    assert refused.code == 2
    assert f"quota ALB rules per listener ({small_quotas})" in refused.stderr
    assert f"deployment {full}" in refused.stderr and "archive revision(s)" in refused.stderr
    # Every other change still plans and applies.
    second = operator.state("prod-eu").revisions_of(other)[-1].revision_id
    _ok(operator.transition("prod-eu", "warm", second))
    _ok(operator.traffic("prod-eu", other, {second: 10_000}))
    operator.up("prod-eu")


def test_a_freed_priority_waits_for_the_plan_that_deletes_its_rule(operator: Operator) -> None:
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    deployment = _ok(operator.add_bundle("prod-eu", "shop.example.com", "/"))["deployment_id"]
    first = _ok(operator.stage("prod-eu", deployment, 1))["revision_id"]
    freed = _priorities(operator.up("prod-eu"))[f"rule-pin-{first.lower()}"]
    _ok(operator.transition("prod-eu", "archive", first))
    early = _ok(operator.stage("prod-eu", deployment, 2))["revision_id"]
    # Not applied yet: Pulumi would create the new rule before deleting the old one.
    assert operator.state("prod-eu").allocations[early]["aws.alb.listener-rule-priority"] != freed
    operator.up("prod-eu")
    late = _ok(operator.stage("prod-eu", deployment, 3))["revision_id"]
    assert operator.state("prod-eu").allocations[late]["aws.alb.listener-rule-priority"] == freed
    operator.up("prod-eu")


def test_exact_host_is_evaluated_before_a_wildcard_with_a_longer_path(operator: Operator) -> None:
    """v1 ordered by path depth first: *.example.com/api came before shop.example.com/."""
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    wildcard, _ = _serving(operator, "prod-eu", "*.example.com", "/api")
    exact, _ = _serving(operator, "prod-eu", "shop.example.com", "/")
    deeper, _ = _serving(operator, "prod-eu", "shop.example.com", "/api")
    priorities = _priorities(operator.up("prod-eu"))

    def weighted(deployment: str) -> int:
        return priorities[f"rule-{deployment.lower()}"]

    assert weighted(deeper) < weighted(exact) < weighted(wildcard)


def test_config_change_does_not_re_register_a_draining_revision(operator: Operator) -> None:
    """v1 wrote the current config into every task definition, draining ones included."""
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    deployment, old = _serving(operator, "prod-eu", "shop.example.com")
    new = _ok(operator.stage("prod-eu", deployment, 2))["revision_id"]
    _ok(operator.transition("prod-eu", "warm", new))
    _ok(operator.traffic("prod-eu", deployment, {new: 10_000, old: 0}))
    _ok(operator.transition("prod-eu", "drain", old))
    operator.up("prod-eu")
    _ok(operator.config_set("prod-eu", "LOG_LEVEL", "debug"))
    changes = operator.stacks["prod-eu"].apply(compile_environment(operator.state("prod-eu")))
    replaced = {c["name"] for c in changes if c["type"] == TASK}
    assert replaced == {f"task-{new.lower()}"}


@pytest.mark.parametrize(
    ("host", "path", "rule"),
    [
        ("localhost", "/", "at least one '.'"),
        ("shop.example.com", "/a(b", "path-pattern rule"),
    ],
)
def test_routes_alb_refuses_are_refused_at_bundles_add(
    operator: Operator, host: str, path: str, rule: str
) -> None:
    _ok(operator.create_environment("prod-eu", own_alb_settings()))
    refused = operator.add_bundle("prod-eu", host, path)
    assert refused.code == 2, refused.stderr
    assert "route_binding." in refused.stderr and rule in refused.stderr
    assert not operator.state("prod-eu").deployments


def test_a_vpc_too_small_for_alb_subnets_is_refused(operator: Operator) -> None:
    settings = own_alb_settings()
    settings["network"] = {"mode": "create", "cidr_block": "10.0.0.0/24"}
    refused = operator.create_environment("prod-eu", settings)
    assert refused.code == 2
    assert "cidr_block: 10.0.0.0/24" in refused.stderr and "/27" in refused.stderr


def test_an_environment_id_that_names_an_internal_alb_is_refused(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "internal-prod")
    refused = operator.create_environment("internal-prod", own_alb_settings())
    assert refused.code == 2, refused.stderr
    assert (
        "environment_id" in refused.stderr and "must not begin with 'internal-'" in refused.stderr
    )
