"""The router's Prometheus exposition, and analysis reading it back (prometheus-client's
own writer and parser, no hand-written format)."""

from __future__ import annotations

import pytest

from greentic_iac.local.metrics import RouterMetrics, status_class
from greentic_iac.local.sources import RouterMetricSource, parse_router_metrics
from greentic_iac.plan.metrics import Counters


def test_requests_are_counted_by_deployment_revision_and_status_class() -> None:
    metrics = RouterMetrics()
    for _ in range(8):
        metrics.observe("d1", "canary", 200, 0.004)
    metrics.observe("d1", "canary", 503, 0.2)
    metrics.observe("d1", "canary", 500, 0.3)
    metrics.observe("d1", "stable", 200, 0.002)
    text = metrics.exposition().decode()
    assert (
        'greentic_router_requests_total{deployment="d1",revision="canary",status_class="5xx"} 2.0'
        in text
    )
    counters = parse_router_metrics(text)
    assert counters["canary"].requests == 10 and counters["canary"].errors == 2
    assert counters["stable"].requests == 1 and counters["stable"].errors == 0
    # 8 of 10 answers took 4 ms: the median lies in the (2.5 ms, 5 ms] bucket.
    p50 = counters["canary"].quantile(0.5)
    assert p50 is not None and 0.0025 < p50 <= 0.005
    p99 = counters["canary"].quantile(0.99)
    assert p99 is not None and 0.25 < p99 <= 0.5


def test_a_window_is_the_difference_of_two_scrapes() -> None:
    metrics = RouterMetrics()
    metrics.observe("d1", "canary", 200, 0.01)
    source = RouterMetricSource(fetch=lambda: metrics.exposition().decode())
    start = source.snapshot(["canary", "absent"])
    for status in (200, 200, 500, 500):
        metrics.observe("d1", "canary", status, 0.01)
    window = source.window(start, ["canary", "absent"])
    assert (window["canary"].requests, window["canary"].errors) == (4, 2)
    assert window["absent"].requests == 0 and window["absent"].quantile(0.5) is None


def test_a_restarted_router_counts_from_zero() -> None:
    before = Counters(requests=100, errors=5, buckets={float("inf"): 100})
    after = Counters(requests=3, errors=1, buckets={float("inf"): 3})
    assert after.minus(before).requests == 3


@pytest.mark.parametrize(("status", "expected"), [(200, "2xx"), (404, "4xx"), (502, "5xx")])
def test_status_classes(status: int, expected: str) -> None:
    assert status_class(status) == expected
