"""``revisions warm`` on a cloud target (Kubernetes here): apply through ``up``, wait for the
health source with an injected clock, stay ``warming`` until healthy."""

from __future__ import annotations

import pytest

from greentic_iac.cli.commands import cloud_warm
from greentic_iac.store import open_store
from tests.integration.health.conftest import Cluster, K8sRevision

pytestmark = pytest.mark.integration


class FakeTime:
    """The wait's clock and sleep: sleeping advances the clock, nothing really pauses."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(cloud_warm, "CLOCK", fake.clock)
    monkeypatch.setattr(cloud_warm, "SLEEP", fake.sleep)
    return fake


def _pulumi_ups(cluster: Cluster) -> int:
    return sum(1 for argv in cluster.pulumi.argvs() if argv[:1] == ["up"])


def _audit_verbs(revision: K8sRevision) -> list[dict]:
    store = open_store(home=revision.home)
    return [e.model_dump(mode="json") for e in store.audit_events(revision.environment_id)]


def test_without_apply_it_stays_warming_until_a_later_warm_finds_it_healthy(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    cluster.play()  # nothing applied yet: NotFound
    first = k8s_revision.warm()
    assert first.code == 0, first.stderr
    assert first.result["lifecycle"] == "warming"
    assert "not found (apply the plan)" in first.result["warm"]["health"]["message"]
    assert "`revisions warm --apply`" in first.result["warm"]["hint"]
    assert k8s_revision.lifecycle() == "warming"
    assert _pulumi_ups(cluster) == 0 and fake_time.sleeps == []  # one check, no wait

    # The plan now runs the revision at its configured capacity (CI would apply it).
    from greentic_iac.targets.k8s import compile_plan

    state = open_store(home=k8s_revision.home).load(k8s_revision.environment_id)
    [deployment] = [
        r for r in compile_plan(state).resources if r.type == "kubernetes:apps/v1:Deployment"
    ]
    assert deployment.properties["spec"]["replicas"] >= 1

    cluster.play("progressing")
    again = k8s_revision.warm()
    assert again.code == 0 and again.result["lifecycle"] == "warming"
    assert again.result["warm"]["health"]["ready_replicas"] == 1

    cluster.play("available")
    done = k8s_revision.warm()
    assert done.code == 0, done.stderr
    assert done.result["lifecycle"] == "ready"
    assert done.result["warm"]["health"]["healthy"] is True
    assert k8s_revision.lifecycle() == "ready"
    assert _pulumi_ups(cluster) == 0


def test_apply_runs_up_then_waits_with_progress_until_available(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    cluster.play("progressing", "progressing", "available")
    outcome = k8s_revision.warm("--apply")
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["lifecycle"] == "ready"
    assert _pulumi_ups(cluster) == 1
    # up ran with the revision warming: the applied stack saw the scaled-up revision.
    ups = [e for e in _audit_verbs(k8s_revision) if e["verb"] == "up"]
    assert ups and ups[-1]["outcome"] == "ok"
    assert outcome.result["warm"]["apply"]["preflight"]["failed_checks"] == 0
    # Three checks, two polls in between, no real pause; progress only when the answer changes.
    assert len(cluster.deployment_gets()) == 3
    assert fake_time.sleeps == [cloud_warm.POLL_SECONDS] * 2
    assert outcome.result["warm"]["health"]["waited_seconds"] == 2 * cloud_warm.POLL_SECONDS
    progress = [line for line in outcome.stderr.splitlines() if "replicas available" in line]
    assert len(progress) == 1
    assert f"{k8s_revision.revision_id}: healthy, 2/2 ready" in outcome.stderr


def test_a_stuck_rollout_times_out_with_the_condition_message_and_stays_warming(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    cluster.play("progressing", "stuck")
    outcome = k8s_revision.warm("--apply", "--health-timeout", "60")
    assert outcome.code == 1
    [line] = outcome.stderr.strip().splitlines()[-1:]
    assert "not healthy within 60s after the apply" in line
    assert 'ProgressDeadlineExceeded: ReplicaSet "gt-shop-01j9rev-7d9f8b6c5d" has timed out' in line
    assert "stays warming" in line
    assert k8s_revision.lifecycle() == "warming"
    assert sum(fake_time.sleeps) == pytest.approx(60)

    # A later warm re-checks (no apply this time) and finishes once it is available.
    cluster.play("available")
    retried = k8s_revision.warm()
    assert retried.code == 0 and retried.result["lifecycle"] == "ready"
    assert _pulumi_ups(cluster) == 1


def test_the_policy_can_ask_for_the_apply(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    policy = k8s_revision.cli(
        "env",
        "policy",
        answers={"environment_id": k8s_revision.environment_id, "policy": {"warm_apply": True}},
    )
    assert policy.code == 0, policy.stderr
    cluster.play("available")
    outcome = k8s_revision.warm()
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["lifecycle"] == "ready"
    assert _pulumi_ups(cluster) == 1


def test_a_failed_apply_leaves_it_warming_without_a_health_wait(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    cluster.pulumi.scenario(up={"events": [], "stderr": "error: quota exceeded", "exit": 1})
    cluster.play("available")
    outcome = k8s_revision.warm("--apply")
    assert outcome.code == 1
    assert "quota exceeded" in outcome.stderr
    assert k8s_revision.lifecycle() == "warming"
    assert cluster.deployment_gets() == []


def test_skipping_the_health_check_is_audited(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    outcome = k8s_revision.warm("--skip-health-check")
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["lifecycle"] == "ready"
    assert outcome.result["warm"] == {"health_checked": False, "skip_health_check": True}
    assert cluster.deployment_gets() == []
    recorded = [
        e for e in _audit_verbs(k8s_revision) if (e.get("result") or {}).get("skip_health_check")
    ]
    assert recorded and recorded[0]["result"]["revision_id"] == k8s_revision.revision_id


def test_skip_and_apply_together_are_refused(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    outcome = k8s_revision.warm("--apply", "--skip-health-check")
    assert outcome.code == 2
    assert "--skip-health-check: can't be combined with --apply" in outcome.stderr
    assert _pulumi_ups(cluster) == 0
    assert k8s_revision.lifecycle() == "staged"


def test_a_bad_health_timeout_is_exit_2_naming_the_flag(
    k8s_revision: K8sRevision, cluster: Cluster, fake_time: FakeTime
) -> None:
    outcome = k8s_revision.warm("--apply", "--health-timeout", "0")
    assert outcome.code == 2
    assert "--health-timeout" in outcome.stderr
    assert _pulumi_ups(cluster) == 0
    assert k8s_revision.lifecycle() == "staged"  # refused before any step
