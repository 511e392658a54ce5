"""The Kubernetes health source against a fake kubectl playing back recorded Deployment status."""

from __future__ import annotations

import time

import pytest

from greentic_iac.health.sources import health_source_for
from greentic_iac.store import open_store
from greentic_iac.targets.k8s.health import KubernetesHealthSource
from tests.integration.health.conftest import Cluster, K8sRevision

pytestmark = pytest.mark.integration


def _source(revision: K8sRevision, timeout: float = 5.0) -> KubernetesHealthSource:
    state = open_store(home=revision.home).load(revision.environment_id)
    source = health_source_for(state, greentic_home=revision.home, timeout=timeout)
    assert isinstance(source, KubernetesHealthSource)
    return source


def test_progressing_is_not_healthy_and_says_how_far_it_got(
    k8s_revision: K8sRevision, cluster: Cluster
) -> None:
    cluster.play("progressing")
    health = _source(k8s_revision).revision_health(k8s_revision.revision_id)
    assert not health.healthy
    assert (health.ready_replicas, health.desired_replicas) == (1, 2)
    assert "1 of 2 replicas available" in health.message
    assert "is progressing" in health.message


def test_available_is_healthy(k8s_revision: K8sRevision, cluster: Cluster) -> None:
    cluster.play("available")
    health = _source(k8s_revision).revision_health(k8s_revision.revision_id)
    assert health.healthy
    assert (health.ready_replicas, health.desired_replicas) == (2, 2)
    assert health.message == ""


def test_stuck_reports_the_progress_deadline_with_the_condition_message(
    k8s_revision: K8sRevision, cluster: Cluster
) -> None:
    cluster.play("stuck")
    health = _source(k8s_revision).revision_health(k8s_revision.revision_id)
    assert not health.healthy
    assert health.ready_replicas == 0
    assert health.message == (
        'ProgressDeadlineExceeded: ReplicaSet "gt-shop-01j9rev-7d9f8b6c5d" has timed out '
        "progressing."
    )


def test_an_absent_deployment_asks_for_an_apply(
    k8s_revision: K8sRevision, cluster: Cluster
) -> None:
    cluster.play()  # NotFound
    health = _source(k8s_revision).revision_health(k8s_revision.revision_id)
    assert not health.healthy
    assert "not found (apply the plan)" in health.message


def test_kubectl_is_asked_in_the_environments_context_and_namespace_about_the_plans_object(
    k8s_revision: K8sRevision, cluster: Cluster
) -> None:
    from greentic_iac.targets.k8s import compile_plan

    cluster.play("available")
    source = _source(k8s_revision, timeout=7)
    source.revision_health(k8s_revision.revision_id)
    state = open_store(home=k8s_revision.home).load(k8s_revision.environment_id)
    deployment = next(
        r
        for r in compile_plan(state).resources
        if r.type == "kubernetes:apps/v1:Deployment"
        and r.properties["metadata"]["labels"]["greentic.ai/revision"] == k8s_revision.revision_id
    )
    [argv] = cluster.deployment_gets()
    assert "--context=zain-prod-eks" in argv
    assert "--request-timeout=7s" in argv
    assert argv[argv.index("--namespace") + 1] == deployment.properties["metadata"]["namespace"]
    assert argv[-4:] == ["deployment", deployment.properties["metadata"]["name"], "-o", "json"]


def test_a_hanging_kubectl_is_bounded_and_answers_unhealthy(
    k8s_revision: K8sRevision, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.play("available")
    monkeypatch.setenv("FAKE_KUBECTL_MODE", "hang")
    started = time.monotonic()
    health = _source(k8s_revision, timeout=1).revision_health(k8s_revision.revision_id)
    assert time.monotonic() - started < 10
    assert not health.healthy
    assert "did not answer within" in health.message


def test_no_kubectl_on_path_is_an_unhealthy_answer_with_the_install_hint(
    k8s_revision: K8sRevision, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _source(k8s_revision)
    monkeypatch.setenv("PATH", str(k8s_revision.home))  # no kubectl there
    health = source.revision_health(k8s_revision.revision_id)
    assert not health.healthy
    assert health.message.startswith("kubectl: not found on PATH; install kubectl")
