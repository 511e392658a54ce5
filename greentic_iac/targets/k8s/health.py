"""The Kubernetes target's health source (``Target.health``): the revision Deployment's
status, via kubectl.

``kubectl get deployment NAME -o json`` in the environment's namespace and context, bounded
like every probe (``--request-timeout`` and a process timeout). A revision is healthy when
the controller has observed the current spec, every desired replica is updated and
available (more than zero), and the ``Available`` condition is true. A rollout stuck past
its progress deadline (``Progressing`` false, ``ProgressDeadlineExceeded``) is reported with
the condition's message, which is what a timed-out warm then shows. The Deployment's name and
namespace are read from the compiled plan, never recomputed here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from greentic_iac.plan.model import Plan
from greentic_iac.plan.target import RevisionHealth, TargetContext
from greentic_iac.spec.state import EnvironmentState

DEPLOYMENT_TYPE: Final = "kubernetes:apps/v1:Deployment"
REVISION_LABEL: Final = "greentic.ai/revision"


def revision_object(plan: Plan, type_token: str, revision_id: str) -> tuple[str, str] | None:
    """(namespace, name) of the ``type_token`` object the plan labels with ``revision_id``."""
    for resource in plan.resources:
        if resource.type != type_token:
            continue
        metadata = resource.properties.get("metadata", {})
        if metadata.get("labels", {}).get(REVISION_LABEL) != revision_id:
            continue
        namespace, name = metadata.get("namespace"), metadata.get("name")
        if isinstance(namespace, str) and isinstance(name, str):
            return namespace, name
    return None


def revision_deployment(plan: Plan, revision_id: str) -> tuple[str, str] | None:
    """(namespace, name) of the Deployment the plan gives ``revision_id``."""
    return revision_object(plan, DEPLOYMENT_TYPE, revision_id)


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            return dict(condition)
    return {}


def deployment_health(revision_id: str, document: dict[str, Any]) -> RevisionHealth:
    """Health from one ``kubectl get deployment -o json`` document."""
    spec = document.get("spec") or {}
    status = document.get("status") or {}
    desired = int(spec.get("replicas", 1))
    available = int(status.get("availableReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    progressing = _condition(status, "Progressing")
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        message = progressing.get("message", "")
        return RevisionHealth(
            revision_id, False, available, desired, f"ProgressDeadlineExceeded: {message}"
        )
    if desired == 0:
        return RevisionHealth(
            revision_id, False, 0, 0, "replicas is 0 (apply the plan of this revision)"
        )
    generation = int((document.get("metadata") or {}).get("generation", 0))
    if int(status.get("observedGeneration") or 0) < generation:
        return RevisionHealth(
            revision_id, False, available, desired, "the controller has not observed it yet"
        )
    if updated < desired or available < desired:
        why = f"{available} of {desired} replicas available, {updated} updated"
        if progressing.get("message"):
            why += f"; {progressing['message']}"
        return RevisionHealth(revision_id, False, available, desired, why)
    if _condition(status, "Available").get("status") != "True":
        return RevisionHealth(revision_id, False, available, desired, "Available is not True")
    return RevisionHealth(revision_id, True, available, desired, "")


@dataclass(frozen=True)
class KubernetesHealthSource:
    plan: Plan
    context: str | None
    timeout: float

    def revision_health(self, revision_id: str) -> RevisionHealth:
        from greentic_iac.secrets.errors import SecretsAccessError, SecretsBackendError
        from greentic_iac.secrets.kubectl import Kubectl

        found = revision_deployment(self.plan, revision_id)
        if found is None:
            return RevisionHealth(revision_id, False, 0, 0, "the plan runs no Deployment for it")
        namespace, name = found
        kubectl = Kubectl(namespace=namespace, context=self.context, timeout_seconds=self.timeout)
        what = f"kubectl get deployment {name}"
        try:
            result = kubectl.run(["get", "deployment", name, "-o", "json"], what=what)
        except (SecretsAccessError, SecretsBackendError) as exc:
            return RevisionHealth(revision_id, False, 0, 0, str(exc))
        if result.returncode != 0:
            if "NotFound" in result.stderr:
                return RevisionHealth(
                    revision_id, False, 0, 0, f"deployment {name} not found (apply the plan)"
                )
            return RevisionHealth(revision_id, False, 0, 0, str(kubectl.failure(what, result)))
        try:
            document = json.loads(result.stdout)
        except ValueError:
            return RevisionHealth(revision_id, False, 0, 0, f"{what}: output is not JSON")
        return deployment_health(revision_id, document)


def health_source(state: EnvironmentState, context: TargetContext) -> KubernetesHealthSource:
    """``Target.health`` of ``greentic.deployer.k8s``: kubectl in the settings' context."""
    from greentic_iac.targets.k8s.compiler import compile_plan, settings_for

    return KubernetesHealthSource(
        compile_plan(state), settings_for(state).kube_context, context.timeout
    )
