"""Fit the alb mode's header pins into what is left of the ALB quotas.

Every deployment with weight needs one listener rule and one target group per weighted
revision: that is the contract, counted in full (``limits.alb_group_findings`` refuses a
plan over the quota, naming it). A header pin (``x-greentic-revision``) costs one more rule,
and a target group for a revision that carries no weight; pins only help testing, so
when the environment is at the quota they give way instead of refusing every later plan:
the pins left are chosen newest revision first, one per deployment per round, so no
deployment loses all of its pins to another, and a warning names the ones left out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from greentic_iac.plan import Finding, Severity
from greentic_iac.spec import Revision
from greentic_iac.targets.k8s.limits import ALB_MAX_RULES_PER_LISTENER, ALB_MAX_TARGET_GROUPS
from greentic_iac.targets.k8s.naming import REVISION_HEADER
from greentic_iac.targets.k8s.routes import RouteInput

_Key = TypeVar("_Key")


def pins_within_quota(
    inputs: list[tuple[_Key, RouteInput | None]],
) -> tuple[list[tuple[_Key, RouteInput | None]], list[Finding]]:
    """``inputs`` with pins dropped until the environment fits both quotas."""
    routed = [route for _, route in inputs if route is not None]
    rules = len(routed)
    groups = sum(len(route.weighted) for route in routed)
    if (
        rules + sum(len(r.pinnable) for r in routed) <= ALB_MAX_RULES_PER_LISTENER
        and groups + sum(_extra_groups(r, r.pinnable) for r in routed) <= ALB_MAX_TARGET_GROUPS
    ):
        return inputs, []
    kept: dict[str, list[Revision]] = {r.deployment.deployment_id: [] for r in routed}
    queues = {r.deployment.deployment_id: list(reversed(r.pinnable)) for r in routed}
    weighted = {
        r.deployment.deployment_id: {rev.revision_id for rev, _ in r.weighted} for r in routed
    }
    progress = True
    while progress:
        progress = False
        for deployment_id in sorted(queues):
            queue = queues[deployment_id]
            if not queue:
                continue
            revision = queue[0]
            cost = 0 if revision.revision_id in weighted[deployment_id] else 1
            if rules + 1 > ALB_MAX_RULES_PER_LISTENER or (
                cost and groups + cost > ALB_MAX_TARGET_GROUPS
            ):
                continue
            queue.pop(0)
            kept[deployment_id].append(revision)
            rules, groups, progress = rules + 1, groups + cost, True
    findings: list[Finding] = []
    out: list[tuple[_Key, RouteInput | None]] = []
    for key, route in inputs:
        if route is None:
            out.append((key, route))
            continue
        deployment_id = route.deployment.deployment_id
        allowed = {r.revision_id for r in kept[deployment_id]}
        pins = [r for r in route.pinnable if r.revision_id in allowed]
        left_out = [r.revision_id for r in route.pinnable if r.revision_id not in allowed]
        if left_out:
            findings.append(
                Finding(
                    severity=Severity.WARNING,
                    code="k8s.alb.pins-capped",
                    message=(
                        f"deployment {deployment_id}: the ALB is at its quota of "
                        f"{ALB_MAX_RULES_PER_LISTENER} rules / {ALB_MAX_TARGET_GROUPS} target "
                        f"groups, so {', '.join(left_out)} can't be pinned with "
                        f"{REVISION_HEADER}; archive revisions to make room"
                    ),
                    subject=deployment_id,
                )
            )
        out.append((key, replace(route, pinnable=pins)))
    return out, findings


def _extra_groups(route: RouteInput, pins: list[Revision]) -> int:
    weighted = {revision.revision_id for revision, _ in route.weighted}
    return sum(1 for revision in pins if revision.revision_id not in weighted)
