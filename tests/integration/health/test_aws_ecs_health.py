"""The ECS health source against moto_server: DescribeServices and DescribeTargetHealth of
the resources the compiled plan gives the revision; and ``revisions warm --apply`` on the
example ECS environment (the fake ``pulumi`` applies, moto_server plays the changed cloud)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from greentic_iac.cli.commands import cloud_warm
from greentic_iac.health.sources import health_source_for
from greentic_iac.spec import EnvironmentState
from greentic_iac.store import open_store
from greentic_iac.targets.aws_ecs import compile_plan
from greentic_iac.targets.aws_ecs.health import EcsHealthSource, revision_resources
from tests.integration.health.conftest import Cluster, create_in_moto
from tests.support.cli_runner import Outcome, run_cli
from tests.targets.aws_ecs.cases import base_settings, one_deployment, revision_id, state_with

pytestmark = pytest.mark.integration

REVISION = revision_id(1, 1)


def _state(environment_id: str) -> EnvironmentState:
    # Each test has its own environment id, so its ECS and ELBv2 names are its own.
    return state_with(
        base_settings(service={"image_repository": "example/bundles", "desired_count": 2}),
        one_deployment([("warming", None, {})]),
        environment_id=environment_id,
    )


def _source(state: EnvironmentState, tmp_path: Any) -> EcsHealthSource:
    source = health_source_for(state, greentic_home=tmp_path, timeout=5)
    assert isinstance(source, EcsHealthSource)
    return source


def revision_resources_of(state: EnvironmentState) -> Any:
    found = revision_resources(_source(state, "/nonexistent").plan, REVISION)
    assert found is not None
    return found


def _create(aws: boto3.Session, state: EnvironmentState, *, desired: int, via_update: bool) -> str:
    return create_in_moto(aws, revision_resources_of(state), desired=desired, via_update=via_update)


def test_the_plan_names_the_revisions_cluster_service_and_target_group(tmp_path: Any) -> None:
    state = _state("health-names")
    found = revision_resources_of(state)
    assert found.cluster == "greentic-health-names"
    assert found.service.startswith("health-names-")
    assert found.target_group is not None and len(found.target_group) <= 32
    plan = _source(state, tmp_path).plan
    service = next(r for r in plan.resources if r.type == "aws:ecs/service:Service")
    assert service.properties["desiredCount"] == 2  # warming runs at its configured capacity


def test_an_unapplied_revision_is_not_found(aws: boto3.Session, tmp_path: Any) -> None:
    state = _state("health-absent")
    found = revision_resources_of(state)
    aws.client("ecs").create_cluster(clusterName=found.cluster)
    health = _source(state, tmp_path).revision_health(REVISION)
    assert not health.healthy
    assert f"service {found.service} not found (apply the plan)" == health.message


def test_an_unapplied_stack_has_no_cluster_yet(aws: boto3.Session, tmp_path: Any) -> None:
    health = _source(_state("health-nocluster"), tmp_path).revision_health(REVISION)
    assert not health.healthy
    assert health.message == "cluster greentic-health-nocluster not found (apply the plan)"


def test_tasks_still_starting_are_not_healthy(aws: boto3.Session, tmp_path: Any) -> None:
    state = _state("health-starting")
    _create(aws, state, desired=2, via_update=False)  # moto: 0 running, rollout IN_PROGRESS
    health = _source(state, tmp_path).revision_health(REVISION)
    assert not health.healthy
    assert (health.ready_replicas, health.desired_replicas) == (0, 2)
    assert health.message == "0 of 2 tasks running"


def test_steady_tasks_wait_for_their_targets_to_be_healthy(
    aws: boto3.Session, tmp_path: Any
) -> None:
    state = _state("health-targets")
    group = _create(aws, state, desired=2, via_update=True)
    source = _source(state, tmp_path)
    elbv2 = aws.client("elbv2")

    health = source.revision_health(REVISION)
    assert not health.healthy
    assert health.message.startswith("0 of 2 targets healthy in ")

    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.10", "Port": 8080}])
    health = source.revision_health(REVISION)
    assert not health.healthy and health.ready_replicas == 1

    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.11", "Port": 8080}])
    health = source.revision_health(REVISION)
    assert health.healthy
    assert (health.ready_replicas, health.desired_replicas) == (2, 2)


def test_an_unreachable_endpoint_is_a_bounded_unhealthy_answer(
    aws: boto3.Session, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    started = time.monotonic()
    health = _source(_state("health-down"), tmp_path).revision_health(REVISION)
    assert time.monotonic() - started < 30
    assert not health.healthy
    assert health.message.startswith("DescribeServices: ")


EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "aws-ecs" / "environment.json"
ENVIRONMENT = "prod-eu"


def _cli(home: Path, *argv: str, answers: dict[str, object] | None = None) -> Outcome:
    extra: list[str] = []
    if answers is not None:
        path = home / f"answers-{len(list(home.glob('answers-*')))}.json"
        path.write_text(json.dumps(answers))
        extra = ["--answers", str(path)]
    return run_cli(home, *argv, *extra)


def test_apply_then_wait_until_the_service_and_its_targets_are_healthy(
    home: Path,
    cluster: Cluster,
    aws: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", ENVIRONMENT)
    assert _cli(home, "env", "create", "--answers", str(EXAMPLE)).code == 0
    deployment = _cli(
        home,
        "bundles",
        "add",
        answers={
            "environment_id": ENVIRONMENT,
            "bundle_id": "shop",
            "route_binding": {"host": "shop.example.com", "path_prefix": "/"},
        },
    ).result["deployment_id"]
    revision = _cli(
        home,
        "revisions",
        "stage",
        answers={
            "environment_id": ENVIRONMENT,
            "deployment_id": deployment,
            "bundle_digest": "sha256:" + "b" * 64,
        },
    ).result["revision_id"]

    # The cloud after the apply: the service is steady at the first poll, its target
    # registers at the second.
    polls: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        now[0] += seconds
        state = open_store(home=home).load(ENVIRONMENT)
        found = revision_resources(compile_plan(state), revision)
        assert found is not None
        if len(polls) == 1:
            create_in_moto(aws, found, desired=1, via_update=True)
        elif len(polls) == 2:
            [group] = aws.client("elbv2").describe_target_groups(Names=[found.target_group])[
                "TargetGroups"
            ]
            aws.client("elbv2").register_targets(
                TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": "10.0.1.10", "Port": 8080}]
            )

    monkeypatch.setattr(cloud_warm, "CLOCK", lambda: now[0])
    monkeypatch.setattr(cloud_warm, "SLEEP", sleep)

    outcome = _cli(
        home,
        "revisions",
        "warm",
        "--apply",
        "--skip-preflight",
        answers={"environment_id": ENVIRONMENT, "revision_id": revision},
    )
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["lifecycle"] == "ready"
    assert outcome.result["warm"]["health"] == {
        "healthy": True,
        "ready_replicas": 1,
        "desired_replicas": 1,
        "message": "",
        "waited_seconds": 2 * cloud_warm.POLL_SECONDS,
    }
    assert sum(1 for argv in cluster.pulumi.argvs() if argv[:1] == ["up"]) == 1
    assert "cluster greentic-prod-eu not found (apply the plan)" in outcome.stderr
    assert "0 of 1 targets healthy" in outcome.stderr
    assert len(polls) == 2
