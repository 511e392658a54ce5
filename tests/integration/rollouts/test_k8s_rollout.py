"""``rollout run`` on a Kubernetes environment: the canary's health from its Deployment's
status (the fake ``kubectl`` playing back recorded documents), its figures from PromQL
over the Gateway's Envoy series (a fake Prometheus HTTP API answering from a recorded
table), each step applied by ``up`` through the fake ``pulumi``; clock and sleep injected.
And the refusals: built-in metrics need a metric source, and the k8s one a Prometheus URL.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from greentic_iac import targets
from greentic_iac.cli.commands import rollouts
from greentic_iac.spec import EnvironmentState
from greentic_iac.store import open_store
from greentic_iac.targets.k8s import compile_plan
from greentic_iac.targets.k8s import target as k8s_target
from greentic_iac.targets.k8s.metrics import revision_service
from tests.integration.health.conftest import Cluster, K8sRevision
from tests.integration.rollouts.fake_prometheus import FakePrometheus, serving
from tests.support.cli_runner import Outcome

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

RECORDED = json.loads((Path(__file__).parent / "recorded" / "prometheus-gateway.json").read_text())
WINDOW_SECONDS = 120
ANALYSIS = {
    "kind": "analysis",
    "window_seconds": WINDOW_SECONDS,
    "checks": [
        {"metric": "error_rate", "max": 0.05, "min_requests": 50},
        {"metric": "latency_p99", "max": 0.5, "min_requests": 50},
    ],
}
STEPS = [
    {"kind": "set_weight", "weight_bps": 1000},
    ANALYSIS,
    {"kind": "set_weight", "weight_bps": 5000},
]


class FakeClock:
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
    fake = FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(rollouts, "CLOCK", fake.clock)
    monkeypatch.setattr(rollouts, "SLEEP", fake.sleep)
    return fake


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    with serving(FakePrometheus()) as fake:
        yield fake


def _state(revision: K8sRevision) -> EnvironmentState:
    return open_store(home=revision.home).load(revision.environment_id)


def _ok(revision: K8sRevision, *argv: str, answers: dict[str, Any] | None = None) -> Any:
    outcome = revision.cli(*argv, answers=answers)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.result


@dataclasses.dataclass
class Rollout:
    revision: K8sRevision
    stable: str
    canary: str

    def start(self, steps: list[dict[str, Any]], **definition: Any) -> Outcome:
        target = {
            "deployment_id": self.revision.deployment_id,
            "stable_revision_id": self.stable,
            "canary_revision_id": self.canary,
        }
        return self.revision.cli(
            "rollout",
            "start",
            answers={
                "environment_id": self.revision.environment_id,
                "targets": [target],
                "definition": {"steps": steps, **definition},
            },
        )

    def run(self, *flags: str) -> Outcome:
        return self.revision.cli(
            "rollout", "run", self.revision.environment_id, "--poll", "30", *flags
        )

    def weights(self) -> tuple[int, int]:
        split = _state(self.revision).traffic[self.revision.deployment_id]
        return split.weight_of(self.stable), split.weight_of(self.canary)


@pytest.fixture
def rollout(k8s_revision: K8sRevision, cluster: Cluster) -> Rollout:
    """The example Kubernetes environment (Gateway API routing): the fixture's revision
    serving 100 % as the stable one, a second one ready as the canary."""
    revision = k8s_revision
    stable = revision.revision_id
    canary = _ok(
        revision,
        "revisions",
        "stage",
        answers={
            "environment_id": revision.environment_id,
            "deployment_id": revision.deployment_id,
            "bundle_digest": "sha256:" + "c" * 64,
        },
    )["revision_id"]
    for revision_id in (stable, canary):
        _ok(
            revision,
            "revisions",
            "warm",
            "--skip-health-check",  # the warm's own health wait is tested in tests/integration/health
            answers={"environment_id": revision.environment_id, "revision_id": revision_id},
        )
    _ok(
        revision,
        "traffic",
        "set",
        answers={
            "environment_id": revision.environment_id,
            "deployment_id": revision.deployment_id,
            "entries": [{"revision_id": stable, "weight_bps": 10000}],
        },
    )
    return Rollout(revision, stable, canary)


def _record(prometheus: FakePrometheus, rollout: Rollout, table: str) -> None:
    found = revision_service(compile_plan(_state(rollout.revision)), rollout.canary)
    assert found is not None
    prometheus.names = {found[1]: "$canary"}
    prometheus.table = RECORDED[table]


def _ups(cluster: Cluster) -> int:
    return sum(1 for argv in cluster.pulumi.argvs() if argv[:1] == ["up"])


def test_a_good_canary_is_promoted_on_prometheus_figures(
    rollout: Rollout, cluster: Cluster, prometheus: FakePrometheus, fake_clock: FakeClock
) -> None:
    cluster.play("available")
    _record(prometheus, rollout, "good")
    assert rollout.start(STEPS, prometheus_url=prometheus.url).code == 0

    outcome = rollout.run()
    assert outcome.code == 0, outcome.stderr
    row = outcome.result["rollout"]
    assert row["status"] == "promoted"
    figures = {f["metric"]: f for f in row["last_analysis"]["figures"]}
    assert figures["error_rate"]["value"] == pytest.approx(2 / 400)
    assert figures["latency_p99"]["value"] == pytest.approx(0.12)
    assert {f["requests"] for f in figures.values()} == {400}
    assert rollout.weights() == (0, 10000)
    assert _ups(cluster) == 4  # found on start, 10 %, 50 %, promotion
    # Instant queries at the window's end on the runner's clock, asked once each.
    window_end = fake_clock.now.timestamp()
    assert sorted(query for query, _ in prometheus.asked) == sorted(RECORDED["good"])
    assert {float(at or 0) for _, at in prometheus.asked} == {window_end}
    assert sum(fake_clock.sleeps) == pytest.approx(WINDOW_SECONDS)
    # The canary's Deployment was asked about while it carried weight.
    assert cluster.deployment_gets()


def test_a_canary_above_the_thresholds_is_rolled_back(
    rollout: Rollout, cluster: Cluster, prometheus: FakePrometheus, fake_clock: FakeClock
) -> None:
    cluster.play("available")
    _record(prometheus, rollout, "bad")
    assert rollout.start(STEPS, prometheus_url=prometheus.url).code == 0

    outcome = rollout.run()
    assert outcome.code == 0, outcome.stderr
    row = outcome.result["rollout"]
    assert row["status"] == "rolled_back"
    failed = {f["metric"]: f["value"] for f in row["last_analysis"]["figures"] if not f["passed"]}
    assert failed == {"error_rate": pytest.approx(0.2), "latency_p99": pytest.approx(0.95)}
    assert rollout.weights() == (10000, 0)
    assert _ups(cluster) == 3  # found on start, 10 %, the rollback


def test_a_stuck_canary_is_rolled_back_with_the_deployments_condition(
    rollout: Rollout, cluster: Cluster, prometheus: FakePrometheus, fake_clock: FakeClock
) -> None:
    cluster.play("stuck")
    _record(prometheus, rollout, "good")
    assert rollout.start(STEPS, prometheus_url=prometheus.url).code == 0

    outcome = rollout.run("--apply-command", "true")
    assert outcome.code == 0, outcome.stderr
    row = outcome.result["rollout"]
    assert row["status"] == "rolled_back"
    assert row["reason"].startswith(
        f"canary unhealthy: {rollout.canary} (ProgressDeadlineExceeded: "
    )
    assert prometheus.asked == []  # rolled back before the analysis
    assert rollout.weights() == (10000, 0)


def test_built_in_metrics_on_kubernetes_need_a_prometheus_url(rollout: Rollout) -> None:
    before = _state(rollout.revision).generation
    outcome = rollout.start(STEPS)
    assert outcome.code == 2
    assert outcome.stderr.strip().splitlines()[-1] == (
        "error: definition.prometheus_url: deployer greentic.deployer.k8s reads the built-in "
        "metrics from Prometheus; give the server's URL (or the deployer settings' "
        "prometheus_url)"
    )
    state = _state(rollout.revision)
    assert state.generation == before and not state.rollouts


@pytest.fixture
def no_metric_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """The k8s deployer as a plug-in that offers health but no metric source, found through
    the real loader (its cache emptied)."""
    monkeypatch.setattr(k8s_target, "TARGET", dataclasses.replace(k8s_target.TARGET, metrics=None))
    monkeypatch.setattr(targets, "_TARGETS", {})


def test_a_target_without_a_metric_source_refuses_built_in_metrics_but_not_queries(
    rollout: Rollout, prometheus: FakePrometheus, no_metric_source: None
) -> None:
    refused = rollout.start(STEPS, prometheus_url=prometheus.url)
    assert refused.code == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        "error: definition.steps[1].checks[0].metric: error_rate is a built-in metric and "
        "deployer greentic.deployer.k8s offers no metrics source (use a prometheus check)"
    )
    assert not _state(rollout.revision).rollouts
    query = {"metric": "prometheus", "query": "up", "max": 1}
    accepted = rollout.start(
        [{"kind": "analysis", "window_seconds": 60, "checks": [query]}],
        prometheus_url=prometheus.url,
    )
    assert accepted.code == 0, accepted.stderr


def test_rollout_run_refuses_a_recorded_rollout_whose_target_lost_its_metric_source(
    rollout: Rollout,
    cluster: Cluster,
    prometheus: FakePrometheus,
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert rollout.start(STEPS, prometheus_url=prometheus.url).code == 0
    before = _state(rollout.revision).generation
    monkeypatch.setattr(k8s_target, "TARGET", dataclasses.replace(k8s_target.TARGET, metrics=None))
    monkeypatch.setattr(targets, "_TARGETS", {})
    outcome = rollout.run()
    assert outcome.code == 2
    assert "error_rate is a built-in metric and deployer greentic.deployer.k8s offers no " in (
        outcome.stderr
    )
    assert _state(rollout.revision).generation == before
    assert _ups(cluster) == 0 and rollout.weights() == (10000, 0)


def test_a_prometheus_check_without_the_servers_url_is_refused_at_start(
    rollout: Rollout,
) -> None:
    query = {"metric": "prometheus", "query": "up", "max": 1}
    steps = [{"kind": "set_weight", "weight_bps": 1000}, {**ANALYSIS, "checks": [query]}]
    outcome = rollout.start(steps)
    assert outcome.code == 2
    assert outcome.stderr.strip().splitlines()[-1] == (
        "error: definition.prometheus_url: definition.steps[1].checks[0].metric is a "
        "prometheus check; give the server's URL"
    )
    assert not _state(rollout.revision).rollouts
