"""Wait, bounded and with progress, until a health source reports a revision healthy.

The clock and the sleep are parameters so that a test drives minutes of waiting with no
real pause; progress is reported only when what the source says changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from greentic_iac.health.model import HealthSource, RevisionHealth

DEFAULT_POLL_SECONDS: Final = 5.0


@dataclass(frozen=True)
class HealthWait:
    """The outcome of a wait: the last answer, how long it took, how many checks ran."""

    health: RevisionHealth
    waited_seconds: float
    checks: int

    @property
    def healthy(self) -> bool:
        return self.health.healthy


def describe(health: RevisionHealth) -> str:
    state = "healthy" if health.healthy else "not healthy"
    replicas = f"{health.ready_replicas}/{health.desired_replicas} ready"
    return f"{health.revision_id}: {state}, {replicas}" + (
        f" ({health.message})" if health.message else ""
    )


def wait_until_healthy(
    source: HealthSource,
    revision_id: str,
    *,
    timeout: float,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> HealthWait:
    """Check until healthy or ``timeout`` seconds passed (at least one check always runs)."""
    started = clock()
    deadline = started + timeout
    checks = 0
    last_line = ""
    while True:
        health = source.revision_health(revision_id)
        checks += 1
        line = describe(health)
        if progress is not None and line != last_line:
            progress(line)
        last_line = line
        now = clock()
        if health.healthy or now >= deadline:
            return HealthWait(health, now - started, checks)
        sleep(min(poll_seconds, deadline - now))
