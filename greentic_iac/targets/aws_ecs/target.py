"""The ``greentic.deployer.aws-ecs`` target, as its pack's manifest names it (``target:``).

Every per-target behaviour the core reaches goes through this one object
(``greentic_iac.plan.target.Target``); see docs/envpacks.md, "writing a deployer plug-in".
"""

from __future__ import annotations

from typing import Final

from greentic_iac.plan.target import Target
from greentic_iac.targets.aws_ecs import compile_plan, reconcile_allocations
from greentic_iac.targets.aws_ecs.credentials_support import BOOTSTRAP, CREDENTIALS
from greentic_iac.targets.aws_ecs.health import health_source
from greentic_iac.targets.aws_ecs.limits import plan_limits
from greentic_iac.targets.aws_ecs.metrics import metric_source
from greentic_iac.targets.aws_ecs.provider_config import provider_config

TARGET: Final = Target(
    descriptor="greentic.deployer.aws-ecs",
    compile=compile_plan,
    reconcile_allocations=reconcile_allocations,
    limits=plan_limits,
    credentials=CREDENTIALS,
    bootstrap=BOOTSTRAP,
    provider_config=provider_config,
    health=health_source,
    metrics=metric_source,
)
