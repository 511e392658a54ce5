"""The metric sources' own logic, without a server: the Kubernetes target's PromQL per
routing mode (exactly what docs/rollouts.md documents), when it asks for a percentile, and
what each factory needs before a rollout may use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.plan.target import TargetContext
from greentic_iac.spec.lifecycle import RevisionLifecycle
from greentic_iac.targets.aws_ecs import metrics as ecs_metrics
from greentic_iac.targets.k8s import compile_plan
from greentic_iac.targets.k8s import metrics as k8s_metrics
from tests.targets.aws_ecs.cases import base_settings, one_deployment, revision_id, state_with
from tests.targets.k8s.k8s_cases import DeploymentSpec, make_state
from tests.targets.k8s.k8s_cases import revision_id as k8s_revision_id

READY = RevisionLifecycle.READY
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _k8s_state(routing: dict[str, str]):  # type: ignore[no-untyped-def]
    spec = DeploymentSpec(1, "shop", "shop.example.com", [(READY, 9000), (READY, 1000)])
    return make_state([spec], routing=routing)


def _context(**options: str) -> TargetContext:
    return TargetContext(greentic_home=Path("/nonexistent"), options=options, now=lambda: NOON)


def test_ingress_nginx_figures_are_read_by_namespace_and_service() -> None:
    queries = k8s_metrics.nginx_queries("shop-ns", "gt-shop-01jrev", 60)
    selector = 'namespace="shop-ns",service="gt-shop-01jrev"'
    assert (
        queries.requests == f"sum(increase(nginx_ingress_controller_requests{{{selector}}}[60s]))"
    )
    assert queries.errors == (
        f'sum(increase(nginx_ingress_controller_requests{{{selector},status=~"5.."}}[60s]))'
    )
    assert queries.quantile(0.99) == (
        "histogram_quantile(0.99, sum by (le) (rate("
        f"nginx_ingress_controller_request_duration_seconds_bucket{{{selector}}}[60s])))"
    )


def test_gateway_figures_are_envoy_upstream_series_in_seconds() -> None:
    queries = k8s_metrics.gateway_queries("shop-ns", "gt-shop-01jrev", 90)
    selector = 'envoy_cluster_name=~".*gt-shop-01jrev.*"'
    assert queries.requests == f"sum(increase(envoy_cluster_upstream_rq_total{{{selector}}}[90s]))"
    assert queries.errors == (
        f'sum(increase(envoy_cluster_upstream_rq_xx{{{selector},envoy_response_code_class="5"}}'
        "[90s]))"
    )
    assert queries.quantile(0.5) == (
        "histogram_quantile(0.5, sum by (le) (rate("
        f"envoy_cluster_upstream_rq_time_bucket{{{selector}}}[90s]))) / 1000"
    )


class RecordingClient:
    """In place of the HTTP client: answers every query with its own length, and keeps
    what it was asked (the HTTP side is tests/integration/rollouts/test_prometheus_api.py)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime | None]] = []

    def query(self, expression: str, at: datetime | None = None) -> float | None:
        self.asked.append((expression, at))
        return float(len(expression))


def test_the_nginx_source_reads_the_plans_service_and_asks_percentiles_only_when_checked() -> None:
    state = _k8s_state({"mode": "nginx"})
    source = k8s_metrics.metric_source(state, _context(prometheus_url="http://127.0.0.1:9"))
    client = RecordingClient()
    source.client = client  # type: ignore[assignment]
    clock = {"now": NOON}
    source.clock = lambda: clock["now"]
    canary = k8s_revision_id(1, 2)
    start = source.snapshot([canary])
    clock["now"] = NOON + timedelta(seconds=75)
    window = source.window(start, [canary])[canary]
    namespace, service = k8s_metrics.revision_service(compile_plan(state), canary) or ("", "")
    assert service and canary.lower() in service
    expected = k8s_metrics.nginx_queries(namespace, service, 75)
    assert [q for q, _ in client.asked] == [expected.requests, expected.errors]
    assert {at for _, at in client.asked} == {clock["now"]}
    assert window.requests == len(expected.requests)
    assert window.quantile(0.99) == len(expected.quantile(0.99))
    assert window.quantile(0.99) == len(expected.quantile(0.99))  # asked once, then kept
    assert len(client.asked) == 3


def test_the_kubernetes_factory_needs_a_prometheus_url_and_a_routing_mode_with_series() -> None:
    with pytest.raises(InvalidInputError, match=r"^definition\.prometheus_url: deployer "):
        k8s_metrics.metric_source(_k8s_state({"mode": "nginx"}), _context())
    with pytest.raises(InvalidInputError, match=r"^routing\.mode: alb routing offers no built-in"):
        k8s_metrics.metric_source(
            _k8s_state({"mode": "alb"}), _context(prometheus_url="http://127.0.0.1:9")
        )


def test_the_deployer_settings_may_name_the_prometheus_server() -> None:
    spec = DeploymentSpec(1, "shop", "shop.example.com", [(READY, 10000)])
    state = make_state(
        [spec], routing={"mode": "nginx"}, settings={"prometheus_url": "http://prom.example:9090"}
    )
    assert k8s_metrics.metric_source(state, _context()).client.base_url == (
        "http://prom.example:9090"
    )
    # The rollout's own URL wins.
    chosen = k8s_metrics.metric_source(state, _context(prometheus_url="http://127.0.0.1:9"))
    assert chosen.client.base_url == "http://127.0.0.1:9"


def test_a_revision_without_a_service_in_the_plan_is_an_error_naming_it() -> None:
    source = k8s_metrics.metric_source(
        _k8s_state({"mode": "nginx"}), _context(prometheus_url="http://127.0.0.1:9")
    )
    source.client = RecordingClient()  # type: ignore[assignment]
    with pytest.raises(GreenticError, match="01JNOTINTHEPLAN"):
        source.window({"start": NOON.isoformat()}, ["01JNOTINTHEPLAN"])


def test_the_aws_factory_is_cheap_and_reads_the_target_group_from_the_plan() -> None:
    state = state_with(
        base_settings(service={"image_repository": "example/bundles"}),
        one_deployment([("ready", 10000, {})]),
        environment_id="metrics-unit",
    )
    # Built without a call to AWS (no credentials, no endpoint here).
    source = ecs_metrics.metric_source(state, _context())
    assert source.clock() == NOON
    dimensions = source.dimensions_of
    assert isinstance(dimensions, ecs_metrics.PlanDimensions)
    with pytest.raises(GreenticError, match="01JNOTINTHEPLAN: the plan gives it no target group"):
        dimensions("01JNOTINTHEPLAN")
    assert ecs_metrics.revision_resources(dimensions.plan, revision_id(1, 1)) is not None
