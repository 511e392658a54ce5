"""``revisions warm --apply`` on the example ECS environment: the fake ``pulumi`` applies,
moto_server plays the cloud that the apply changed, the ECS health source decides."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from greentic_iac.cli.commands import cloud_warm
from greentic_iac.health.aws_ecs import revision_resources
from greentic_iac.store import open_store
from greentic_iac.targets.aws_ecs import compile_plan
from tests.integration.health.conftest import Cluster, create_in_moto
from tests.support.cli_runner import Outcome, run_cli

pytestmark = pytest.mark.integration

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
