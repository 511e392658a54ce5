"""Plan resources as AWS API requests: valid against botocore's service models, and replayed
into a real moto_server where the listener rule's weights are read back.

Neither botocore nor moto enforces the 5-target-group or 0-999 weight limits; the compiler
does (see test_alb_weights.py), so these tests only check shapes and round trips.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator

from greentic_iac.plan import Plan, is_ref
from greentic_iac.targets.aws_ecs import compile_plan
from tests.integration.aws_ecs import api_adapter as api
from tests.targets.aws_ecs.cases import CASES

pytestmark = pytest.mark.integration

_OPERATIONS: dict[str, tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "aws:lb/targetGroup:TargetGroup": ("elbv2", "CreateTargetGroup", api.create_target_group),
    "aws:lb/listenerRule:ListenerRule": ("elbv2", "CreateRule", api.create_rule),
    "aws:lb/listener:Listener": ("elbv2", "CreateListener", api.create_listener),
    "aws:ecs/taskDefinition:TaskDefinition": (
        "ecs",
        "RegisterTaskDefinition",
        api.register_task_definition,
    ),
    "aws:ecs/service:Service": ("ecs", "CreateService", api.create_service),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2",
        "AuthorizeSecurityGroupIngress",
        api.authorize_ingress,
    ),
}


_REPLAYED = {
    "aws:lb/listener:Listener",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listenerRule:ListenerRule",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:ecs/service:Service",
}


def _resolve(value: Any, outputs: Callable[[str, str], Any]) -> Any:
    if is_ref(value):
        return outputs(value["$ref"]["resource"], value["$ref"]["output"])
    if isinstance(value, dict):
        return {k: _resolve(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, outputs) for v in value]
    return value


def _fake_output(resource: str, output: str) -> str:
    if output == "id":
        return (
            f"sg-{abs(hash(resource)) % 10**17:017d}"
            if resource.startswith("sg")
            else (f"subnet-{abs(hash(resource)) % 10**17:017d}")
        )
    return f"arn:aws:elasticloadbalancing:eu-west-1:123456789012:{resource}/{output}"


@pytest.mark.parametrize("case", sorted(c for c in CASES if "refused" not in c))
def test_every_request_validates_against_the_service_model(case: str) -> None:
    plan = compile_plan(CASES[case]())
    session = boto3.Session(region_name="eu-west-1")
    validator = ParamValidator()
    checked = 0
    for resource in plan.resources:
        if resource.type == "aws:ec2/securityGroup:SecurityGroup":
            service, operation = "ec2", "CreateSecurityGroup"
            request = api.create_security_group(
                _resolve(resource.properties, _fake_output), resource.name
            )
        elif resource.type in _OPERATIONS:
            service, operation, build = _OPERATIONS[resource.type]
            request = build(_resolve(resource.properties, _fake_output))
        else:
            continue
        model = session.client(service).meta.service_model.operation_model(operation)
        report = validator.validate(request, model.input_shape)
        assert not report.has_errors(), f"{resource.name}: {report.generate_report()}"
        checked += 1
    assert checked >= 6


def _replay(plan: Plan, session: boto3.Session) -> dict[str, Any]:
    """Create the ALB and ECS parts in moto in dependency order; returns resolved outputs."""
    ec2 = session.client("ec2")
    elbv2 = session.client("elbv2")
    ecs = session.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    lb = elbv2.create_load_balancer(Name="replay", Subnets=subnets, SecurityGroups=[sg])
    values: dict[tuple[str, str], Any] = {
        ("vpc", "id"): vpc,
        ("alb", "arn"): lb["LoadBalancers"][0]["LoadBalancerArn"],
        ("sg-tasks", "id"): sg,
        ("sg-alb", "id"): sg,
        ("execution-role", "arn"): "arn:aws:iam::123456789012:role/replay",
        **{
            (name, "id"): subnets[i % 2]
            for i, name in enumerate(
                sorted(r.name for r in plan.resources if r.name.startswith("subnet-"))
            )
        },
    }
    cluster = ecs.create_cluster(clusterName="replay")["cluster"]["clusterArn"]
    values[("cluster", "arn")] = cluster

    def output(resource: str, name: str) -> Any:
        return values[(resource, name)]

    for resource in plan.dependency_order():
        if resource.type not in _REPLAYED:
            continue
        props = _resolve(resource.properties, output)
        if resource.type == "aws:lb/listener:Listener":
            arn = elbv2.create_listener(**api.create_listener(props))["Listeners"][0]["ListenerArn"]
            values[(resource.name, "arn")] = arn
        elif resource.type == "aws:lb/targetGroup:TargetGroup":
            created = elbv2.create_target_group(**api.create_target_group(props))
            values[(resource.name, "arn")] = created["TargetGroups"][0]["TargetGroupArn"]
        elif resource.type == "aws:lb/listenerRule:ListenerRule":
            created = elbv2.create_rule(**api.create_rule(props))
            values[(resource.name, "arn")] = created["Rules"][0]["RuleArn"]
        elif resource.type == "aws:ecs/taskDefinition:TaskDefinition":
            created = ecs.register_task_definition(**api.register_task_definition(props))
            values[(resource.name, "arn")] = created["taskDefinition"]["taskDefinitionArn"]
        elif resource.type == "aws:ecs/service:Service":
            created = ecs.create_service(**api.create_service(props))
            values[(resource.name, "arn")] = created["service"]["serviceArn"]
    return {f"{k[0]}.{k[1]}": v for k, v in values.items()}


def test_replay_into_moto_reads_the_weights_back(aws_session: boto3.Session) -> None:
    plan = compile_plan(CASES["five-weighted-revisions"]())
    values = _replay(plan, aws_session)
    elbv2 = aws_session.client("elbv2")
    rule_name = next(r.name for r in plan.resources if r.name.startswith("rule-01"))
    rule_arn = values[f"{rule_name}.arn"]
    rule = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"][0]
    forwarded = {
        g["TargetGroupArn"]: g["Weight"]
        for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
    }
    traffic = plan.traffic[0].revisions
    expected = {values[f"tg-{t.revision_id.lower()}.arn"]: t.applied_weight for t in traffic}
    assert forwarded == expected
    assert sorted(expected.values()) == [1, 2, 3, 6, 8]
    services = aws_session.client("ecs").list_services(cluster="replay")["serviceArns"]
    assert len(services) == 5
