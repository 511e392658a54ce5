"""The local target's health and metric sources (``Target.health``, ``Target.metrics``).

Health is the supervisor's per-process health check of the revision (``local status``);
metrics are the router's Prometheus exposition (``GET /metrics`` on the control port,
greentic_iac/local/metrics.py), read as cumulative counters per revision: an analysis
window is the difference between its start's counters (stored in the rollout) and now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from greentic_iac.plan.metrics import Counters, CounterSource
from greentic_iac.plan.target import RevisionHealth, TargetContext
from greentic_iac.spec.state import EnvironmentState


@dataclass(frozen=True)
class LocalHealthSource:
    env_dir: Path

    def revision_health(self, revision_id: str) -> RevisionHealth:
        from greentic_iac.local import runtime_status

        status = runtime_status(self.env_dir)
        if not status.get("running"):
            return RevisionHealth(revision_id, False, 0, 1, "local runtime is not running")
        for deployment in status.get("deployments", []):
            for revision in deployment["revisions"]:
                if revision["revision_id"] != revision_id:
                    continue
                process = revision["process"]
                healthy = bool(process and process.get("healthy"))
                return RevisionHealth(
                    revision_id,
                    healthy,
                    1 if healthy else 0,
                    1,
                    "" if healthy else "health check not passing (or process not running)",
                )
        return RevisionHealth(revision_id, False, 0, 1, "the runtime does not run this revision")

    def is_healthy(self, revision_id: str) -> bool:
        return self.revision_health(revision_id).healthy


def parse_router_metrics(text: str) -> dict[str, Counters]:
    """The router's exposition (greentic_iac/local/metrics.py) as counters per revision."""
    from prometheus_client.parser import text_string_to_metric_families

    from greentic_iac.local.metrics import DURATION_METRIC, REQUESTS_METRIC

    result: dict[str, Counters] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            revision = sample.labels.get("revision")
            if not revision:
                continue
            counters = result.setdefault(revision, Counters())
            if family.name == REQUESTS_METRIC and sample.name == REQUESTS_METRIC + "_total":
                counters.requests += sample.value
                if sample.labels.get("status_class") == "5xx":
                    counters.errors += sample.value
            elif family.name == DURATION_METRIC and sample.name == DURATION_METRIC + "_bucket":
                bound = float(sample.labels["le"])
                counters.buckets[bound] = counters.buckets.get(bound, 0.0) + sample.value
    return result


@dataclass
class RouterMetricSource(CounterSource):
    """The local router's /metrics, fetched by ``fetch`` (the runtime's control API)."""

    fetch: Callable[[], str]

    def counters(self, revision_ids: list[str]) -> dict[str, Counters]:
        every = parse_router_metrics(self.fetch())
        return {r: every.get(r, Counters()) for r in revision_ids}


def _env_dir(state: EnvironmentState, context: TargetContext) -> Path:
    from greentic_iac.local.sync import environment_dir

    return environment_dir(context.greentic_home, state.environment.environment_id)


def health_source(state: EnvironmentState, context: TargetContext) -> LocalHealthSource:
    """``Target.health`` of the local target (the control call has its own bound)."""
    return LocalHealthSource(_env_dir(state, context))


def metric_source(state: EnvironmentState, context: TargetContext) -> RouterMetricSource:
    """``Target.metrics`` of the local target: the running router's counters."""
    from greentic_iac.local import metrics_text

    env_dir = _env_dir(state, context)
    return RouterMetricSource(fetch=lambda: metrics_text(env_dir))
