"""Which health source answers for an environment: the one its deployer's Target offers.

``Target.health`` (greentic_iac/plan/target.py) builds it, so ``revisions warm``, the
rollout runner and the operations never name a target. Every source is built for one
environment state and bounds each check in time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from greentic_iac.health.model import HealthSource
from greentic_iac.spec.state import EnvironmentState

# Seconds one check may take (a cloud API call, a kubectl run) before it reports unhealthy.
DEFAULT_CHECK_TIMEOUT_SECONDS: Final = 10.0


def health_source_for(
    state: EnvironmentState,
    *,
    greentic_home: Path,
    timeout: float = DEFAULT_CHECK_TIMEOUT_SECONDS,
) -> HealthSource | None:
    """The environment's health source, or None when its deployer target offers none."""
    from greentic_iac.plan.target import TargetContext
    from greentic_iac.targets import target_for

    factory = target_for(state).health
    if factory is None:
        return None
    return factory(state, TargetContext(greentic_home=greentic_home, timeout=timeout))
