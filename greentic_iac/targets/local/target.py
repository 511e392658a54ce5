"""The ``greentic.deployer.local-process`` target, as its pack's manifest names it.

Every per-target behaviour the core reaches goes through this one object
(``greentic_iac.plan.target.Target``); see docs/envpacks.md, "writing a deployer plug-in".
"""

from __future__ import annotations

from typing import Final

from greentic_iac.plan.target import Target
from greentic_iac.targets.local import compile_plan

TARGET: Final = Target(
    descriptor="greentic.deployer.local-process",
    compile=compile_plan,
    engine="local",
)
