"""Fixtures for the health sources and cloud ``revisions warm``: a fake ``kubectl`` playing
back recorded Deployment status, the apply tests' fake ``pulumi``, and the example
Kubernetes environment with one staged revision."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.apply.conftest import FakePulumi, install_fake_pulumi
from tests.support.cli_runner import Outcome
from tests.support.seeding import AnswersCli, seed_deployment

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[2] / "examples" / "k8s" / "environment.json"
ENVIRONMENT = "zain-prod"


@dataclass
class Cluster:
    """The fake kubectl's playback and call log, and the fake pulumi beside it."""

    playback_path: Path
    log: Path
    pulumi: FakePulumi

    def play(self, *documents: str) -> None:
        """Answer ``get deployment`` with these recorded documents in turn (the last repeats)."""
        self.playback_path.write_text(json.dumps([f"{name}.json" for name in documents]))
        Path(f"{self.playback_path}.calls").unlink(missing_ok=True)

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def deployment_gets(self) -> list[list[str]]:
        return [c for c in self.calls() if "deployment" in c and "get" in c]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    pulumi = install_fake_pulumi(tmp_path, monkeypatch, HERE / "fake_kubectl.py")
    world = Cluster(tmp_path / "playback.json", pulumi.kubectl_log, pulumi)
    world.play()
    monkeypatch.setenv("FAKE_KUBECTL_PLAYBACK", str(world.playback_path))
    monkeypatch.setenv("FAKE_KUBECTL_RECORDED", str(HERE / "recorded"))
    return world


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "greentic-home"
    path.mkdir()
    return path


@dataclass
class K8sRevision:
    home: Path
    environment_id: str
    deployment_id: str
    revision_id: str

    def cli(self, *argv: str, answers: dict[str, Any] | None = None) -> Outcome:
        return AnswersCli(self.home, self.home.parent / "answers")(*argv, payload=answers)

    def warm(self, *flags: str, **fields: Any) -> Outcome:
        payload = {"environment_id": self.environment_id, "revision_id": self.revision_id}
        return self.cli("revisions", "warm", *flags, answers={**payload, **fields})

    def lifecycle(self) -> str:
        from greentic_iac.store import open_store

        state = open_store(home=self.home).load(self.environment_id)
        return state.revisions[self.revision_id].lifecycle.value


@pytest.fixture
def k8s_revision(home: Path, cluster: Cluster) -> K8sRevision:
    """The example Kubernetes environment with one deployment and one staged revision."""
    cli = AnswersCli(home, home.parent / "answers")
    cli.ok("env", "create", "--answers", str(EXAMPLE))
    seeded = seed_deployment(
        cli,
        ENVIRONMENT,
        bundle_id="shop",
        host="shop.acme.example.com",
        digests=["sha256:" + "a" * 64],
        warm=0,
    )
    handle = K8sRevision(home, ENVIRONMENT, seeded.deployment_id, seeded.revision_ids[0])
    return handle


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """boto3 (and the ECS health source's default session) pointed at moto_server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    return boto3.Session(region_name="eu-west-1")


def create_in_moto(aws: boto3.Session, found: Any, *, desired: int, via_update: bool) -> str:
    """Create what `up` would for a revision (``found``: its RevisionResources); returns the
    target group ARN. Created at 0 then updated, moto reports the service steady."""
    ecs, ec2, elbv2 = aws.client("ecs"), aws.client("ec2"), aws.client("elbv2")
    ecs.create_cluster(clusterName=found.cluster)
    task = ecs.register_task_definition(
        family=f"{found.service}-task",
        containerDefinitions=[{"name": "bundle", "image": "example/bundle:1", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert found.target_group is not None
    group = elbv2.create_target_group(
        Name=found.target_group, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_service(
        cluster=found.cluster,
        serviceName=found.service,
        taskDefinition=task,
        desiredCount=0 if via_update else desired,
    )
    if via_update:
        ecs.update_service(cluster=found.cluster, service=found.service, desiredCount=desired)
    return str(group)
