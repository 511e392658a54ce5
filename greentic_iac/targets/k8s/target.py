"""The ``greentic.deployer.k8s`` target, as its pack's manifest names it (``target:``).

Every per-target behaviour the core reaches goes through this one object
(``greentic_iac.plan.target.Target``); see docs/envpacks.md, "writing a deployer plug-in".
"""

from __future__ import annotations

from typing import Final

from greentic_iac.plan.target import Target
from greentic_iac.targets.k8s import compile_plan, reconcile_allocations
from greentic_iac.targets.k8s.credentials_support import BOOTSTRAP, CREDENTIALS
from greentic_iac.targets.k8s.export import k8s_yaml_files
from greentic_iac.targets.k8s.health import health_source
from greentic_iac.targets.k8s.limits import plan_limits
from greentic_iac.targets.k8s.metrics import metric_source
from greentic_iac.targets.k8s.provider_config import provider_config

TARGET: Final = Target(
    descriptor="greentic.deployer.k8s",
    compile=compile_plan,
    reconcile_allocations=reconcile_allocations,
    limits=plan_limits,
    credentials=CREDENTIALS,
    bootstrap=BOOTSTRAP,
    exports={"k8s-yaml": k8s_yaml_files},
    provider_config=provider_config,
    health=health_source,
    metrics=metric_source,
)
