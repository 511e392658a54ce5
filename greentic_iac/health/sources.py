"""Which health source answers for an environment: the one its deployer pack names.

A deployer manifest names its source's factory by import path (``health:``), exactly as it
names its compiler, so ``revisions warm``, the rollout runner and the operations never name
a target. Every source is built for one environment state and bounds each check in time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Protocol

from greentic_iac.health.local import LocalHealthSource
from greentic_iac.health.model import HealthSource
from greentic_iac.spec.state import EnvironmentState

# Seconds one check may take (a cloud API call, a kubectl run) before it reports unhealthy.
DEFAULT_CHECK_TIMEOUT_SECONDS: Final = 10.0


class HealthSourceFactory(Protocol):
    """What a deployer manifest's ``health:`` import path points at."""

    def __call__(
        self, state: EnvironmentState, *, greentic_home: Path, timeout: float
    ) -> HealthSource: ...


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


def local_health_source(
    state: EnvironmentState, *, greentic_home: Path, timeout: float
) -> LocalHealthSource:
    """The local target's source: the supervisor's health checks of its runtime."""
    from greentic_iac.local.sync import environment_dir

    del timeout  # the runtime's control call has its own bound
    return LocalHealthSource(environment_dir(greentic_home, state.environment.environment_id))
