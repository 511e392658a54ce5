"""Rollout analysis on AWS: CloudWatch ``GetMetricData`` on each revision's target group.

The ALB publishes per target group ``RequestCount`` and ``HTTPCode_Target_5XX_Count``
(sums) and ``TargetResponseTime`` (seconds; percentiles as extended statistics). A
window's start is a timestamp, stored in the rollout like the router's counters, so a
resumed runner asks CloudWatch for the same window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from greentic_iac.errors import GreenticError
from greentic_iac.operations.analysis import SummaryWindow, Window

NAMESPACE = "AWS/ApplicationELB"
PERCENTILES = (0.5, 0.9, 0.95, 0.99)


@dataclass
class CloudWatchMetricSource:
    """``dimensions_of(revision_id)`` gives the target group's CloudWatch dimensions
    (``TargetGroup`` and ``LoadBalancer``, the ARN suffixes the stack outputs carry)."""

    client: Any
    dimensions_of: Callable[[str], list[dict[str, str]]]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    period_seconds: int = 60

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]:
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

    def window(self, start: dict[str, Any], revision_ids: list[str]) -> dict[str, Window]:
        begin = datetime.fromisoformat(start["start"])
        end = self.clock()
        if end - begin < timedelta(seconds=self.period_seconds):
            end = begin + timedelta(seconds=self.period_seconds)
        queries = [q for i, r in enumerate(revision_ids) for q in self._queries(i, r)]
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
                    break
        except Exception as exc:  # botocore's errors: the SDK is an optional extra
            raise GreenticError(f"cloudwatch GetMetricData failed: {exc}") from None
        windows: dict[str, Window] = {}
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
            f"target group {target_group_name}: DescribeTargetGroups failed: {exc}"
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
