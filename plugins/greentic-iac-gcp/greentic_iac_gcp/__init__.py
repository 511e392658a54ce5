"""greentic-iac-gcp: the ``greentic.deployer.cloud-run`` deployer pack for greentic-iac.

A separate distribution: it depends on greentic-iac and pulumi-gcp, and greentic-iac finds
it through the ``greentic_iac.envpacks`` entry point; the core names no part of it.
``compile_plan(state) -> Plan`` is the target's compiler, ``TARGET`` (in ``.target``) the
whole target.
"""

from greentic_iac_gcp.compiler import compile_plan, load_settings
from greentic_iac_gcp.settings import CloudRunSettings, ServiceSettings

__all__ = ["CloudRunSettings", "ServiceSettings", "compile_plan", "load_settings"]
