"""The Kubernetes target's metric source (``Target.metrics``): PromQL over the series of the
traffic layer the environment's routing mode runs.

A cluster has no metrics API of its own for requests, so the built-in metrics (error rate,
request count, latency percentiles) are read from the Prometheus server the rollout names
(``definition.prometheus_url``, passed as the context's ``prometheus_url`` option, else the
deployer settings' ``prometheus_url``). Each
revision has its own Service (named in the compiled plan), and both traffic layers label
their series with it:

- ``nginx`` (ingress-nginx): ``nginx_ingress_controller_requests`` (a counter by
  ``namespace``, ``service`` and ``status``) and the
  ``nginx_ingress_controller_request_duration_seconds`` histogram.
- ``gateway`` (Gateway API on an Envoy data plane: Contour, Istio, Envoy Gateway, ...):
  ``envoy_cluster_upstream_rq_total``, ``envoy_cluster_upstream_rq_xx`` (by
  ``envoy_response_code_class``) and the ``envoy_cluster_upstream_rq_time`` histogram
  (milliseconds), selected by an upstream cluster name containing the Service's name (it
  carries the revision id, so it names one revision wherever the implementation puts it).

A window's start is a timestamp stored in the rollout; its figures are instant queries at
the window's end over a range as long as the window (``increase`` for counts, ``rate`` of
the buckets for ``histogram_quantile``). The ``alb`` mode's figures live in CloudWatch, not
Prometheus: it offers no built-in metrics (a ``prometheus`` check still works).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.plan.model import Plan
from greentic_iac.plan.target import MetricWindow, TargetContext
from greentic_iac.prometheus_api import PrometheusQuerySource
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets.k8s.health import revision_object

SERVICE_TYPE: Final = "kubernetes:core/v1:Service"
PROMETHEUS_URL_OPTION: Final = "prometheus_url"


@dataclass(frozen=True)
class Queries:
    """The PromQL of one revision's figures over a ``seconds``-long range."""

    requests: str
    errors: str
    latency: str  # ``{q}`` is the quantile, in seconds

    def quantile(self, q: float) -> str:
        return self.latency.replace("{q}", f"{q:g}")


def nginx_queries(namespace: str, service: str, seconds: int) -> Queries:
    selector = f'namespace="{namespace}",service="{service}"'
    requests = "nginx_ingress_controller_requests"
    buckets = "nginx_ingress_controller_request_duration_seconds_bucket"
    return Queries(
        requests=f"sum(increase({requests}{{{selector}}}[{seconds}s]))",
        errors=f'sum(increase({requests}{{{selector},status=~"5.."}}[{seconds}s]))',
        latency=(
            f"histogram_quantile({{q}}, sum by (le) (rate({buckets}{{{selector}}}[{seconds}s])))"
        ),
    )


def gateway_queries(namespace: str, service: str, seconds: int) -> Queries:
    del namespace  # the Service name carries the revision id: unique across namespaces
    selector = f'envoy_cluster_name=~".*{service}.*"'
    buckets = "envoy_cluster_upstream_rq_time_bucket"
    return Queries(
        requests=f"sum(increase(envoy_cluster_upstream_rq_total{{{selector}}}[{seconds}s]))",
        errors=(
            f'sum(increase(envoy_cluster_upstream_rq_xx{{{selector},envoy_response_code_class="5"}}'
            f"[{seconds}s]))"
        ),
        # Envoy times in milliseconds; the checks bound seconds.
        latency=(
            f"histogram_quantile({{q}}, sum by (le) (rate({buckets}{{{selector}}}[{seconds}s])))"
            " / 1000"
        ),
    )


QUERIES_BY_MODE: Final[dict[str, Callable[[str, str, int], Queries]]] = {
    "nginx": nginx_queries,
    "gateway": gateway_queries,
}


def revision_service(plan: Plan, revision_id: str) -> tuple[str, str] | None:
    """(namespace, name) of the Service the plan gives ``revision_id``."""
    return revision_object(plan, SERVICE_TYPE, revision_id)


@dataclass
class PrometheusWindow:
    """One revision's window: counts asked at once, each percentile only when a check
    needs it (and then once)."""

    client: PrometheusQuerySource
    queries: Queries
    at: datetime
    requests: float = 0.0
    errors: float = 0.0
    _quantiles: dict[float, float | None] = field(default_factory=dict)

    def load(self) -> PrometheusWindow:
        self.requests = self.client.query(self.queries.requests, self.at) or 0.0
        self.errors = self.client.query(self.queries.errors, self.at) or 0.0
        return self

    def quantile(self, q: float) -> float | None:
        if q not in self._quantiles:
            self._quantiles[q] = self.client.query(self.queries.quantile(q), self.at)
        return self._quantiles[q]


@dataclass
class PrometheusMetricSource:
    client: PrometheusQuerySource
    plan: Plan
    queries_for: Callable[[str, str, int], Queries]
    clock: Callable[[], datetime]

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]:
        del revision_ids  # one start time serves every revision
        return {"start": self.clock().isoformat()}

    def window(self, start: dict[str, Any], revision_ids: list[str]) -> dict[str, MetricWindow]:
        end = self.clock()
        seconds = max(1, round((end - datetime.fromisoformat(start["start"])).total_seconds()))
        windows: dict[str, MetricWindow] = {}
        for revision_id in revision_ids:
            found = revision_service(self.plan, revision_id)
            if found is None:
                raise GreenticError(
                    f"revision {revision_id}: the plan runs no Service for it to read metrics of"
                )
            queries = self.queries_for(*found, seconds)
            windows[revision_id] = PrometheusWindow(self.client, queries, end).load()
        return windows


def metric_source(state: EnvironmentState, context: TargetContext) -> PrometheusMetricSource:
    """``Target.metrics`` of ``greentic.deployer.k8s``: needs a Prometheus URL."""
    from greentic_iac.targets.k8s.compiler import compile_plan, settings_for

    settings = settings_for(state)
    url = context.options.get(PROMETHEUS_URL_OPTION) or settings.prometheus_url
    if not isinstance(url, str) or not url:
        raise InvalidInputError(
            "definition.prometheus_url: deployer greentic.deployer.k8s reads the built-in "
            "metrics from Prometheus; give the server's URL (or the deployer settings' "
            "prometheus_url)"
        )
    mode = settings.routing.mode
    queries_for = QUERIES_BY_MODE.get(mode)
    if queries_for is None:
        raise InvalidInputError(
            f"routing.mode: {mode} routing offers no built-in metrics in Prometheus; "
            "use prometheus checks with your own query"
        )
    return PrometheusMetricSource(
        PrometheusQuerySource(url, timeout=context.timeout),
        compile_plan(state),
        queries_for,
        context.now,
    )
