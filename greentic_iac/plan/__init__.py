"""The Plan IR: what a target compiles an environment into (plain data, no Pulumi import).

A plan is cheap to build, hash, diff and show; the Pulumi emitter, the local runtime and
the exporters all consume it.
"""

from greentic_iac.plan.model import (
    PLAN_SCHEMA,
    Compiler,
    DeploymentTraffic,
    Finding,
    Plan,
    PlanResource,
    ResourceOptions,
    RevisionTraffic,
    Severity,
    is_ref,
    iter_refs,
    ref,
)
from greentic_iac.plan.names import logical_name, short_hash

__all__ = [
    "PLAN_SCHEMA",
    "Compiler",
    "DeploymentTraffic",
    "Finding",
    "Plan",
    "PlanResource",
    "ResourceOptions",
    "RevisionTraffic",
    "Severity",
    "is_ref",
    "iter_refs",
    "logical_name",
    "ref",
    "short_hash",
]
