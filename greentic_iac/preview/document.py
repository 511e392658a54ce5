"""The preview document (``greentic.preview.v1``): one JSON-able dict every renderer reads.

``build_preview`` is the whole offline engine as a pure function: the plan the environment
compiles to now, the baseline it is compared with and the state (for the policy gates) in,
the document out. The CLI decides where the baseline comes from and what to do with a
refused preview; docs/preview.md describes every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from greentic_iac.plan.model import Plan
from greentic_iac.plan.target import Target
from greentic_iac.preview.checks import (
    limit_violations,
    policy_violations,
    target_limit_findings,
    warnings_of,
)
from greentic_iac.preview.diff import diff_resources
from greentic_iac.preview.names import (
    deployment_label,
    names_of,
    resource_subject,
    revision_label,
    route_label,
)
from greentic_iac.preview.traffic import traffic_diff
from greentic_iac.spec.state import EnvironmentState

PREVIEW_SCHEMA: Final = "greentic.preview.v1"
BaselineSource = Literal["applied", "file", "empty"]


@dataclass(frozen=True)
class Baseline:
    """The plan the preview compares against, and where it came from."""

    plan: Plan | None
    source: BaselineSource
    path: str | None = None
    # The plan's content hash when the caller already has it (hashing 10k resources costs
    # more than diffing them).
    content_hash: str | None = None

    @classmethod
    def empty(cls) -> Baseline:
        return cls(plan=None, source="empty")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "path": self.path,
            "content_hash": (
                None if self.plan is None else (self.content_hash or self.plan.content_hash())
            ),
        }


def build_preview(
    state: EnvironmentState,
    plan: Plan,
    baseline: Baseline,
    *,
    override_policy: bool = False,
    plan_hash: str | None = None,
    target: Target | None = None,
) -> dict[str, Any]:
    """The preview of applying ``plan`` over ``baseline`` (see docs/preview.md).

    ``target`` is the plan's target when the caller has it (its limits are checked);
    otherwise the plan's ``target`` descriptor is resolved through the deployer packs."""
    if target is None:
        from greentic_iac.targets import target_by_descriptor

        target = target_by_descriptor(plan.target)
    resources, unchanged = diff_resources(
        baseline.plan, plan, target.replace_rules if target is not None else None
    )
    traffic = traffic_diff(baseline.plan, plan)
    checked = target_limit_findings(plan, baseline.plan, target)
    limits = limit_violations(plan, baseline.plan, checked=checked)
    violations = policy_violations(state, traffic, baseline.plan)
    warnings = warnings_of(plan, checked)
    names = names_of(state)
    _label(resources, traffic, names)
    if baseline.plan is not None and baseline.plan.target != plan.target:
        warnings.insert(
            0,
            {
                "code": "baseline-target-changed",
                "message": (
                    f"the baseline was planned for {baseline.plan.target}, the environment now "
                    f"compiles for {plan.target}"
                ),
                "subject": None,
            },
        )
    counts = {action: 0 for action in ("create", "update", "replace", "delete")}
    for resource in resources:
        counts[resource["action"]] += 1
    traffic_changes = sum(1 for t in traffic if t["changed"])
    overridden = bool(violations) and override_policy
    return {
        "schema_version": PREVIEW_SCHEMA,
        "environment_id": plan.environment_id,
        # The state generation the plan was compiled from: `up --plan` names it when the
        # state has moved since the review.
        "generation": state.generation,
        "target": plan.target,
        "baseline": baseline.to_dict(),
        "plan_hash": plan_hash or plan.content_hash(),
        "changed": bool(resources) or traffic_changes > 0,
        "refused": bool(limits) or (bool(violations) and not overridden),
        "summary": {**counts, "unchanged": unchanged, "traffic_changes": traffic_changes},
        "resources": resources,
        "traffic": traffic,
        "limits": limits,
        "policy": {"violations": violations, "overridden": overridden},
        "warnings": warnings,
        "names": names,
    }


def _label(
    resources: list[dict[str, Any]], traffic: list[dict[str, Any]], names: dict[str, Any]
) -> None:
    """Put the readable names (``shop``, ``shop@3``, host/path) beside the ids, in place."""
    for resource in resources:
        resource["subject"] = resource_subject(names, resource["name"])
    for deployment in traffic:
        deployment["bundle_id"] = deployment_label(names, deployment["deployment_id"])
        deployment["route"] = route_label(names, deployment["deployment_id"])
        for revision in deployment["revisions"]:
            revision["name"] = revision_label(names, revision["revision_id"])


def first_refusal(document: dict[str, Any]) -> str | None:
    """One line naming the first reason a refused preview was refused (None: not refused)."""
    if not document["refused"]:
        return None
    if document["limits"]:
        first = document["limits"][0]
        return f"preview refused: limit {first['code']}: {_line(first['message'])}"
    first = document["policy"]["violations"][0]
    return (
        f"preview refused: policy {first['code']}: {_line(first['message'])} "
        "(--override-policy to proceed, audited)"
    )


def _line(message: str) -> str:
    lines = message.splitlines()
    return lines[0] if lines else ""
