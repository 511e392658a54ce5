"""The ``greentic.deployer.cloud-run`` target, as the pack's manifest names it (``target:``).

Everything the core asks of a deployer goes through this one object
(``greentic_iac.plan.target.Target``); see docs/envpacks.md in greentic-iac, "writing a
deployer plug-in: the Cloud Run example", and this package's docs/cloud-run.md.
"""

from __future__ import annotations

from typing import Final

from greentic_iac.plan.target import Target
from greentic_iac.spec import EnvironmentState
from greentic_iac_gcp.compiler import TARGET as DESCRIPTOR
from greentic_iac_gcp.compiler import compile_plan, load_settings
from greentic_iac_gcp.credentials import CloudRunCredentials
from greentic_iac_gcp.export import EXPORTS
from greentic_iac_gcp.health import cloud_run_health_source
from greentic_iac_gcp.limits import limit_findings
from greentic_iac_gcp.replace_rules import PREVIEW_RULES
from greentic_iac_gcp.weights import URLMAP_METHOD


def provider_config(state: EnvironmentState) -> dict[str, str]:
    """The Google provider's stack settings (never a secret: credentials come from ADC)."""
    settings = load_settings(state)
    return {"gcp:project": settings.project, "gcp:region": settings.region}


TARGET: Final = Target(
    descriptor=DESCRIPTOR,
    compile=compile_plan,
    limits=limit_findings,
    replace_rules=PREVIEW_RULES,
    traffic_method=URLMAP_METHOD,
    engine="pulumi",
    provider_config=provider_config,
    sdk_modules={"gcp:": "pulumi_gcp"},
    # Shown when pulumi_gcp can't be imported: the plug-in itself is installed (it is what
    # answered), so what is missing is its SDK dependency.
    install_hint="pip install 'pulumi-gcp>=8,<11' (greentic-iac-gcp's Pulumi SDK)",
    credentials=CloudRunCredentials(),
    exports=EXPORTS,
    health=cloud_run_health_source,
    summary="Cloud Run service per revision behind a global external Application Load "
    "Balancer; URL map weights 0-1000",
)
