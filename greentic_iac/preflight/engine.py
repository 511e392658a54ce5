"""The check every Pulumi operation needs whatever the packs declare: the ``pulumi`` CLI.

The Automation API drives the ``pulumi`` executable for every target, so ``up``,
``destroy``, ``drift`` and ``preview --engine pulumi`` add this check to the environment's
own preflight before they gate. A pack that already checks ``tool:pulumi`` (the AWS and
Kubernetes deployers do) is not checked twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from greentic_iac.preflight.platforms import Platform
from greentic_iac.preflight.report import ToolCheckReport, report_from_outcomes
from greentic_iac.preflight.runner import DEFAULT_TIMEOUT, run_requirements
from greentic_iac.preflight.tools import tool_check_name
from greentic_iac.spec.checks import ToolRequirement

# The row the engine's own check appears under in the report.
ENGINE_SLOT = "engine"
ENGINE_KIND = "pulumi-automation-api"
# The oldest CLI the built-in deployer manifests accept; the Automation API itself needs 3.1.
PULUMI_REQUIREMENT = ToolRequirement(
    tool="pulumi",
    min_version="3.100.0",
    purpose="preview, up, destroy and drift (the Automation API drives the Pulumi CLI)",
)


def with_engine_checks(
    report: ToolCheckReport,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    path: str | None = None,
    platform: Platform | None = None,
) -> ToolCheckReport:
    """``report`` plus an ``engine`` row checking the pulumi CLI, unless a binding did."""
    name = tool_check_name(PULUMI_REQUIREMENT.tool)
    if any(outcome.check == name for row in report.per_binding for outcome in row.outcomes):
        return report
    outcomes = run_requirements(
        [PULUMI_REQUIREMENT], timeout=timeout, env=env, path=path, platform=platform
    )
    rows = [(row.slot, row.kind, row.outcomes) for row in report.per_binding]
    return report_from_outcomes([*rows, (ENGINE_SLOT, ENGINE_KIND, outcomes)])
