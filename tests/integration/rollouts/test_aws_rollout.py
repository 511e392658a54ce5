"""``rollout run`` on an AWS ECS environment, every source real: moto_server answers the
canary's health (ECS DescribeServices, ELBv2 DescribeTargetHealth) and its figures
(CloudWatch GetMetricData over what ``put_metric_data`` recorded for its target group),
and each step is applied by ``up`` through the fake ``pulumi`` on PATH. The runner's clock
and sleep are injected: a two-minute analysis takes no real time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from greentic_iac.cli.commands import rollouts
from greentic_iac.spec import EnvironmentState
from greentic_iac.store import open_store
from greentic_iac.targets.aws_ecs import compile_plan
from greentic_iac.targets.aws_ecs.health import RevisionResources, revision_resources
from greentic_iac.targets.aws_ecs.metrics import NAMESPACE
from tests.integration.health.conftest import Cluster, create_in_moto
from tests.support.cli_runner import Outcome, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "aws-ecs" / "environment.json"
WINDOW_SECONDS = 120
STEPS = [
    {"kind": "set_weight", "weight_bps": 1000},
    {
        "kind": "analysis",
        "window_seconds": WINDOW_SECONDS,
        "checks": [{"metric": "error_rate", "max": 0.05, "min_requests": 50}],
    },
    {"kind": "set_weight", "weight_bps": 5000},
]


class FakeClock:
    """The runner's wall clock: sleeping moves it on, nothing really waits."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    # Half an hour ago, so CloudWatch takes the data points as recent history.
    fake = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30))
    monkeypatch.setattr(rollouts, "CLOCK", fake.clock)
    monkeypatch.setattr(rollouts, "SLEEP", fake.sleep)
    return fake


@dataclass
class AwsRollout:
    home: Path
    environment_id: str
    deployment_id: str
    stable: str
    canary: str

    def cli(self, *argv: str, answers: dict[str, Any] | None = None) -> Outcome:
        extra: list[str] = []
        if answers is not None:
            path = self.home / f"answers-{len(list(self.home.glob('answers-*')))}.json"
            path.write_text(json.dumps(answers))
            extra = ["--answers", str(path)]
        return run_cli(self.home, *argv, *extra)

    def ok(self, *argv: str, answers: dict[str, Any] | None = None) -> Any:
        outcome = self.cli(*argv, answers=answers)
        assert outcome.code == 0, (argv, outcome.stderr)
        return outcome.result

    def state(self) -> EnvironmentState:
        return open_store(home=self.home).load(self.environment_id)

    def canary_resources(self) -> RevisionResources:
        found = revision_resources(compile_plan(self.state()), self.canary)
        assert found is not None
        return found

    def start(self, steps: list[dict[str, Any]]) -> Outcome:
        target = {
            "deployment_id": self.deployment_id,
            "stable_revision_id": self.stable,
            "canary_revision_id": self.canary,
        }
        return self.cli(
            "rollout",
            "start",
            answers={
                "environment_id": self.environment_id,
                "targets": [target],
                "definition": {"steps": steps},
            },
        )


def _environment(home: Path, environment_id: str, monkeypatch: pytest.MonkeyPatch) -> AwsRollout:
    """The example ECS environment (its own id, so its ECS and ELBv2 names are its own)
    with a stable revision serving 100 % and a ready canary."""
    monkeypatch.setenv("GREENTIC_GRANT", environment_id)
    document = json.loads(EXAMPLE.read_text())
    document["environment_id"] = environment_id
    handle = AwsRollout(home, environment_id, "", "", "")
    handle.ok("env", "create", answers=document)
    handle.deployment_id = handle.ok(
        "bundles",
        "add",
        answers={
            "environment_id": environment_id,
            "bundle_id": "shop",
            "route_binding": {"host": "shop.example.com", "path_prefix": "/"},
        },
    )["deployment_id"]
    revisions = []
    for digest in ("a", "b"):
        revision = handle.ok(
            "revisions",
            "stage",
            answers={
                "environment_id": environment_id,
                "deployment_id": handle.deployment_id,
                "bundle_digest": "sha256:" + digest * 64,
            },
        )["revision_id"]
        # The warm itself is tested in tests/integration/health; here the rollout is.
        handle.ok(
            "revisions",
            "warm",
            "--skip-health-check",
            answers={"environment_id": environment_id, "revision_id": revision},
        )
        revisions.append(revision)
    handle.stable, handle.canary = revisions
    handle.ok(
        "traffic",
        "set",
        answers={
            "environment_id": environment_id,
            "deployment_id": handle.deployment_id,
            "entries": [{"revision_id": handle.stable, "weight_bps": 10000}],
        },
    )
    return handle


