"""The health interface every target's source answers (issue 19, part 1).

Defined here by the rollouts work because the per-target sources (ECS, Kubernetes) were
not on main yet; the local source wraps the supervisor's health checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RevisionHealth:
    revision_id: str
    healthy: bool
    ready_replicas: int
    desired_replicas: int
    message: str = ""


class HealthSource(Protocol):
    def revision_health(self, revision_id: str) -> RevisionHealth: ...
