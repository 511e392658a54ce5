"""``credentials bootstrap`` on Kubernetes: a ServiceAccount with exactly the plan's RBAC.

With the environment's kube context (an admin's), bootstrap applies: the ServiceAccount
``greentic-iac-deployer`` in the plan's namespace, the Role (and ClusterRole) that
``credentials policy`` prints, a RoleBinding (ClusterRoleBinding) to the account, and a
``kubernetes.io/service-account-token`` Secret whose token the cluster fills in. It then
writes a kubeconfig for that account (file mode 0600, never inside the rules pack). Each
object is read first and applied only when what bootstrap sets differs, so a second run
changes nothing. When the environment owns its namespace and it doesn't exist yet,
bootstrap creates it, labelled as greentic-iac's: the stack adopts it on its first apply
(Pulumi's server-side apply upserts), and after a ``destroy`` bootstrap must run again.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from greentic_iac.errors import PreflightError
from greentic_iac.plan import Plan
from greentic_iac.secrets.kubectl import Kubectl, KubectlResult
from greentic_iac.targets.k8s.credentials import ROLE_NAME, namespace_of_plan, rbac_role_for_plan

ACCOUNT_NAME: Final = ROLE_NAME
TOKEN_SECRET: Final = f"{ROLE_NAME}-token"
FIELD_MANAGER: Final = "greentic-iac-bootstrap"
_LABELS: Final = {"app.kubernetes.io/managed-by": "greentic-iac"}
_TOKEN_WAIT_STEP: Final = 0.2


def rbac_documents(plan: Plan) -> list[dict[str, Any]]:
    """The Role (and ClusterRole) exactly as ``credentials policy`` prints them."""
    return [d for d in yaml.safe_load_all(rbac_role_for_plan(plan)) if d]


def identity_documents(plan: Plan) -> list[dict[str, Any]]:
    """The ServiceAccount, its token Secret (no data) and the bindings to the roles."""
    namespace = namespace_of_plan(plan)
    subject = {"kind": "ServiceAccount", "name": ACCOUNT_NAME, "namespace": namespace}
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": ACCOUNT_NAME, "namespace": namespace, "labels": _LABELS},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": TOKEN_SECRET,
                "namespace": namespace,
                "labels": _LABELS,
                "annotations": {"kubernetes.io/service-account.name": ACCOUNT_NAME},
            },
        },
    ]
    for role in rbac_documents(plan):
        cluster = role["kind"] == "ClusterRole"
        metadata: dict[str, Any] = {"name": role["metadata"]["name"], "labels": _LABELS}
        if not cluster:
            metadata["namespace"] = namespace
        documents.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
                "metadata": metadata,
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": role["kind"],
                    "name": role["metadata"]["name"],
                },
                "subjects": [subject],
            }
        )
    return documents


def _contains(actual: Any, wanted: Any) -> bool:
    """Whether ``actual`` (the live object) has every field ``wanted`` sets, equal."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            _contains(actual.get(key), value) for key, value in wanted.items()
        )
    return bool(actual == wanted)


@dataclass
class AccountBootstrap:
    namespace: str
    changes: list[str] = field(default_factory=list)
    kubeconfig: bytes = b""

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "service_account": f"{self.namespace}/{ACCOUNT_NAME}",
            "changes": self.changes,
        }


class _Cluster:
    def __init__(self, kubectl: Kubectl) -> None:
        self.kubectl = kubectl

    def run(self, arguments: list[str], what: str, stdin: str = "") -> KubectlResult:
        result = self.kubectl.run(arguments, what=what, stdin=stdin)
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            detail = lines[-1] if lines else f"exit code {result.returncode}"
            raise PreflightError(f"{what}: kubectl failed: {detail[:300]}")
        return result

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        # Always in the plan's namespace: kubectl ignores --namespace for cluster-scoped kinds.
        arguments = ["get", kind, name, "--ignore-not-found", "-o", "json"]
        result = self.run(arguments, f"kubectl get {kind}/{name}")
        if not result.stdout.strip():
            return None
        found: dict[str, Any] = json.loads(result.stdout)
        return found

    def converge(self, document: dict[str, Any], changes: list[str]) -> None:
        metadata = document["metadata"]
        kind, name = document["kind"], metadata["name"]
        live = self.get(kind.lower(), name)
        if live is not None and _contains(live, document):
            return
        self.run(
            ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"],
            f"kubectl apply {kind}/{name}",
            stdin=json.dumps(document),
        )
        changes.append(f"{'created' if live is None else 'updated'} {kind}/{name}")


def bootstrap_account(plan: Plan, *, context: str | None, timeout: float) -> AccountBootstrap:
    """Apply the identity and RBAC objects; return the changes and the kubeconfig bytes."""
    namespace = namespace_of_plan(plan)
    cluster = _Cluster(Kubectl(namespace=namespace, context=context, timeout_seconds=timeout))
    result = AccountBootstrap(namespace)
    owns_namespace = any(r.type == "kubernetes:core/v1:Namespace" for r in plan.resources)
    if owns_namespace and cluster.get("namespace", namespace) is None:
        cluster.converge(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": _LABELS},
            },
            result.changes,
        )
    for document in [*rbac_documents(plan), *identity_documents(plan)]:
        cluster.converge(document, result.changes)
    token, certificate = _token(cluster, timeout)
    result.kubeconfig = _kubeconfig(cluster, namespace, context, token, certificate)
    return result


def _token(cluster: _Cluster, timeout: float) -> tuple[str, str]:
    """The account token the cluster's token controller writes into the Secret."""
    deadline = time.monotonic() + timeout
    while True:
        secret = cluster.get("secret", TOKEN_SECRET) or {}
        data = secret.get("data") or {}
        if data.get("token"):
            token = base64.b64decode(data["token"]).decode()
            return token, str(data.get("ca.crt", ""))
        if time.monotonic() >= deadline:
            raise PreflightError(
                f"secret {TOKEN_SECRET}: the cluster wrote no token within {timeout:g}s "
                "(is the token controller running?)"
            )
        # Polling the API server for a controller's write, bounded by the deadline.
        time.sleep(_TOKEN_WAIT_STEP)


def _kubeconfig(
    cluster: _Cluster, namespace: str, context: str | None, token: str, certificate: str
) -> bytes:
    view = cluster.run(["config", "view", "--minify", "--raw", "-o", "json"], "kubectl config view")
    clusters = json.loads(view.stdout).get("clusters") or [{}]
    source = dict(clusters[0].get("cluster") or {})
    server = source.get("server")
    if not server:
        raise PreflightError("kubectl config view: the context names no cluster server")
    entry: dict[str, Any] = {"server": server}
    if certificate:
        entry["certificate-authority-data"] = certificate
    elif source.get("certificate-authority-data"):
        entry["certificate-authority-data"] = source["certificate-authority-data"]
    name = f"{ACCOUNT_NAME}@{context or clusters[0].get('name', 'cluster')}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": entry}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}
        ],
        "current-context": name,
    }
    return yaml.safe_dump(config, sort_keys=False).encode()
