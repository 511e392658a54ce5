"""The AWS ECS target's metric source (``Target.metrics``): CloudWatch ``GetMetricData`` on
each revision's target group.

The ALB publishes per target group ``RequestCount`` and ``HTTPCode_Target_5XX_Count``
(sums) and ``TargetResponseTime`` (seconds; percentiles as extended statistics), with the
dimensions ``TargetGroup`` and ``LoadBalancer`` (the ARN suffixes). Which target group
belongs to a revision is read from the compiled plan (the physical name it gives the
revision's target group); its dimensions then come from one ELBv2 ``DescribeTargetGroups``
by that name, asked once per revision and source. A window's start is a timestamp, stored
in the rollout like the router's counters, so a resumed runner asks for the same window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from greentic_iac.errors import GreenticError
from greentic_iac.plan.metrics import PERCENTILES, SummaryWindow
from greentic_iac.plan.model import Plan
from greentic_iac.plan.target import MetricWindow, TargetContext
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets.aws_ecs.clients import bounded_client, error_text
from greentic_iac.targets.aws_ecs.health import revision_resources

NAMESPACE: Final = "AWS/ApplicationELB"
PERIOD_SECONDS: Final = 60


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CloudWatchMetricSource:
    """``dimensions_of(revision_id)`` gives the target group's CloudWatch dimensions
    (``TargetGroup`` and ``LoadBalancer``)."""

    client: Any
    dimensions_of: Callable[[str], list[dict[str, str]]]
    clock: Callable[[], datetime] = _utc_now
    period_seconds: int = PERIOD_SECONDS

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]:
        del revision_ids  # one start time serves every revision
        return {"start": self.clock().isoformat()}

    def _queries(self, index: int, revision_id: str) -> list[dict[str, Any]]:
        dimensions = [
            {"Name": d["Name"], "Value": d["Value"]} for d in self.dimensions_of(revision_id)
        ]

        def query(key: str, metric: str, stat: str) -> dict[str, Any]:
            return {
                "Id": f"r{index}_{key}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": metric,
                        "Dimensions": dimensions,
                    },
                    "Period": self.period_seconds,
                    "Stat": stat,
                },
                "ReturnData": True,
            }

        return [
            query("requests", "RequestCount", "Sum"),
            query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
            *(
                query(f"p{int(q * 100)}", "TargetResponseTime", f"p{int(q * 100)}")
                for q in PERCENTILES
            ),
        ]

    def _values(
        self, queries: list[dict[str, Any]], begin: datetime, end: datetime
    ) -> dict[str, list[float]]:
        values: dict[str, list[float]] = {}
        token: str | None = None
        try:
            while True:
                extra = {"NextToken": token} if token else {}
                answer = self.client.get_metric_data(
                    MetricDataQueries=queries, StartTime=begin, EndTime=end, **extra
                )
                for result in answer["MetricDataResults"]:
                    values.setdefault(result["Id"], []).extend(result["Values"])
                token = answer.get("NextToken")
                if not token:
                    return values
        except Exception as exc:  # botocore's errors: the SDK is an optional extra
            raise GreenticError(f"cloudwatch GetMetricData failed: {error_text(exc)}") from None

    def window(self, start: dict[str, Any], revision_ids: list[str]) -> dict[str, MetricWindow]:
        begin = datetime.fromisoformat(start["start"])
        end = self.clock()
        if end - begin < timedelta(seconds=self.period_seconds):
            end = begin + timedelta(seconds=self.period_seconds)
        queries = [q for i, r in enumerate(revision_ids) for q in self._queries(i, r)]
        values = self._values(queries, begin, end)
        windows: dict[str, MetricWindow] = {}
        for index, revision_id in enumerate(revision_ids):
            prefix = f"r{index}_"
            quantiles = {
                q: max(values[f"{prefix}p{int(q * 100)}"])
                for q in PERCENTILES
                if values.get(f"{prefix}p{int(q * 100)}")
            }
            windows[revision_id] = SummaryWindow(
                requests=sum(values.get(prefix + "requests", [])),
                errors=sum(values.get(prefix + "errors", [])),
                # Per-period percentiles cannot be merged exactly; the worst period bounds it.
                quantiles=quantiles,
            )
        return windows


def arn_suffix(arn: str, kind: str) -> str:
    """CloudWatch's dimension value: ``targetgroup/n/id`` or ``app/n/id`` of an ELBv2 ARN."""
    resource = arn.split(":", 5)[-1]
    if kind == "loadbalancer":
        return resource.removeprefix("loadbalancer/")
    return resource


def target_group_dimensions(elbv2: Any, target_group_name: str) -> list[dict[str, str]]:
    """The ``TargetGroup`` and ``LoadBalancer`` dimensions of a target group, by its name
    (the physical name the compiled plan gives a revision's target group)."""
    try:
        found = elbv2.describe_target_groups(Names=[target_group_name])["TargetGroups"]
    except Exception as exc:  # botocore's errors: the SDK is an optional extra
        raise GreenticError(
            f"target group {target_group_name}: DescribeTargetGroups failed: {error_text(exc)}"
        ) from None
    if not found:
        raise GreenticError(f"target group {target_group_name}: not found")
    group = found[0]
    dimensions = [
        {"Name": "TargetGroup", "Value": arn_suffix(group["TargetGroupArn"], "targetgroup")}
    ]
    balancers = group.get("LoadBalancerArns") or []
    if balancers:
        dimensions.append(
            {"Name": "LoadBalancer", "Value": arn_suffix(balancers[0], "loadbalancer")}
        )
    return dimensions


class _LazyClient:
    """A boto3 client made at its first call: building the source stays cheap (and works
    without boto3) until a rollout really reads a window."""

    def __init__(self, service: str, region: str, timeout: float) -> None:
        self._arguments = (service, region, timeout)
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = bounded_client(*self._arguments)
        return getattr(self._client, name)


@dataclass
class PlanDimensions:
    """A revision's dimensions: its target group's name from the plan, then ELBv2."""

    plan: Plan
    elbv2: Any
    found: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def __call__(self, revision_id: str) -> list[dict[str, str]]:
        if revision_id not in self.found:
            resources = revision_resources(self.plan, revision_id)
            if resources is None or resources.target_group is None:
                raise GreenticError(
                    f"revision {revision_id}: the plan gives it no target group to read "
                    "CloudWatch metrics from"
                )
            self.found[revision_id] = target_group_dimensions(self.elbv2, resources.target_group)
        return self.found[revision_id]


def metric_source(state: EnvironmentState, context: TargetContext) -> CloudWatchMetricSource:
    """``Target.metrics`` of ``greentic.deployer.aws-ecs``: the region from the settings,
    every call bounded by the context's timeout, windows on the context's clock."""
    from greentic_iac.targets.aws_ecs.compiler import compile_plan, load_settings

    region = load_settings(state).region
    dimensions = PlanDimensions(compile_plan(state), _LazyClient("elbv2", region, context.timeout))
    return CloudWatchMetricSource(
        _LazyClient("cloudwatch", region, context.timeout), dimensions, clock=context.now
    )
