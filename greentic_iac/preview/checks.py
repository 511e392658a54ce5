"""The gates a preview applies before anything may change: target limits and traffic policy.

Limits are what the target cannot realise: every error finding the compiler made (a split
it couldn't express, a missing image, a route conflict) plus the plan's target's own checks
(``Target.limits``, found by the plan's ``target`` descriptor through the deployer pack),
which also catch a plan the compiler did not just make (``--against FILE``). A plan whose
target is not installed gets only its compiler's findings. Limits can't be overridden.

Policy gates come from the environment (``state.policy``) and can be overridden, audited:

- ``not-ready``: a revision that is not ``ready`` carries weight in the new plan;
- ``max-step``: a revision's share rises by more than ``policy.max_step_bps`` against the
  baseline. A deployment absent from the baseline is exempt (nothing served it before, so
  its first split shifts no user), which is also why a never-applied environment passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from greentic_iac.plan.model import Finding, Plan, Severity
from greentic_iac.plan.target import Target
from greentic_iac.spec.lifecycle import RevisionLifecycle
from greentic_iac.spec.state import EnvironmentState


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "message": finding.message, "subject": finding.subject}


def target_limit_findings(
    plan: Plan, baseline: Plan | None = None, target: Target | None = None
) -> list[Finding]:
    """The target's own checks of ``plan`` (all severities); ``target`` defaults to the one
    the plan's descriptor resolves to, and a plan no installed deployer serves gets none."""
    from greentic_iac.targets import target_by_descriptor

    found = target if target is not None else target_by_descriptor(plan.target)
    return found.limits(plan, baseline) if found is not None and found.limits else []


def limit_violations(
    plan: Plan,
    baseline: Plan | None = None,
    target: Target | None = None,
    checked: list[Finding] | None = None,
) -> list[dict[str, Any]]:
    """Compiler error findings, then the target's error findings (duplicates dropped); with
    the applied ``baseline``, also what only the change shows (a Namespace deleted while
    still in use). ``checked`` is ``target_limit_findings``' answer when the caller has it;
    the target's warnings are not limits (the preview lists them with the plan's)."""
    if checked is None:
        checked = target_limit_findings(plan, baseline, target)
    result: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str | None]] = set()
    for finding in [*plan.errors, *(f for f in checked if f.severity == Severity.ERROR)]:
        key = (finding.code, finding.message, finding.subject)
        if key not in seen:
            seen.add(key)
            result.append(_finding_dict(finding))
    return result


def warnings_of(plan: Plan, checked: Sequence[Finding] = ()) -> list[dict[str, Any]]:
    """The plan's warnings, then the target's limit warnings not already among them."""
    result = [_finding_dict(f) for f in plan.findings if f.severity == Severity.WARNING]
    for finding in checked:
        entry = _finding_dict(finding)
        if finding.severity == Severity.WARNING and entry not in result:
            result.append(entry)
    return result


def policy_violations(
    state: EnvironmentState, traffic: list[dict[str, Any]], baseline: Plan | None
) -> list[dict[str, Any]]:
    """The traffic policy gates over the traffic diff (see the module docstring)."""
    violations: list[dict[str, Any]] = []
    applied = {t.deployment_id for t in baseline.traffic} if baseline is not None else set()
    max_step = state.policy.max_step_bps
    for deployment in traffic:
        deployment_id = deployment["deployment_id"]
        for revision in deployment["revisions"]:
            revision_id = revision["revision_id"]
            after = revision["after_bps"]
            if after > 0 or (revision["applied_weight"] or 0) > 0:
                found = state.revisions.get(revision_id)
                lifecycle = found.lifecycle.value if found is not None else "unknown"
                if found is None or found.lifecycle != RevisionLifecycle.READY:
                    violations.append(
                        {
                            "code": "not-ready",
                            "message": (
                                f"revision {revision_id} of deployment {deployment_id} is "
                                f"{lifecycle} but would carry {after} bps; only ready "
                                "revisions may carry weight"
                            ),
                            "subject": revision_id,
                        }
                    )
            rise = after - revision["before_bps"]
            if max_step is not None and deployment_id in applied and rise > max_step:
                violations.append(
                    {
                        "code": "max-step",
                        "message": (
                            f"revision {revision_id} of deployment {deployment_id} would rise "
                            f"by {rise} bps ({revision['before_bps']} -> {after}), more than "
                            f"the environment's max_step_bps of {max_step}"
                        ),
                        "subject": revision_id,
                    }
                )
    return violations
