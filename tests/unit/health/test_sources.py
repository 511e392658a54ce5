"""Health and metric sources are reached through the deployer's Target, and read status
documents right."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentic_iac.envpacks import EnvPackRegistry, manifest_of
from greentic_iac.envpacks.errors import ManifestError
from greentic_iac.envpacks.manifest import manifest_from_dict
from greentic_iac.health.sources import health_source_for
from greentic_iac.local import sources as local_sources
from greentic_iac.local.sources import LocalHealthSource
from greentic_iac.spec import EnvironmentState, PackDescriptor
from greentic_iac.targets import target_of
from greentic_iac.targets.aws_ecs import health as ecs_health
from greentic_iac.targets.aws_ecs import metrics as ecs_metrics
from greentic_iac.targets.aws_ecs.health import service_verdict
from greentic_iac.targets.k8s import health as k8s_health
from greentic_iac.targets.k8s import metrics as k8s_metrics
from greentic_iac.targets.k8s.health import deployment_health


@pytest.mark.parametrize(
    ("descriptor", "health", "metrics"),
    [
        (
            "greentic.deployer.local-process@0.1.0",
            local_sources.health_source,
            local_sources.metric_source,
        ),
        ("greentic.deployer.aws-ecs@1.0.0", ecs_health.health_source, ecs_metrics.metric_source),
        ("greentic.deployer.k8s@1.0.0", k8s_health.health_source, k8s_metrics.metric_source),
    ],
)
def test_every_builtin_deployer_target_offers_its_health_and_metric_sources(
    descriptor: str, health: object, metrics: object
) -> None:
    handler = EnvPackRegistry.discover().resolve(PackDescriptor.parse(descriptor))
    target = target_of(handler)
    assert target.health is health
    assert target.metrics is metrics
    # The sources are the Target's members now, not a separate manifest line.
    manifest = manifest_of(handler)
    assert manifest is not None and manifest.health is None


def test_the_local_environment_gets_the_supervisors_source(tmp_path: Path) -> None:
    from greentic_iac.spec.defaults import local_environment

    state = EnvironmentState(environment=local_environment())
    source = health_source_for(state, greentic_home=tmp_path)
    assert isinstance(source, LocalHealthSource)
    assert source.env_dir == tmp_path / "environments" / "local"
    # No runtime runs there: an unhealthy answer, not an exception.
    health = source.revision_health("01J9REV0000000000000000001")
    assert not health.healthy and "not running" in health.message


def test_only_a_deployer_may_name_a_health_source() -> None:
    with pytest.raises(ManifestError, match="health"):
        manifest_from_dict(
            {
                "descriptor_path": "acme.telemetry.noop",
                "slot": "telemetry",
                "supported_versions": "^1.0",
                "summary": "does nothing",
                "settings_schema": {"type": "object"},
                "handler": "greentic_iac.envpacks.handler:ManifestHandler",
                "health": "acme.health:source",
            },
            source="acme.telemetry.noop.yaml",
        )


def _deployment(**status: object) -> dict[str, object]:
    return {"metadata": {"generation": 3}, "spec": {"replicas": 2}, "status": status}


def test_a_deployment_the_controller_has_not_observed_is_not_healthy() -> None:
    document = _deployment(
        observedGeneration=2,
        availableReplicas=2,
        updatedReplicas=2,
        conditions=[{"type": "Available", "status": "True"}],
    )
    health = deployment_health("r1", document)
    assert not health.healthy and "not observed" in health.message


def test_a_deployment_scaled_to_zero_asks_for_an_apply() -> None:
    document = {"metadata": {"generation": 1}, "spec": {"replicas": 0}, "status": {}}
    health = deployment_health("r1", document)
    assert not health.healthy and "apply the plan" in health.message


def test_a_failed_ecs_rollout_names_its_reason() -> None:
    service = {
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 2,
        "deployments": [
            {
                "status": "PRIMARY",
                "rolloutState": "FAILED",
                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
            }
        ],
    }
    steady, _, _, why = service_verdict(service)
    assert not steady
    assert (
        why == "primary deployment FAILED: ECS deployment circuit breaker: tasks failed to start."
    )


def test_an_ecs_service_with_an_older_deployment_still_active_is_not_steady() -> None:
    service = {
        "status": "ACTIVE",
        "desiredCount": 1,
        "runningCount": 1,
        "deployments": [
            {"status": "PRIMARY", "rolloutState": "COMPLETED"},
            {"status": "ACTIVE", "rolloutState": "COMPLETED"},
        ],
    }
    assert service_verdict(service) == (False, 1, 1, "1 older deployment(s) still active")


def test_an_existing_cluster_is_asked_for_by_its_arn() -> None:
    from greentic_iac.targets.aws_ecs import compile_plan
    from greentic_iac.targets.aws_ecs.health import revision_resources
    from tests.targets.aws_ecs.cases import CASES, revision_id

    plan = compile_plan(CASES["existing-network-cluster-listener"]())
    found = revision_resources(plan, revision_id(1, 1))
    assert found is not None
    assert found.cluster == "arn:aws:ecs:eu-west-1:123456789012:cluster/shared"
    assert found.service.startswith("prod-eu-") and found.target_group is not None
