"""The Namespace and, per revision, the Deployment and Service manifests.

Each manifest is a complete Kubernetes object (apiVersion, kind, metadata, spec): the same
dict is the Pulumi input and the exported YAML. Replicas follow the revision lifecycle
(``replicas_for``); an archived revision has no objects at all.
"""

from __future__ import annotations

from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import BundleDeployment, Environment, Revision, RevisionLifecycle
from greentic_iac.targets.k8s.naming import (
    CONTAINER_NAME,
    LABEL_PREFIX,
    PORT_NAME,
    SERVICE_PORT,
    context_labels,
    deployment_labels,
    revision_labels,
    revision_object_name,
    selector_labels,
)
from greentic_iac.targets.k8s.settings import K8sSettings, ResourceQuantities

_SCALED_UP = frozenset({RevisionLifecycle.WARMING, RevisionLifecycle.READY})


def replicas_for(revision: Revision, configured: int) -> int | None:
    """Pods a revision runs: staged/inactive 0, warming/ready/draining the configured count.

    Draining keeps its pods (weight is already 0) so in-flight connections finish; None
    means the revision has no objects (archived).
    """
    if revision.lifecycle == RevisionLifecycle.ARCHIVED:
        return None
    if revision.lifecycle in _SCALED_UP or revision.lifecycle == RevisionLifecycle.DRAINING:
        return configured
    return 0


def image_for(deployment: BundleDeployment, revision: Revision, settings: K8sSettings) -> str:
    """``Revision.image`` if set, else ``<repository>@<bundle_digest>``."""
    if revision.image:
        return revision.image
    repository = settings.image.repository
    if not repository:
        raise InvalidInputError(
            f"revisions.{revision.revision_id}.image: no container image; set the deployer "
            "setting image.repository or the revision's image"
        )
    return f"{repository.replace('{bundle_id}', deployment.bundle_id)}@{revision.bundle_digest}"


def namespace_manifest(
    environment: Environment, name: str, settings: K8sSettings
) -> dict[str, Any]:
    labels = context_labels(environment)
    if settings.pod_security.is_restricted:
        # The cluster enforces what the pod templates already promise.
        labels["pod-security.kubernetes.io/enforce"] = "restricted"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(sorted(labels.items()))},
    }


def _quantities(quantities: ResourceQuantities) -> dict[str, str]:
    return {k: v for k, v in (("cpu", quantities.cpu), ("memory", quantities.memory)) if v}


def _probe(path: str, period: int, initial_delay: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": PORT_NAME},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "failureThreshold": 3,
    }


def config_map_manifest(
    environment: Environment,
    namespace: str,
    deployment: BundleDeployment,
    name: str,
    config: list[tuple[str, str]],
) -> dict[str, Any]:
    """A deployment's application config; immutable (a change is a new, hash-named map)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": deployment_labels(environment, deployment),
        },
        "immutable": True,
        "data": dict(config),
    }


def _container(
    environment: Environment,
    deployment: BundleDeployment,
    revision: Revision,
    settings: K8sSettings,
    config_map: str | None,
) -> dict[str, Any]:
    security = settings.pod_security
    container_security: dict[str, Any] = {
        "allowPrivilegeEscalation": security.allow_privilege_escalation,
        "readOnlyRootFilesystem": security.read_only_root_filesystem,
    }
    if security.drop_all_capabilities:
        container_security["capabilities"] = {"drop": ["ALL"]}
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": image_for(deployment, revision, settings),
        "imagePullPolicy": settings.image.pull_policy,
        "ports": [{"name": PORT_NAME, "containerPort": settings.port, "protocol": "TCP"}],
        "env": [
            {"name": "PORT", "value": str(settings.port)},
            {"name": "GREENTIC_ENVIRONMENT", "value": environment.environment_id},
            {"name": "GREENTIC_TENANT", "value": environment.tenant.tenant},
            {"name": "GREENTIC_DEPLOYMENT_ID", "value": deployment.deployment_id},
            {"name": "GREENTIC_REVISION_ID", "value": revision.revision_id},
            {"name": "GREENTIC_BUNDLE_DIGEST", "value": revision.bundle_digest},
        ],
        # The explicit env above wins over envFrom: config can't fake the identity.
        **({"envFrom": [{"configMapRef": {"name": config_map}}]} if config_map else {}),
        "resources": {
            key: value
            for key, value in (
                ("requests", _quantities(settings.resources.requests)),
                ("limits", _quantities(settings.resources.limits)),
            )
            if value
        },
        "securityContext": container_security,
        # A read-only root filesystem still needs somewhere to write temporary files.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
    }
    if revision.command:
        container["command"] = list(revision.command)
    if settings.probes.readiness_path:
        container["readinessProbe"] = _probe(settings.probes.readiness_path, 5, 0)
    if settings.probes.liveness_path:
        container["livenessProbe"] = _probe(settings.probes.liveness_path, 10, 10)
    return container


def deployment_manifest(
    environment: Environment,
    namespace: str,
    deployment: BundleDeployment,
    revision: Revision,
    settings: K8sSettings,
    *,
    replicas: int,
    config_map: str | None = None,
) -> dict[str, Any]:
    labels = revision_labels(environment, deployment, revision)
    security = settings.pod_security
    pod_security: dict[str, Any] = {"runAsNonRoot": security.run_as_non_root}
    if security.run_as_user is not None:
        pod_security["runAsUser"] = security.run_as_user
    if security.seccomp_runtime_default:
        pod_security["seccompProfile"] = {"type": "RuntimeDefault"}
    pod_spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": pod_security,
        "containers": [_container(environment, deployment, revision, settings, config_map)],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if settings.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": name} for name in settings.image_pull_secrets]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": revision_object_name(deployment, revision),
            "namespace": namespace,
            "labels": labels,
            "annotations": {
                f"{LABEL_PREFIX}/bundle-digest": revision.bundle_digest,
                f"{LABEL_PREFIX}/lifecycle": revision.lifecycle.value,
            },
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 2,
            "selector": {"matchLabels": selector_labels(revision)},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def service_manifest(
    environment: Environment,
    namespace: str,
    deployment: BundleDeployment,
    revision: Revision,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": revision_object_name(deployment, revision),
            "namespace": namespace,
            "labels": revision_labels(environment, deployment, revision),
        },
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(revision),
            "ports": [
                {
                    "name": PORT_NAME,
                    "port": SERVICE_PORT,
                    "targetPort": PORT_NAME,
                    "protocol": "TCP",
                }
            ],
        },
    }
