"""The local target's health source: the supervisor's per-process health checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from greentic_iac.health.model import RevisionHealth


@dataclass(frozen=True)
class LocalHealthSource:
    env_dir: Path

    def revision_health(self, revision_id: str) -> RevisionHealth:
        from greentic_iac.local import runtime_status

        status = runtime_status(self.env_dir)
        if not status.get("running"):
            return RevisionHealth(revision_id, False, 0, 1, "local runtime is not running")
        for deployment in status.get("deployments", []):
            for revision in deployment["revisions"]:
                if revision["revision_id"] != revision_id:
                    continue
                process = revision["process"]
                healthy = bool(process and process.get("healthy"))
                return RevisionHealth(
                    revision_id,
                    healthy,
                    1 if healthy else 0,
                    1,
                    "" if healthy else "health check not passing (or process not running)",
                )
        return RevisionHealth(revision_id, False, 0, 1, "the runtime does not run this revision")

    def is_healthy(self, revision_id: str) -> bool:
        return self.revision_health(revision_id).healthy
