"""Preflight: the tools and credentials an environment's env-packs need, checked up front.

Env-pack manifests declare ``ToolRequirement``s and ``ProbeRequirement``s
(``greentic_iac.spec.checks``); this package runs them with hard timeouts and reports each
as a ``CheckOutcome`` with an install or login hint. The CLI joins the two: it collects
each binding's requirements (placeholders filled by ``envpacks.binding_requirements``),
builds the ``env tool-check`` report, adds the pulumi CLI check (``preflight.engine``) and
calls ``gate`` before ``preview --engine pulumi``/``up``/``destroy``/``drift``.
This package never imports ``envpacks`` (same layer).
"""

from greentic_iac.preflight.catalog import KNOWN_TOOLS, TOOL_CATALOG, InstallHints, ToolSpec
from greentic_iac.preflight.outcome import BLOCKING_STATUSES, CheckOutcome, CheckStatus
from greentic_iac.preflight.placeholders import has_placeholders
from greentic_iac.preflight.platforms import detect_platform
from greentic_iac.preflight.probes import KNOWN_PROBES, PROBE_CATALOG, ProbeSpec
from greentic_iac.preflight.report import (
    BindingOutcomes,
    ToolCheckReport,
    build_tool_check_report,
    gate,
    report_from_outcomes,
)
from greentic_iac.preflight.runner import DEFAULT_TIMEOUT, Requirement, run_requirements
from greentic_iac.preflight.tools import install_hint
from greentic_iac.preflight.validation import validate_requirement

__all__ = [
    "BLOCKING_STATUSES",
    "DEFAULT_TIMEOUT",
    "KNOWN_PROBES",
    "KNOWN_TOOLS",
    "PROBE_CATALOG",
    "TOOL_CATALOG",
    "BindingOutcomes",
    "CheckOutcome",
    "CheckStatus",
    "InstallHints",
    "ProbeSpec",
    "Requirement",
    "ToolCheckReport",
    "ToolSpec",
    "build_tool_check_report",
    "detect_platform",
    "gate",
    "has_placeholders",
    "install_hint",
    "report_from_outcomes",
    "run_requirements",
    "validate_requirement",
]
