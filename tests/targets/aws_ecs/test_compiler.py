"""Compiler behaviour the goldens show but don't explain: names, lifecycle, limits, speed."""

from __future__ import annotations

import json

from greentic_iac.plan import Plan
from greentic_iac.targets.aws_ecs import compile_plan
from tests.targets.aws_ecs.cases import (
    CASES,
    base_settings,
    deployment_id,
    one_deployment,
    ready,
    revision_id,
    state_with,
)


def _by_type(plan: Plan, token: str) -> dict[str, dict[str, object]]:
    return {r.name: r.properties for r in plan.resources if r.type == token}


def test_staging_a_new_revision_never_renames_or_changes_existing_resources() -> None:
    before = compile_plan(state_with(base_settings(), one_deployment([ready(10_000)])))
    after = compile_plan(
        state_with(base_settings(), one_deployment([ready(10_000), ("staged", None, {})]))
    )
    old = {r.name: r for r in before.resources}
    new = {r.name: r for r in after.resources}
    assert set(old) < set(new)
    for name, resource in old.items():
        if name.startswith("rule-01"):
            # The weighted rule now also waits for the new target group; nothing else changes.
            assert new[name].properties == resource.properties
            continue
        assert new[name] == resource, name
    added = set(new) - set(old)
    assert all(revision_id(1, 2).lower() in name for name in added), added


def test_desired_count_follows_the_lifecycle_and_archived_is_absent() -> None:
    plan = compile_plan(CASES["every-lifecycle-state"]())
    services = _by_type(plan, "aws:ecs/service:Service")
    counts = {name.removeprefix("svc-"): props["desiredCount"] for name, props in services.items()}
    expected = {1: 0, 2: 1, 3: 1, 4: 1, 5: 0, 7: 0, 8: 0}  # staged, warming, ready, draining …
    assert counts == {revision_id(1, n).lower(): c for n, c in expected.items()}
    assert not any(revision_id(1, 6).lower() in r.name for r in plan.resources)
    gc = sorted(f.subject for f in plan.findings if f.code == "gc-candidate")
    assert gc == [revision_id(1, 5), revision_id(1, 7)]


def test_forward_action_lists_only_weighted_revisions() -> None:
    plan = compile_plan(CASES["every-lifecycle-state"]())
    rule = plan.resource(f"rule-{deployment_id(1).lower()}")
    actions = rule.properties["actions"]
    assert isinstance(actions, list)
    groups = actions[0]["forward"]["targetGroups"]
    assert [g["arn"]["$ref"]["resource"] for g in groups] == [f"tg-{revision_id(1, 3).lower()}"]


def test_six_weighted_revisions_are_refused_naming_the_limit() -> None:
    plan = compile_plan(CASES["six-weighted-revisions-refused"]())
    assert [f.code for f in plan.errors] == ["alb-weighted-target-groups"]
    assert "at most 5 weighted target groups" in plan.errors[0].message


def test_target_group_and_rule_limits_are_refused() -> None:
    # 21 deployments x 5 live revisions = 105 target groups and 126 listener rules.
    deployments = [
        {
            "n": n,
            "host": f"d{n}.example.com",
            "revisions": [ready(10_000)] + [("inactive", None, {})] * 4,
        }
        for n in range(1, 22)
    ]
    plan = compile_plan(state_with(base_settings(gc_keep_inactive=10), deployments))
    codes = {f.code: f.message for f in plan.errors}
    assert "archive inactive revisions" in codes["alb-target-groups"]
    assert "100 rules per listener" in codes["alb-listener-rules"]


def test_rule_priorities_are_unique_and_more_specific_routes_win() -> None:
    plan = compile_plan(CASES["two-deployments-host-and-path-routing"]())
    rules = _by_type(plan, "aws:lb/listenerRule:ListenerRule")
    priorities = [p["priority"] for p in rules.values()]
    assert len(set(priorities)) == len(priorities)
    root = rules[f"rule-{deployment_id(1).lower()}"]["priority"]
    billing = rules[f"rule-{deployment_id(2).lower()}"]["priority"]
    wildcard = rules[f"rule-{deployment_id(3).lower()}"]["priority"]
    assert billing < root < wildcard  # ALB evaluates lower priorities first
    pins = [p["priority"] for n, p in rules.items() if n.startswith("rule-pin-")]
    assert max(pins) < min(root, billing, wildcard)


def test_target_group_names_fit_and_are_stable() -> None:
    plan = compile_plan(CASES["five-weighted-revisions"]())
    names = [p["name"] for p in _by_type(plan, "aws:lb/targetGroup:TargetGroup").values()]
    assert all(isinstance(n, str) and len(n) <= 32 for n in names)
    assert len(set(names)) == len(names)
    again = compile_plan(CASES["five-weighted-revisions"]())
    assert plan.content_hash() == again.content_hash()


def test_secrets_are_references_only() -> None:
    plan = compile_plan(CASES["https-redirect-secrets"]())
    task = next(iter(_by_type(plan, "aws:ecs/taskDefinition:TaskDefinition").values()))
    containers = json.loads(str(task["containerDefinitions"]))
    assert {s["valueFrom"].split(":")[2] for s in containers[0]["secrets"]} == {
        "secretsmanager",
        "ssm",
    }
    policy = json.loads(str(plan.resource("execution-role-secrets").properties["policy"]))
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert actions == {"secretsmanager:GetSecretValue", "ssm:GetParameters"}


def test_every_taggable_resource_carries_the_context_tags() -> None:
    plan = compile_plan(CASES["https-redirect-secrets"]())
    untaggable = {
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/rolePolicy:RolePolicy",
    }
    for resource in plan.resources:
        if resource.type in untaggable:
            continue
        tags = resource.properties["tags"]
        assert tags["greentic:tenant"] == "acme", resource.name
        assert tags["greentic:environment"] == "prod-eu"
        assert tags["greentic:platform"] == "ecs"
        if resource.type == "aws:ecs/service:Service":
            assert tags["greentic:revision"] in resource.name.upper()


def test_fifty_deployments_get_one_service_per_revision() -> None:
    deployments = [
        {"n": n, "host": f"d{n}.example.com", "revisions": [ready(5_000), ready(5_000)]}
        for n in range(1, 51)
    ]
    plan = compile_plan(state_with(base_settings(), deployments))
    assert len(_by_type(plan, "aws:ecs/service:Service")) == 100


def test_per_revision_names_equal_logical_name() -> None:
    from greentic_iac.plan import logical_name

    plan = compile_plan(CASES["two-weighted-revisions"]())
    rev = revision_id(1, 2)
    for kind in ("tg", "task", "rule-pin", "svc"):
        plan.resource(logical_name(kind, rev))
    service = plan.resource(logical_name("svc", rev))
    assert service.properties["name"] == logical_name("prod-eu", rev, max_length=255)
