"""ALB limits a plan's listener rules must respect, checked on the plan itself.

The compiler refuses a split it can't express (an error finding), but ``preview`` also
diffs plans it did not just compile (``--against FILE``, a baseline written by an older
version), so the limits are checked again on what the plan would write: every forward
action takes at most five weighted target groups, each weight 0-999 (ELBv2 hard limits).
"""

from __future__ import annotations

from typing import Any, Final

from greentic_iac.plan.model import Finding, Plan, Severity
from greentic_iac.targets.alb_weights import ALB_MAX_WEIGHT, ALB_MAX_WEIGHTED_TARGET_GROUPS

LISTENER_RULE: Final = "aws:lb/listenerRule:ListenerRule"
LISTENER: Final = "aws:lb/listener:Listener"


def forward_action_findings(subject: str, action: Any, where: str) -> list[Finding]:
    """The limit findings of one forward action (a dict in Pulumi wire names)."""
    if not isinstance(action, dict) or action.get("type") != "forward":
        return []
    forward = action.get("forward")
    groups = forward.get("targetGroups") if isinstance(forward, dict) else None
    if not isinstance(groups, list):
        return []
    findings: list[Finding] = []
    weighted = [g for g in groups if isinstance(g, dict) and g.get("weight", 1) != 0]
    if len(weighted) > ALB_MAX_WEIGHTED_TARGET_GROUPS:
        findings.append(
            Finding(
                severity=Severity.ERROR,
                code="alb-max-target-groups",
                message=(
                    f"{where}: {len(weighted)} weighted target groups in one forward action; "
                    f"an ALB takes at most {ALB_MAX_WEIGHTED_TARGET_GROUPS}"
                ),
                subject=subject,
            )
        )
    for index, group in enumerate(groups):
        weight = group.get("weight") if isinstance(group, dict) else None
        if weight is None:
            continue
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 999:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="alb-weight-range",
                    message=(
                        f"{where}.forward.targetGroups[{index}].weight: {weight!r} is outside "
                        f"the ALB range 0-{ALB_MAX_WEIGHT}"
                    ),
                    subject=subject,
                )
            )
    return findings


def limit_findings(plan: Plan) -> list[Finding]:
    """Error findings for every listener rule or listener default action over an ALB limit."""
    findings: list[Finding] = []
    for resource in plan.resources:
        if resource.type == LISTENER_RULE:
            key = "actions"
        elif resource.type == LISTENER:
            key = "defaultActions"
        else:
            continue
        actions = resource.properties.get(key)
        if not isinstance(actions, list):
            continue
        for index, action in enumerate(actions):
            findings.extend(forward_action_findings(resource.name, action, f"{key}[{index}]"))
    return findings


def plan_limits(plan: Plan, baseline: Plan | None) -> list[Finding]:
    """``Target.limits``: the ALB limits of the plan (the change itself adds none)."""
    del baseline
    return limit_findings(plan)
