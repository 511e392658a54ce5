"""The resource diff and the replace-on-change table."""

from __future__ import annotations

import pytest

from greentic_iac.plan import PlanResource, ResourceOptions, ref
from greentic_iac.preview.diff import diff_resources, format_path, resource_change
from greentic_iac.preview.replace_rules import REPLACE_RULES, forces_replace, rule_for
from greentic_iac.preview.traffic import traffic_diff
from greentic_iac.targets.aws_ecs.compiler import RESOURCE_TYPES as ECS_TYPES
from tests.unit.preview.cases import plan_of, resource

TG = "aws:lb/targetGroup:TargetGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"


@pytest.mark.parametrize(
    ("type_", "path", "expected"),
    [
        (TG, ("port",), True),
        (TG, ("protocol",), True),
        (TG, ("vpcId",), True),
        (TG, ("targetType",), True),
        (TG, ("healthCheck", "path"), False),
        (TG, ("deregistrationDelay",), False),
        (TASK, ("cpu",), True),
        (TASK, ("containerDefinitions", 0, "image"), True),
        (TASK, ("tags", "greentic:team"), False),
        ("aws:lb/loadBalancer:LoadBalancer", ("name",), True),
        ("aws:lb/loadBalancer:LoadBalancer", ("internal",), True),
        ("aws:lb/loadBalancer:LoadBalancer", ("idleTimeout",), False),
        ("aws:lb/listenerRule:ListenerRule", ("actions", 0, "forward"), False),
        ("aws:lb/listenerRule:ListenerRule", ("listenerArn",), True),
        ("aws:ecs/service:Service", ("desiredCount",), False),
        ("aws:ecs/service:Service", ("name",), True),
        (DEPLOYMENT, ("metadata", "name"), True),
        (DEPLOYMENT, ("metadata", "namespace"), True),
        (DEPLOYMENT, ("metadata", "labels", "app"), False),
        (DEPLOYMENT, ("spec", "selector", "matchLabels", "app"), True),
        (DEPLOYMENT, ("spec", "replicas"), False),
        (SERVICE, ("spec", "clusterIP"), True),
        (SERVICE, ("spec", "ports", 0, "port"), False),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", ("metadata", "name"), True),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", ("spec", "rules"), False),
        ("kubernetes:example.com/v1:Unknown", ("metadata", "namespace"), True),
        ("aws:unknown/thing:Thing", ("anything",), False),
    ],
)
def test_replace_table(type_: str, path: tuple[str | int, ...], expected: bool) -> None:
    assert forces_replace(type_, path, {}, {}) is expected


def test_a_parent_change_replaces_only_when_the_rule_value_differs() -> None:
    selector = {"selector": {"matchLabels": {"app": "a"}}}
    same = forces_replace(DEPLOYMENT, ("spec",), {"spec": selector}, {"spec": {**selector, "x": 1}})
    other = forces_replace(
        DEPLOYMENT, ("spec",), {"spec": selector}, {"spec": {"selector": {"matchLabels": {}}}}
    )
    assert (same, other) == (False, True)


def test_every_type_the_ecs_compiler_emits_has_a_rule() -> None:
    assert set(ECS_TYPES) <= set(REPLACE_RULES)


def test_every_supported_type_token_has_a_rule() -> None:
    from greentic_iac.plan.type_tokens import SUPPORTED_TYPES

    assert set(SUPPORTED_TYPES) <= set(REPLACE_RULES)
    assert rule_for("kubernetes:core/v1:Namespace").paths == ("metadata.name", "metadata.namespace")


def test_paths_are_readable() -> None:
    path = ("actions", 0, "forward", "targetGroups", 1, "weight")
    assert format_path(path) == "actions[0].forward.targetGroups[1].weight"
    assert format_path(("metadata", "labels", "greentic.ai/rev")) == (
        'metadata.labels["greentic.ai/rev"]'
    )


