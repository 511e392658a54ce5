"""Refuse a traffic change the deployer's target can't realise, inside the change itself.

A split is stored in basis points and each target maps it onto what it can route (an ALB
forward action takes at most five weighted target groups; a plug-in has its own limits).
``preview`` and ``up`` refuse a plan the target can't realise, but without this gate
``traffic set`` (and every verb that moves weight: rollbacks, rollout starts and steps,
the quick forms) would store such a split, and each later verb would trip over it. The
judge is the target, through the same members preview asks: its compiler's error findings
and ``Target.limits`` on the plan of the new state. Only what the new splits bring is
refused (compared by code and subject with the same state under the old splits), so an
unrelated error the state already had doesn't block moving traffic, and a change toward
what the target can realise is never refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.plan.model import Finding, Severity
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.spec.traffic import TrafficSplit

if TYPE_CHECKING:
    from greentic_iac.envpacks import EnvPackRegistry
    from greentic_iac.plan.target import Target


def split_findings(state: EnvironmentState, target: Target) -> list[Finding]:
    """The error findings of ``state``'s plan: the compiler's, then the target's limits."""
    plan = target.compile(state)
    limits = target.limits(plan, None) if target.limits is not None else []
    return [*plan.errors, *(f for f in limits if f.severity == Severity.ERROR)]


def _findings_or_none(state: EnvironmentState, target: Target) -> list[Finding] | None:
    try:
        return split_findings(state, target)
    except (GreenticError, ImportError):
        return None  # the compiler can't run at all: `plan` reports that, no verdict here


def refuse_unrealisable_split(
    traffic_before: Mapping[str, TrafficSplit],
    after: EnvironmentState,
    registry: Callable[[], EnvPackRegistry] | None = None,
) -> None:
    """``InvalidInputError`` (exit 2, nothing stored) naming the first finding ``after``'s
    splits bring that ``traffic_before`` did not have; a no-op when the deployer can't be
    resolved or compiled (the verbs that compile report that)."""
    from greentic_iac.targets import target_for

    try:
        target = target_for(after, registry)
    except InvalidInputError:
        return
    found = _findings_or_none(after, target)
    if not found:
        return
    previous = _findings_or_none(after.model_copy(update={"traffic": dict(traffic_before)}), target)
    if previous is None:
        return
    had = {(finding.code, finding.subject) for finding in previous}
    new = [finding for finding in found if (finding.code, finding.subject) not in had]
    if new:
        first = new[0]
        raise InvalidInputError(
            f"traffic: deployer {target.descriptor} can't realise this split: {first.code}: "
            f"{first.message}" + (f" ({first.subject})" if first.subject else "")
        )
