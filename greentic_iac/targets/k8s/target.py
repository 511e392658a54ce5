"""The ``greentic.deployer.k8s`` target, as its pack's manifest names it (``target:``).

Every per-target behaviour the core reaches goes through this one object
(``greentic_iac.plan.target.Target``); see docs/envpacks.md, "writing a deployer plug-in".
"""

from __future__ import annotations

from typing import Final

from greentic_iac.plan.target import Target
from greentic_iac.targets.k8s import compile_plan, reconcile_allocations
from greentic_iac.targets.k8s.provider_config import provider_config

TARGET: Final = Target(
    descriptor="greentic.deployer.k8s",
    compile=compile_plan,
    reconcile_allocations=reconcile_allocations,
    provider_config=provider_config,
)
