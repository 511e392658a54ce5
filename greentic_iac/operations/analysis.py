"""Rollout analysis: a canary's figures over a window, held to the checks' bounds.

A metric source answers with cumulative counters per revision (requests, 5xx, a latency
histogram); the window is the difference between a snapshot taken when the analysis step
began (stored in the rollout, so a resumed runner keeps its window) and one at its end.
Percentiles are read from the histogram buckets by linear interpolation, as Prometheus'
``histogram_quantile`` does.
"""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from greentic_iac.errors import GreenticError
from greentic_iac.spec.rollout import (
    AnalysisCheck,
    AnalysisFigure,
    AnalysisResult,
    AnalysisStep,
    Rollout,
)

PROMETHEUS_TIMEOUT_SECONDS = 10.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Counters:
    """Cumulative figures of one revision; ``buckets`` maps an upper bound to its count."""

    requests: float = 0.0
    errors: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)

    def minus(self, earlier: Counters) -> Counters:
        # A counter that went down was reset (the router restarted): count from zero.
        if self.requests < earlier.requests:
            return self
        return Counters(
            self.requests - earlier.requests,
            self.errors - earlier.errors,
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "buckets": [[_bound_text(le), n] for le, n in sorted(self.buckets.items())],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counters:
        return cls(
            float(data["requests"]),
            float(data["errors"]),
            {float(le): float(n) for le, n in data["buckets"]},
        )

    def quantile(self, q: float) -> float | None:
        if self.requests <= 0 or not self.buckets:
            return None
        bounds = sorted(self.buckets.items())
        total = bounds[-1][1]
        if total <= 0:
            return None
        rank = q * total
        lower, below = 0.0, 0.0
        for upper, count in bounds:
            if count >= rank:
                if math.isinf(upper):
                    return lower  # beyond the last finite bucket: its bound is all we know
                if count == below:
                    return upper
                return lower + (upper - lower) * (rank - below) / (count - below)
            lower, below = upper, count
        return lower


def _bound_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


class Window(Protocol):
    """A revision's figures over an analysis window."""

    @property
    def requests(self) -> float: ...

    @property
    def errors(self) -> float: ...

    def quantile(self, q: float) -> float | None: ...


@dataclass(frozen=True)
class SummaryWindow:
    """Figures a source reports per window already (CloudWatch statistics)."""

    requests: float
    errors: float
    quantiles: dict[float, float] = field(default_factory=dict)

    def quantile(self, q: float) -> float | None:
        return self.quantiles.get(q)


class MetricSource(Protocol):
    """``snapshot`` marks a window's start as JSON (stored, so a resumed runner keeps its
    window); ``window`` answers the figures from that mark until now."""

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]: ...

    def window(self, start: dict[str, Any], revision_ids: list[str]) -> dict[str, Window]: ...


class CounterSource:
    """A source of cumulative counters (the router's /metrics): windows are differences."""

    def counters(self, revision_ids: list[str]) -> dict[str, Counters]:
        raise NotImplementedError

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]:
        return {r: c.to_json() for r, c in self.counters(revision_ids).items()}

    def window(self, start: dict[str, Any], revision_ids: list[str]) -> dict[str, Window]:
        now = self.counters(revision_ids)
        return {
            r: now.get(r, Counters()).minus(
                Counters.from_json(start[r]) if r in start else Counters()
            )
            for r in revision_ids
        }


class QuerySource(Protocol):
    def query(self, expression: str) -> float | None: ...


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


@dataclass
class PrometheusQuerySource:
    """An instant query through the Prometheus HTTP API (``/api/v1/query``)."""

    base_url: str
    timeout: float = PROMETHEUS_TIMEOUT_SECONDS

    def query(self, expression: str) -> float | None:
        url = f"{self.base_url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode(
            {"query": expression}
        )
        try:
            with _DIRECT.open(url, timeout=self.timeout) as response:
                document = json.loads(response.read())
        except (OSError, ValueError) as exc:
            raise GreenticError(f"prometheus {self.base_url}: query failed ({exc})") from None
        if document.get("status") != "success":
            raise GreenticError(
                f"prometheus {self.base_url}: {document.get('error', 'query failed')}"
            )
        data = document["data"]
        if data["resultType"] == "scalar":
            return float(data["result"][1])
        results = data["result"]
        if not results:
            return None
        if len(results) > 1:
            raise GreenticError(
                f"prometheus query {expression!r} returned {len(results)} series; "
                "aggregate it to one value (sum, max, ...)"
            )
        value = float(results[0]["value"][1])
        return None if math.isnan(value) else value


def _builtin_value(check: AnalysisCheck, window: Window) -> float | None:
    if check.metric == "request_count":
        return window.requests
    if check.metric == "error_rate":
        return window.errors / window.requests if window.requests > 0 else None
    return window.quantile(int(check.metric.removeprefix("latency_p")) / 100)


def _judge(check: AnalysisCheck, value: float | None, requests: int) -> tuple[bool, str | None]:
    if requests < check.min_requests:
        return False, f"{requests} requests in the window, fewer than min_requests"
    if value is None and check.min_requests == 0:
        return True, "no requests in the window (min_requests 0 accepts that)"
    if value is None:
        return False, "no value in the window"
    if check.max is not None and value > check.max:
        return False, f"{value:g} is above max {check.max:g}"
    if check.min is not None and value < check.min:
        return False, f"{value:g} is below min {check.min:g}"
    return True, None


def evaluate(
    rollout: Rollout,
    step: AnalysisStep,
    windows: dict[str, Window],
    now: datetime,
    *,
    queries: QuerySource | None = None,
) -> AnalysisResult:
    """Every check for every canary of the rollout; passed only when all pass."""
    figures: list[AnalysisFigure] = []
    for target in rollout.targets:
        canary = target.canary_revision_id
        window: Window = windows.get(canary) or SummaryWindow(0.0, 0.0)
        requests = int(window.requests)
        for check in step.checks:
            if check.metric == "prometheus":
                if queries is None:
                    raise GreenticError(
                        "definition.prometheus_url: a prometheus check needs the server's URL"
                    )
                assert check.query is not None
                expression = check.query.replace("$revision", canary)
                value = queries.query(expression)
            else:
                value = _builtin_value(check, window)
            passed, reason = _judge(check, value, requests)
            figures.append(
                AnalysisFigure(
                    deployment_id=target.deployment_id,
                    revision_id=canary,
                    metric=check.metric,
                    value=value,
                    requests=requests,
                    max=check.max,
                    min=check.min,
                    passed=passed,
                    reason=reason,
                )
            )
    return AnalysisResult(
        step_index=rollout.step_index,
        passed=all(f.passed for f in figures),
        at=now,
        figures=figures,
    )
