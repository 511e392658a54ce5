"""The health interface every target's source answers (issue 19, part 1).

The types belong to the target protocol (``greentic_iac.plan.target``), so a target
package implements a source without importing this layer; they are re-exported here for
the health waits and the rollout runner.
"""

from __future__ import annotations

from greentic_iac.plan.target import HealthSource, RevisionHealth

__all__ = ["HealthSource", "RevisionHealth"]
