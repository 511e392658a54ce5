"""Kubernetes object names, Pulumi logical names and labels, all derived from ids.

Object names are DNS-1035 labels (a Service name must start with a letter and fit in 63
characters) built from immutable ids only, so staging a revision never renames anything
that already exists. Label values are sanitised to Kubernetes' rules (63 characters,
alphanumeric at both ends); a value that doesn't fit keeps a readable prefix and a hash.
"""

from __future__ import annotations

import json
import re
from typing import Final

from greentic_iac.plan import logical_name, short_hash
from greentic_iac.spec import BundleDeployment, Environment, Revision

LABEL_PREFIX: Final = "greentic.ai"
REVISION_HEADER: Final = "x-greentic-revision"
SERVICE_PORT: Final = 80
PORT_NAME: Final = "http"
CONTAINER_NAME: Final = "bundle"

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_ALNUM = re.compile(r"[A-Za-z0-9]")


def namespace_name(environment: Environment, configured: str | None, *, owned: bool = True) -> str:
    """The configured namespace, else one per environment (``greentic-<tenant>-<env>``).

    An owned namespace has exactly one owner, so the default can't be shared by two
    environments of a tenant; only a namespace the environment does not own (mode
    ``existing``) defaults to the tenant's ``greentic-<tenant>``. Both are DNS labels: a
    name over 63 characters keeps a prefix and ends in a hash of the whole name.
    """
    if configured:
        return configured
    if owned:
        return logical_name("greentic", environment.tenant.tenant, environment.environment_id)
    return tenant_namespace_name(environment)


def tenant_namespace_name(environment: Environment) -> str:
    """``greentic-<tenant>``: the shared tenant namespace (and every namespace before v2)."""
    return logical_name("greentic", environment.tenant.tenant)


def revision_object_name(deployment: BundleDeployment, revision: Revision) -> str:
    """Deployment and Service name of one revision (revision ids are globally unique)."""
    return logical_name("gt", deployment.bundle_id, revision.revision_id)


def route_object_name(deployment: BundleDeployment) -> str:
    """HTTPRoute / stable Ingress name of one deployment."""
    return logical_name("gt", deployment.bundle_id, deployment.deployment_id)


def canary_object_name(deployment: BundleDeployment) -> str:
    return logical_name("gt", deployment.bundle_id, deployment.deployment_id, "canary")


# Pulumi logical names: one per (kind, id), unique across the plan.
def config_hash(config: list[tuple[str, str]]) -> str:
    """A digest of a revision's application config: the suffix of its ConfigMap's name."""
    return short_hash(json.dumps(config, separators=(",", ":")), 10)


def config_map_object_name(deployment: BundleDeployment, digest: str) -> str:
    """``gt-<bundle>-<deployment id>-<config hash>``: a config change is a new name, so
    the Deployments that reference it roll their pods (an edited ConfigMap would not)."""
    return logical_name("gt", deployment.bundle_id, deployment.deployment_id, digest)


def config_map_resource(deployment: BundleDeployment, digest: str) -> str:
    return logical_name("k8s-configmap", deployment.deployment_id, digest)


def namespace_resource() -> str:
    return "k8s-namespace"


def deployment_resource(revision: Revision) -> str:
    return logical_name("k8s-deployment", revision.revision_id)


def service_resource(revision: Revision) -> str:
    return logical_name("k8s-service", revision.revision_id)


def route_resource(deployment: BundleDeployment) -> str:
    return logical_name("k8s-httproute", deployment.deployment_id)


def ingress_resource(deployment: BundleDeployment) -> str:
    return logical_name("k8s-ingress", deployment.deployment_id)


def canary_ingress_resource(deployment: BundleDeployment) -> str:
    return logical_name("k8s-ingress-canary", deployment.deployment_id)


def label_value(text: str) -> str:
    """A valid label value: ``[A-Za-z0-9_.-]``, at most 63, alphanumeric at both ends."""
    value = _LABEL_UNSAFE.sub("-", text)
    start = _ALNUM.search(value)
    if start is None:
        return ""
    value = value[start.start() :]
    while value and not value[-1].isalnum():
        value = value[:-1]
    if len(value) <= 63:
        return value
    return f"{value[:54].rstrip('-_.')}-{short_hash(text)}"


def context_labels(environment: Environment) -> dict[str, str]:
    """Tenant and deployment context (seed 004) plus ownership, on every object."""
    tenant, where = environment.tenant, environment.deployment
    labels = {
        "app.kubernetes.io/managed-by": "greentic-iac",
        "app.kubernetes.io/part-of": "greentic",
        f"{LABEL_PREFIX}/environment": environment.environment_id,
        f"{LABEL_PREFIX}/tenant": label_value(tenant.tenant),
        f"{LABEL_PREFIX}/cloud": where.cloud.value,
        f"{LABEL_PREFIX}/platform": where.platform.value,
    }
    if tenant.team:
        labels[f"{LABEL_PREFIX}/team"] = label_value(tenant.team)
    if where.region:
        labels[f"{LABEL_PREFIX}/region"] = label_value(where.region)
    return {key: value for key, value in sorted(labels.items()) if value}


def deployment_labels(environment: Environment, deployment: BundleDeployment) -> dict[str, str]:
    labels = context_labels(environment)
    labels["app.kubernetes.io/name"] = label_value(deployment.bundle_id)
    labels[f"{LABEL_PREFIX}/deployment"] = deployment.deployment_id
    return dict(sorted(labels.items()))


def selector_labels(revision: Revision) -> dict[str, str]:
    """Immutable once a Deployment exists: ids only, never anything that could change."""
    return {
        f"{LABEL_PREFIX}/deployment": revision.deployment_id,
        f"{LABEL_PREFIX}/revision": revision.revision_id,
    }


def revision_labels(
    environment: Environment, deployment: BundleDeployment, revision: Revision
) -> dict[str, str]:
    labels = deployment_labels(environment, deployment)
    labels["app.kubernetes.io/instance"] = revision_object_name(deployment, revision)
    labels["app.kubernetes.io/version"] = str(revision.sequence)
    labels["app.kubernetes.io/component"] = "bundle-revision"
    labels.update(selector_labels(revision))
    return dict(sorted(labels.items()))