def test_create_update_replace_delete_in_contract_order() -> None:
    before = plan_of(
        resource("b-upd", TG, port=80, deregistrationDelay=30),
        resource("c-rep", TG, port=80),
        resource("d-del", TG, port=80),
        resource("e-same", TG, port=80),
    )
    after = plan_of(
        resource("a-new", TG, port=80),
        resource("b-upd", TG, port=80, deregistrationDelay=10),
        resource("c-rep", TG, port=81),
        resource("e-same", TG, port=80),
    )
    changed, unchanged = diff_resources(before, after)
    assert [(c["action"], c["name"]) for c in changed] == [
        ("create", "a-new"),
        ("replace", "c-rep"),
        ("update", "b-upd"),
        ("delete", "d-del"),
    ]
    assert unchanged == 1
    assert changed[0]["changes"] == [
        {"path": "port", "before": None, "after": 80, "forces_replace": False}
    ]
    assert changed[1]["changes"] == [
        {"path": "port", "before": 80, "after": 81, "forces_replace": True}
    ]
    assert changed[3]["changes"][0]["before"] == 80


def test_refs_compare_whole_and_none_equals_missing() -> None:
    old = resource("x", TG, vpcId=ref("vpc", "id"), protocol=None)
    new = resource("x", TG, vpcId=ref("vpc2", "id"))
    change = resource_change(old, new)
    assert change is not None
    assert change["changes"] == [
        {"path": "vpcId", "before": ref("vpc", "id"), "after": ref("vpc2", "id"),
         "forces_replace": True}
    ]  # fmt: skip
    assert resource_change(old, resource("x", TG, vpcId=ref("vpc", "id"))) is None


def test_dependencies_and_options_alone_are_no_change() -> None:
    old = PlanResource(type=TG, name="x", properties={"port": 1})
    new = old.model_copy(update={"depends_on": ["y"], "options": ResourceOptions(protect=True)})
    assert resource_change(old, new) is None


def test_ignore_changes_hides_those_properties() -> None:
    old = resource("x", SERVICE, spec={"replicas": 1, "type": "ClusterIP"})
    new = PlanResource(
        type=SERVICE,
        name="x",
        properties={"spec": {"replicas": 3, "type": "ClusterIP"}},
        options=ResourceOptions(ignore_changes=["spec.replicas"]),
    )
    assert resource_change(old, new) is None


def test_type_or_parent_change_is_a_replace() -> None:
    change = resource_change(resource("x", TG, port=1), resource("x", TASK, port=1))
    assert change is not None and change["action"] == "replace"
    assert change["changes"][0]["path"] == "type"


def test_json_string_properties_diff_inside() -> None:
    old = resource("t", TASK, containerDefinitions='[{"image": "a", "cpu": 1}]')
    new = resource("t", TASK, containerDefinitions='[{"image": "b", "cpu": 1}]')
    change = resource_change(old, new)
    assert change is not None
    assert [c["path"] for c in change["changes"]] == ["containerDefinitions[0].image"]
    assert change["action"] == "replace"


def test_empty_baseline_makes_everything_a_create() -> None:
    after = plan_of(resource("a", TG, port=1), resource("b", TG, port=2))
    changed, unchanged = diff_resources(None, after)
    assert [c["action"] for c in changed] == ["create", "create"] and unchanged == 0
    assert traffic_diff(None, after) == []


def test_a_replacement_knocks_on_to_what_references_it() -> None:
    """VPC replaced -> its id is unknown -> the target group's vpcId forces a replacement
    -> the listener rule forwarding to the group's ARN updates; the unrelated bucket stays."""
    listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2"

    def build(cidr: str) -> list[PlanResource]:
        return [
            resource("vpc", "aws:ec2/vpc:Vpc", cidrBlock=cidr),
            resource("tg", TG, port=8080, vpcId=ref("vpc", "id")),
            resource(
                "rule",
                "aws:lb/listenerRule:ListenerRule",
                listenerArn=listener,
                actions=[{"type": "forward", "targetGroupArn": ref("tg", "arn")}],
            ),
            resource("bucket", "aws:s3/bucket:Bucket", bucket="artifacts"),
        ]

    changed, unchanged = diff_resources(
        plan_of(*build("10.0.0.0/16")), plan_of(*build("10.1.0.0/16"))
    )

    actions = {change["name"]: change["action"] for change in changed}
    assert actions == {"vpc": "replace", "tg": "replace", "rule": "update"}
    assert unchanged == 1
    [knock_on] = next(c for c in changed if c["name"] == "tg")["changes"]
    assert knock_on["path"] == "vpcId" and knock_on["forces_replace"] is True
    assert knock_on["after"] == "(known after replace of vpc)"
    [rule_change] = next(c for c in changed if c["name"] == "rule")["changes"]
    assert rule_change["path"] == "actions[0].targetGroupArn"
    assert rule_change["forces_replace"] is False
