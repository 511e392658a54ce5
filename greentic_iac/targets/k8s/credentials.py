"""Least-privilege RBAC for a Kubernetes plan, and the ``kubectl auth can-i`` checks for it.

``credentials policy ENV`` prints ``rbac_role_for_plan``: a Role in the plan's namespace
for the namespaced kinds it manages (plus the read-only kinds Pulumi watches while it
waits for Deployments and Services to become ready), and a ClusterRole when the plan owns
its Namespace (namespaces are cluster-scoped). ``credentials validate ENV`` runs the
``can_i_requirements`` through preflight's ``kubectl-can-i`` probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import yaml

from greentic_iac.plan import Plan
from greentic_iac.spec.checks import ProbeRequirement

ROLE_NAME: Final = "greentic-iac-deployer"
MANAGE_VERBS: Final = ("get", "list", "watch", "create", "update", "patch", "delete")
READ_VERBS: Final = ("get", "list", "watch")
# What kubectl auth can-i checks per managed kind: enough to prove create/update/delete.
CHECK_VERBS: Final = ("get", "create", "patch", "delete")


@dataclass(frozen=True)
class _Kind:
    group: str
    resource: str

    @property
    def qualified(self) -> str:
        """``deployments.apps``: the form ``kubectl auth can-i`` takes."""
        return f"{self.resource}.{self.group}" if self.group else self.resource


_KINDS: Final = {
    "kubernetes:core/v1:Namespace": _Kind("", "namespaces"),
    "kubernetes:apps/v1:Deployment": _Kind("apps", "deployments"),
    "kubernetes:core/v1:Service": _Kind("", "services"),
    "kubernetes:core/v1:ConfigMap": _Kind("", "configmaps"),
    "kubernetes:networking.k8s.io/v1:Ingress": _Kind("networking.k8s.io", "ingresses"),
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": _Kind(
        "gateway.networking.k8s.io", "httproutes"
    ),
}
# Read by Pulumi's await logic (rollout status, endpoints, events), never written.
_WATCHED: Final = (
    _Kind("", "pods"),
    _Kind("", "events"),
    _Kind("", "endpoints"),
    _Kind("apps", "replicasets"),
    _Kind("discovery.k8s.io", "endpointslices"),
)
_NAMESPACE_TYPE: Final = "kubernetes:core/v1:Namespace"


def namespace_of_plan(plan: Plan) -> str:
    """The namespace the plan deploys into (its setting, or its objects' namespace)."""
    configured = plan.outputs.get("namespace")
    if isinstance(configured, str) and configured:
        return configured
    for resource in plan.resources:
        metadata = resource.properties.get("metadata", {})
        if isinstance(metadata, dict) and metadata.get("namespace"):
            return str(metadata["namespace"])
    return "default"


def _managed_kinds(plan: Plan) -> tuple[bool, list[_Kind]]:
    """(whether the plan owns its Namespace, the namespaced kinds it manages, sorted)."""
    types = {r.type for r in plan.resources}
    namespaced = sorted(
        {_KINDS[t] for t in types if t in _KINDS and t != _NAMESPACE_TYPE},
        key=lambda k: (k.group, k.resource),
    )
    return _NAMESPACE_TYPE in types, namespaced


def _rules(kinds: list[_Kind], verbs: tuple[str, ...]) -> list[dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for kind in kinds:
        groups.setdefault(kind.group, []).append(kind.resource)
    return [
        {"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs)}
        for group, resources in sorted(groups.items())
    ]


def rbac_role_for_plan(plan: Plan) -> str:
    """YAML (one or two documents): the Role, and the ClusterRole if the plan owns its
    Namespace. Bind them to the deployer's identity with a RoleBinding/ClusterRoleBinding."""
    namespace = namespace_of_plan(plan)
    owns_namespace, kinds = _managed_kinds(plan)
    labels = {"app.kubernetes.io/managed-by": "greentic-iac"}
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": ROLE_NAME, "namespace": namespace, "labels": labels},
            "rules": _rules(kinds, MANAGE_VERBS)
            + _rules([k for k in _WATCHED if k not in kinds], READ_VERBS),
        }
    ]
    if owns_namespace:
        documents.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": f"{ROLE_NAME}-{namespace}", "labels": labels},
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": ["namespaces"],
                        "resourceNames": [namespace],
                        "verbs": [v for v in MANAGE_VERBS if v not in {"list", "watch", "create"}],
                    },
                    # create can't be limited by resourceNames (the object doesn't exist yet).
                    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["create"]},
                ],
            }
        )
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def can_i_requirements(plan: Plan, *, context: str | None = None) -> list[ProbeRequirement]:
    """One ``kubectl-can-i`` probe per (verb, kind) the plan needs, in a stable order.

    Params are ``{"verb", "resource", "namespace"}`` (``namespace`` omitted for
    namespaces, which are cluster-scoped) plus ``"context"`` when given.
    """
    namespace = namespace_of_plan(plan)
    owns_namespace, kinds = _managed_kinds(plan)
    checks: list[tuple[str, str, str | None]] = []
    if owns_namespace:
        # The ClusterRole names the namespace, so ask about that one (create can't be).
        checks += [
            (verb, "namespaces" if verb == "create" else f"namespaces/{namespace}", None)
            for verb in CHECK_VERBS
        ]
    checks += [(verb, kind.qualified, namespace) for kind in kinds for verb in CHECK_VERBS]
    requirements: list[ProbeRequirement] = []
    for verb, resource, scope in checks:
        params: dict[str, Any] = {"verb": verb, "resource": resource}
        if scope is not None:
            params["namespace"] = scope
        if context:
            params["context"] = context
        where = f"in namespace {scope}" if scope else "(cluster-scoped)"
        requirements.append(
            ProbeRequirement(
                probe="kubectl-can-i",
                params=params,
                purpose=f"the deployer may {verb} {resource} {where}",
            )
        )
    return requirements
