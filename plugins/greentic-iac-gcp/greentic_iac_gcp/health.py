"""The Cloud Run target's health source (``Target.health``): is revision R's service serving.

One ``gcloud run services describe`` per check, bounded by the context's timeout (the
core's ``run_bounded`` kills the whole process group at the deadline). A revision is
healthy when its service's ``Ready`` condition is ``True`` and the newest revision of the
service is the one serving (``latestReadyRevisionName == latestCreatedRevisionName``: a
failed template change leaves an older revision ready). The service's name comes from the
same naming function the compiler uses, so it is never guessed.

Cloud Run reports no instance counts, so ``ready_replicas`` and ``desired_replicas`` are
the revision's ``min_instances`` when healthy (0 ready otherwise): the numbers say what
was asked for, not what was counted. A failing call is an unhealthy answer naming the
call, never an exception.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from typing import Any, Final

from greentic_iac.plan.target import RevisionHealth, TargetContext
from greentic_iac.preflight.platforms import detect_platform
from greentic_iac.preflight.process import run_bounded, truncate
from greentic_iac.preflight.tools import install_hint
from greentic_iac.spec import EnvironmentState
from greentic_iac_gcp.compiler import load_settings
from greentic_iac_gcp.naming import service_name
from greentic_iac_gcp.settings import ServiceSettings, merged_service_settings

_QUIET: Final = {
    "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
    "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
}


def _ready_condition(document: Any) -> dict[str, Any] | None:
    status = document.get("status") if isinstance(document, dict) else None
    conditions = status.get("conditions") if isinstance(status, dict) else None
    for condition in conditions if isinstance(conditions, list) else []:
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition
    return None


@dataclass(frozen=True)
class CloudRunHealthSource:
    state: EnvironmentState
    context: TargetContext

    def _env(self) -> dict[str, str]:
        return {**(self.context.options.get("env") or os.environ), **_QUIET}

    def _settings(self, revision_id: str) -> ServiceSettings:
        revision = self.state.revisions[revision_id]
        base = load_settings(self.state).service
        deployment = self.state.deployments.get(revision.deployment_id)
        merged = merged_service_settings(base, deployment.settings if deployment else {})
        return merged_service_settings(merged, revision.settings)

    def _unhealthy(self, revision_id: str, desired: int, message: str) -> RevisionHealth:
        return RevisionHealth(revision_id, False, 0, desired, message)

    def _describe(self, name: str) -> Any:
        """The service's description, or the message saying why there is none (a str)."""
        settings = load_settings(self.state)
        env = self._env()
        gcloud = shutil.which("gcloud", path=env.get("PATH"))
        if gcloud is None:
            hint = install_hint("gcloud", detect_platform(), "Cloud Run health checks")
            return f"gcloud not found on PATH; {hint}"
        argv = [gcloud, "run", "services", "describe", name, f"--region={settings.region}"]
        argv += [f"--project={settings.project}", "--format=json"]
        result = run_bounded(argv, timeout=self.context.timeout, env=env)
        call = f"`gcloud run services describe {name}`"
        if result.timed_out:
            return f"{call} took longer than {self.context.timeout:g}s"
        if not result.ok:
            return (
                f"{call} exited {result.returncode}: {truncate(result.stderr) or '(no output)'}"
                " (is the plan applied?)"
            )
        try:
            return json.loads(result.stdout)
        except ValueError:
            return f"{call} printed no JSON"

    def revision_health(self, revision_id: str) -> RevisionHealth:
        if revision_id not in self.state.revisions:
            return RevisionHealth(revision_id, False, 0, 0, "no such revision in the state")
        desired = self._settings(revision_id).min_instances
        name = service_name(self.state.environment.environment_id, revision_id)
        document = self._describe(name)
        if isinstance(document, str):
            return self._unhealthy(revision_id, desired, document)
        ready = _ready_condition(document)
        if ready is None or ready.get("status") != "True":
            reason = (ready or {}).get("message") or (ready or {}).get("reason") or "not ready"
            return self._unhealthy(revision_id, desired, f"service {name}: {reason}")
        status = document["status"]
        latest = status.get("latestCreatedRevisionName")
        serving = status.get("latestReadyRevisionName")
        if latest != serving:
            return self._unhealthy(
                revision_id,
                desired,
                f"service {name}: its newest revision {latest} is not ready ({serving} serves)",
            )
        return RevisionHealth(revision_id, True, desired, desired, f"service {name} is ready")


def cloud_run_health_source(
    state: EnvironmentState, context: TargetContext
) -> CloudRunHealthSource:
    """``Target.health``: the source for ``state``'s revisions."""
    return CloudRunHealthSource(state, context)