def _serve_canary(aws: boto3.Session, found: RevisionResources, *, healthy: bool) -> list[Any]:
    """What `up` made of the canary in the cloud: its service steady at one task, its target
    group behind a load balancer's listener, its one target registered (healthy) or not.
    Returns the target group's CloudWatch dimensions."""
    group_arn = create_in_moto(aws, found, desired=1, via_update=True)
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    [group] = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"]
    subnets = [
        ec2.create_subnet(
            VpcId=group["VpcId"], CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{zone}"
        )["Subnet"]["SubnetId"]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name=f"lb-{found.cluster[-20:]}", Subnets=subnets)[
        "LoadBalancers"
    ][0]
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
    )
    if healthy:
        elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": "10.0.1.10"}])
    return [
        {"Name": "TargetGroup", "Value": group_arn.split(":", 5)[-1]},
        {"Name": "LoadBalancer", "Value": balancer["LoadBalancerArn"].split(":loadbalancer/")[1]},
    ]


def _put(
    aws: boto3.Session, dimensions: list[Any], at: datetime, requests: float, errors: float
) -> None:
    aws.client("cloudwatch").put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Timestamp": at, "Value": value}
            for name, value in (("RequestCount", requests), ("HTTPCode_Target_5XX_Count", errors))
        ],
    )


def _ups(cluster: Cluster) -> int:
    return sum(1 for argv in cluster.pulumi.argvs() if argv[:1] == ["up"])


def _run(rollout: AwsRollout, *flags: str) -> Outcome:
    return rollout.cli("rollout", "run", rollout.environment_id, "--poll", "30", *flags)


def test_a_good_canary_is_promoted_on_cloudwatch_figures(
    home: Path,
    cluster: Cluster,
    aws: boto3.Session,
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rollout = _environment(home, "roll-good", monkeypatch)
    dimensions = _serve_canary(aws, rollout.canary_resources(), healthy=True)
    start = fake_clock.now
    for offset in (10, 70):
        _put(aws, dimensions, start + timedelta(seconds=offset), requests=100, errors=1)
    # Another target group's 5xx are not the canary's.
    other = [{"Name": "TargetGroup", "Value": "targetgroup/other/0123456789abcdef"}, dimensions[1]]
    _put(aws, other, start + timedelta(seconds=10), requests=100, errors=90)
    assert rollout.start(STEPS).code == 0

    outcome = _run(rollout)
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["rollout"]["status"] == "promoted"
    [figure] = outcome.result["rollout"]["last_analysis"]["figures"]
    assert figure["metric"] == "error_rate" and figure["requests"] == 200
    assert figure["value"] == pytest.approx(0.01) and figure["passed"]
    state = rollout.state()
    assert state.traffic[rollout.deployment_id].weight_of(rollout.canary) == 10000
    # The state found on start, 10 %, 50 %, the promotion: each applied once through `up`.
    assert _ups(cluster) == 4
    # The window was the analysis' two minutes on the injected clock, waited in polls.
    assert sum(fake_clock.sleeps) == pytest.approx(WINDOW_SECONDS)


def test_a_canary_with_5xx_above_the_threshold_is_rolled_back(
    home: Path,
    cluster: Cluster,
    aws: boto3.Session,
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rollout = _environment(home, "roll-bad", monkeypatch)
    dimensions = _serve_canary(aws, rollout.canary_resources(), healthy=True)
    for offset in (10, 70):
        _put(aws, dimensions, fake_clock.now + timedelta(seconds=offset), requests=100, errors=20)
    assert rollout.start(STEPS).code == 0

    outcome = _run(rollout)
    assert outcome.code == 0, outcome.stderr
    row = outcome.result["rollout"]
    assert row["status"] == "rolled_back"
    [figure] = row["last_analysis"]["figures"]
    assert figure["value"] == pytest.approx(0.2) and not figure["passed"]
    state = rollout.state()
    split = state.traffic[rollout.deployment_id]
    assert split.weight_of(rollout.stable) == 10000 and split.weight_of(rollout.canary) == 0
    # The state found on start, 10 %, the rollback: the 50 % step never ran.
    assert _ups(cluster) == 3


def test_a_canary_whose_targets_are_not_healthy_is_rolled_back_with_the_reason(
    home: Path,
    cluster: Cluster,
    aws: boto3.Session,
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rollout = _environment(home, "roll-sick", monkeypatch)
    found = rollout.canary_resources()
    _serve_canary(aws, found, healthy=False)
    assert rollout.start(STEPS).code == 0

    # Applied by the team's CI this time (the `up` path is the tests above): the health
    # source asks the cloud either way.
    outcome = _run(rollout, "--apply-command", "true")
    assert outcome.code == 0, outcome.stderr
    row = outcome.result["rollout"]
    assert row["status"] == "rolled_back"
    assert row["reason"] == (
        f"canary unhealthy: {rollout.canary} (0 of 1 targets healthy in {found.target_group})"
    )
    assert row["last_analysis"] is None  # rolled back before its analysis
    assert rollout.state().traffic[rollout.deployment_id].weight_of(rollout.stable) == 10000
    assert fake_clock.sleeps == []
    assert _ups(cluster) == 0
