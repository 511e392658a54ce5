"""Rollout analysis: a canary's figures over a window, held to the checks' bounds.

The figures come from the target's metric source (``Target.metrics``: the local router's
counters, CloudWatch on AWS, Prometheus on Kubernetes), one ``MetricWindow`` per canary
(greentic_iac/plan/metrics.py); ``prometheus`` checks run their own query through the
Prometheus HTTP API. This module only judges: every check of every canary, passed only
when all pass, each figure kept with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from greentic_iac.errors import GreenticError
from greentic_iac.plan.metrics import EMPTY_WINDOW
from greentic_iac.plan.target import MetricSource, MetricWindow
from greentic_iac.spec.rollout import (
    AnalysisCheck,
    AnalysisFigure,
    AnalysisResult,
    AnalysisStep,
    Rollout,
    RolloutDefinition,
)

__all__ = ["MetricSource", "QuerySource", "analysis_checks", "builtin_metrics", "evaluate"]


class QuerySource(Protocol):
    """What a ``prometheus`` check asks (greentic_iac.prometheus_api.PrometheusQuerySource)."""

    def query(self, expression: str) -> float | None: ...


def analysis_checks(definition: RolloutDefinition) -> list[tuple[str, str]]:
    """``(field, metric)`` of every analysis check of the definition, in order."""
    return [
        (f"definition.steps[{index}].checks[{number}].metric", check.metric)
        for index, step in enumerate(definition.steps)
        if isinstance(step, AnalysisStep)
        for number, check in enumerate(step.checks)
    ]


def builtin_metrics(definition: RolloutDefinition) -> list[tuple[str, str]]:
    """The checks of a built-in metric (not ``prometheus``): what needs the target's
    metric source."""
    return [
        (where, metric) for where, metric in analysis_checks(definition) if metric != "prometheus"
    ]


def _builtin_value(check: AnalysisCheck, window: MetricWindow) -> float | None:
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
    windows: Mapping[str, MetricWindow],
    now: datetime,
    *,
    queries: QuerySource | None = None,
) -> AnalysisResult:
    """Every check for every canary of the rollout; passed only when all pass."""
    figures: list[AnalysisFigure] = []
    for target in rollout.targets:
        canary = target.canary_revision_id
        window: MetricWindow = windows.get(canary) or EMPTY_WINDOW
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
