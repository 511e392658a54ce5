"""CloudWatch analysis against moto_server: ``put_metric_data`` feeds the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from greentic_iac.errors import GreenticError
from greentic_iac.operations.analysis import evaluate
from greentic_iac.spec.rollout import AnalysisStep, Rollout
from greentic_iac.targets.aws_ecs.metrics import (
    NAMESPACE,
    CloudWatchMetricSource,
    target_group_dimensions,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

STABLE = "01KAAAAAAAAAAAAAAAAAAAAAAA"
CANARY = "01KBBBBBBBBBBBBBBBBBBBBBBB"
DEPLOYMENT = "01KCCCCCCCCCCCCCCCCCCCCCCC"


def _client(endpoint: str):  # type: ignore[no-untyped-def]
    boto3 = pytest.importorskip("boto3")
    return boto3.client(
        "cloudwatch",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _dimensions(revision_id: str) -> list[dict[str, str]]:
    return [
        {
            "Name": "TargetGroup",
            "Value": f"targetgroup/{revision_id.lower()[:20]}/0123456789abcdef",
        },
        {"Name": "LoadBalancer", "Value": "app/greentic/0123456789abcdef"},
    ]


def _put(client, revision_id: str, at: datetime, requests: float, errors: float) -> None:  # type: ignore[no-untyped-def]
    data = [
        ("RequestCount", requests),
        ("HTTPCode_Target_5XX_Count", errors),
    ]
    client.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": _dimensions(revision_id),
                "Timestamp": at,
                "Value": value,
            }
            for name, value in data
        ],
    )


def test_put_metric_data_feeds_the_error_rate_check(moto_endpoint: str) -> None:
    client = _client(moto_endpoint)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    clock = {"now": start}
    source = CloudWatchMetricSource(client, _dimensions, clock=lambda: clock["now"])
    mark = source.snapshot([CANARY])
    for minute in range(3):
        at = start + timedelta(minutes=minute, seconds=10)
        _put(client, CANARY, at, requests=100, errors=20)
        _put(client, STABLE, at, requests=900, errors=0)
    clock["now"] = start + timedelta(minutes=4)
    windows = source.window(mark, [CANARY, STABLE])
    assert windows[CANARY].requests == 300 and windows[CANARY].errors == 60
    assert windows[STABLE].errors == 0
    now = clock["now"]
    rollout = Rollout.model_validate(
        {
            "rollout_id": "01KDDDDDDDDDDDDDDDDDDDDDDD",
            "definition": {
                "steps": [
                    {
                        "kind": "analysis",
                        "window_seconds": 180,
                        "checks": [{"metric": "error_rate", "max": 0.05, "min_requests": 50}],
                    }
                ]
            },
            "targets": [
                {
                    "deployment_id": DEPLOYMENT,
                    "stable_revision_id": STABLE,
                    "canary_revision_id": CANARY,
                }
            ],
            "created_at": now,
            "updated_at": now,
        }
    )
    step = rollout.definition.steps[0]
    assert isinstance(step, AnalysisStep)
    result = evaluate(rollout, step, windows, now)
    assert result.passed is False
    assert result.figures[0].value == pytest.approx(0.2) and result.figures[0].requests == 300


def test_a_target_groups_dimensions_come_from_elbv2(moto_endpoint: str) -> None:
    boto3 = pytest.importorskip("boto3")
    kwargs = {
        "endpoint_url": moto_endpoint,
        "region_name": "eu-west-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    ec2 = boto3.client("ec2", **kwargs)
    elbv2 = boto3.client("elbv2", **kwargs)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name="greentic-cw", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name="gt-prod-canary", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )
    dimensions = target_group_dimensions(elbv2, "gt-prod-canary")
    assert dimensions[0]["Name"] == "TargetGroup"
    assert dimensions[0]["Value"].startswith("targetgroup/gt-prod-canary/")
    assert dimensions[1] == {
        "Name": "LoadBalancer",
        "Value": balancer["LoadBalancerArn"].split(":loadbalancer/")[1],
    }
    with pytest.raises(GreenticError, match="gt-missing"):
        target_group_dimensions(elbv2, "gt-missing")
