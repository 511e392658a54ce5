"""The AWS ECS target's health source (``Target.health``): the revision's service and its
target group.

A revision is healthy when ECS ``DescribeServices`` shows its service running as many
tasks as it wants (more than zero), with one steady primary deployment, and ELBv2
``DescribeTargetHealth`` reports at least that many healthy targets in its target group.
Which service, cluster and target group belong to a revision is read from the compiled
plan (the revision tag on the service), so the physical names are never recomputed here.
Every call is bounded (connect and read timeouts, few retries); a failing call is an
unhealthy answer naming the call, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from greentic_iac.plan.model import REF_KEY, Plan, is_ref
from greentic_iac.plan.target import RevisionHealth, TargetContext
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets.aws_ecs.clients import bounded_client, error_text

SERVICE_TYPE: Final = "aws:ecs/service:Service"
REVISION_TAG: Final = "greentic:revision"


@dataclass(frozen=True)
class RevisionResources:
    cluster: str
    service: str
    target_group: str | None


def _physical(plan: Plan, value: Any, field: str = "name") -> str | None:
    # A reference to another plan resource resolves to that resource's physical name.
    if is_ref(value):
        target = plan.resource(value[REF_KEY]["resource"])
        return _physical(plan, target.properties.get(field), field)
    return value if isinstance(value, str) else None


def revision_resources(plan: Plan, revision_id: str) -> RevisionResources | None:
    """The cluster, service and target group names the plan gives ``revision_id``."""
    for resource in plan.resources:
        if resource.type != SERVICE_TYPE:
            continue
        if resource.properties.get("tags", {}).get(REVISION_TAG) != revision_id:
            continue
        properties = resource.properties
        cluster = _physical(plan, properties.get("cluster"))
        service = _physical(plan, properties.get("name"))
        balancers = properties.get("loadBalancers") or [{}]
        target_group = _physical(plan, balancers[0].get("targetGroupArn"))
        if cluster is None or service is None:
            return None
        return RevisionResources(cluster, service, target_group)
    return None


def service_verdict(service: dict[str, Any]) -> tuple[bool, int, int, str]:  # noqa: PLR0911 (one rule per return)
    """(steady, running, desired, why not) from one DescribeServices entry."""
    desired = int(service.get("desiredCount", 0))
    running = int(service.get("runningCount", 0))
    if service.get("status") != "ACTIVE":
        return False, running, desired, f"service is {service.get('status', 'unknown')}"
    if desired == 0:
        return False, running, desired, "desired count is 0 (apply the plan of this revision)"
    if running != desired:
        return False, running, desired, f"{running} of {desired} tasks running"
    deployments = service.get("deployments", [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    if len(primary) != 1:
        return False, running, desired, "no primary deployment"
    state = primary[0].get("rolloutState")
    if state not in (None, "COMPLETED"):
        reason = primary[0].get("rolloutStateReason", "")
        return (
            False,
            running,
            desired,
            f"primary deployment {state}" + (f": {reason}" if reason else ""),
        )
    if len(deployments) > 1:
        return False, running, desired, f"{len(deployments) - 1} older deployment(s) still active"
    return True, running, desired, ""


@dataclass(frozen=True)
class EcsHealthSource:
    """Health of one environment's revisions on ECS (boto3 clients built per source)."""

    state: EnvironmentState
    plan: Plan
    region: str
    timeout: float
    # Target group name -> ARN: a rollout asks every poll, the ARN never changes.
    _group_arns: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    # Built once per source: a rollout or a warm asks the same source many times.
    @cached_property
    def _ecs(self) -> Any:
        return bounded_client("ecs", self.region, self.timeout)

    @cached_property
    def _elbv2(self) -> Any:
        return bounded_client("elbv2", self.region, self.timeout)

    def revision_health(self, revision_id: str) -> RevisionHealth:
        from botocore.exceptions import BotoCoreError, ClientError

        resources = revision_resources(self.plan, revision_id)
        if resources is None:
            return RevisionHealth(revision_id, False, 0, 0, "the plan runs no ECS service for it")
        try:
            answer = self._ecs.describe_services(
                cluster=resources.cluster, services=[resources.service]
            )
        except ClientError as exc:
            if "ClusterNotFound" in error_text(exc):
                why = f"cluster {resources.cluster} not found (apply the plan)"
            else:
                why = f"DescribeServices: {error_text(exc)}"
            return RevisionHealth(revision_id, False, 0, 0, why)
        except BotoCoreError as exc:
            return RevisionHealth(revision_id, False, 0, 0, f"DescribeServices: {error_text(exc)}")
        services = answer.get("services", [])
        if not services:
            return RevisionHealth(
                revision_id, False, 0, 0, f"service {resources.service} not found (apply the plan)"
            )
        steady, running, desired, why = service_verdict(dict(services[0]))
        if not steady or resources.target_group is None:
            return RevisionHealth(revision_id, steady, running if steady else 0, desired, why)
        return self._with_targets(revision_id, resources.target_group, running, desired)

    def _with_targets(
        self, revision_id: str, target_group: str, running: int, desired: int
    ) -> RevisionHealth:
        from botocore.exceptions import BotoCoreError, ClientError

        elbv2 = self._elbv2
        try:
            if target_group not in self._group_arns:
                groups = elbv2.describe_target_groups(Names=[target_group])["TargetGroups"]
                self._group_arns[target_group] = groups[0]["TargetGroupArn"]
            descriptions = elbv2.describe_target_health(
                TargetGroupArn=self._group_arns[target_group]
            )["TargetHealthDescriptions"]
        except (BotoCoreError, ClientError) as exc:
            self._group_arns.pop(target_group, None)  # replaced meanwhile: look it up again
            return RevisionHealth(
                revision_id, False, 0, desired, f"DescribeTargetHealth: {error_text(exc)}"
            )
        states = [d.get("TargetHealth", {}).get("State", "unknown") for d in descriptions]
        healthy = states.count("healthy")
        if healthy >= desired:
            return RevisionHealth(revision_id, True, min(healthy, running), desired, "")
        others = sorted({s for s in states if s != "healthy"})
        return RevisionHealth(
            revision_id,
            False,
            healthy,
            desired,
            f"{healthy} of {desired} targets healthy in {target_group}"
            + (f" (others: {', '.join(others)})" if others else ""),
        )


def health_source(state: EnvironmentState, context: TargetContext) -> EcsHealthSource:
    """``Target.health`` of ``greentic.deployer.aws-ecs``: the region from the settings."""
    from greentic_iac.targets.aws_ecs.compiler import compile_plan, load_settings

    return EcsHealthSource(state, compile_plan(state), load_settings(state).region, context.timeout)
