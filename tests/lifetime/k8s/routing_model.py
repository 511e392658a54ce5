"""What the cluster's route objects do: the weights they hold and which route a request hits.

Read from the objects stored in the API model (not from the plan), each the way its
controller reads it: Gateway API HTTPRoutes (backendRefs weights; precedence by the spec:
exact host, then the longest matching wildcard, then the longest path prefix), ingress-nginx
(stable Ingress plus canary weight over canary-weight-total; exact ``server_name`` before
wildcards, longest location first) and the AWS Load Balancer Controller (the ``weighted``
forward action; an IngressGroup's rules evaluated by ``group.order``, then by Ingress
namespace/name, then in path order within an Ingress, first match wins).
"""

from __future__ import annotations

import json
from typing import Any

from tests.lifetime.k8s.api_model import Cluster

ALB = "alb.ingress.kubernetes.io"
NGINX = "nginx.ingress.kubernetes.io"
DEPLOYMENT_LABEL = "greentic.ai/deployment"


def _annotations(manifest: dict[str, Any]) -> dict[str, str]:
    return dict(manifest["metadata"].get("annotations") or {})


def route_objects(cluster: Cluster, namespaces: set[str] | None = None) -> list[dict[str, Any]]:
    return [
        stored.manifest
        for (namespace, kind, _), stored in sorted(cluster.objects.items(), key=lambda i: str(i[0]))
        if kind in {"HTTPRoute", "Ingress"} and (namespaces is None or namespace in namespaces)
    ]


def _backend_service(manifest: dict[str, Any]) -> str:
    return str(manifest["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"])


def live_weights(
    cluster: Cluster, namespace: str, environment_id: str
) -> dict[str, dict[str, int]]:
    """Per deployment id of the environment, Service name -> weight written (> 0 only)."""
    weights: dict[str, dict[str, int]] = {}
    stable: dict[str, str] = {}
    canary_total: dict[str, int] = {}
    for manifest in route_objects(cluster, {namespace}):
        if manifest["metadata"]["labels"].get("greentic.ai/environment") != environment_id:
            continue  # a shared namespace holds other environments' routes too
        deployment = manifest["metadata"]["labels"][DEPLOYMENT_LABEL]
        found = weights.setdefault(deployment, {})
        annotations = _annotations(manifest)
        if manifest["kind"] == "HTTPRoute":
            for rule in manifest["spec"]["rules"]:
                if not any("headers" in match for match in rule["matches"]):
                    found.update({ref["name"]: ref["weight"] for ref in rule["backendRefs"]})
        elif f"{ALB}/actions.weighted" in annotations:
            action = json.loads(annotations[f"{ALB}/actions.weighted"])
            for group in action["forwardConfig"]["targetGroups"]:
                found[group["serviceName"]] = group["weight"]
        elif annotations.get(f"{NGINX}/canary") == "true":
            # ingress-nginx: the canary gets canary-weight of canary-weight-total, the stable
            # Ingress the rest.
            assert annotations[f"{NGINX}/canary-weight-total"] == "10000"
            weight = int(annotations[f"{NGINX}/canary-weight"])
            found[_backend_service(manifest)] = weight
            canary_total[deployment] = canary_total.get(deployment, 0) + weight
        else:
            stable[deployment] = _backend_service(manifest)
    for deployment, service in stable.items():
        weights[deployment][service] = 10_000 - canary_total.get(deployment, 0)
    return {
        deployment: {name: weight for name, weight in found.items() if weight > 0}
        for deployment, found in weights.items()
    }


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def _prefix_matches(prefix: str, path: str) -> bool:
    trimmed = prefix.rstrip("/")
    return not trimmed or path == trimmed or path.startswith(trimmed + "/")


def _candidates(manifests: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str, str]]:
    """(manifest, host, path prefix) for each weighted route object."""
    out = []
    for manifest in manifests:
        if _annotations(manifest).get(f"{NGINX}/canary") == "true":
            continue
        if manifest["kind"] == "HTTPRoute":
            for host in manifest["spec"]["hostnames"]:
                for rule in manifest["spec"]["rules"]:
                    for match in rule["matches"]:
                        if "headers" not in match:
                            out.append((manifest, host, match["path"]["value"]))
        else:
            for rule in manifest["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    out.append((manifest, rule["host"], path["path"]))
    return out


def routed_deployment(manifests: list[dict[str, Any]], host: str, path: str) -> str | None:
    """The deployment id a request for (host, path) reaches, as the controller decides."""
    candidates = _candidates(manifests)
    if not candidates:
        return None
    if all(
        m["kind"] == "Ingress" and f"{ALB}/actions.weighted" in _annotations(m)
        for m, _, _ in candidates
    ):
        ordered = sorted(
            candidates,
            key=lambda c: (
                int(_annotations(c[0]).get(f"{ALB}/group.order", "0")),
                c[0]["metadata"]["namespace"],
                c[0]["metadata"]["name"],
            ),
        )  # a stable sort keeps the path order inside one Ingress
        for manifest, pattern, prefix in ordered:
            if _host_matches(pattern, host) and _prefix_matches(prefix, path):
                return str(manifest["metadata"]["labels"][DEPLOYMENT_LABEL])
        return None
    # Gateway API and ingress-nginx: the most specific match, by their own definitions.
    best: tuple[tuple[bool, int, int], str] | None = None
    for manifest, pattern, prefix in candidates:
        if not (_host_matches(pattern, host) and _prefix_matches(prefix, path)):
            continue
        key = (not pattern.startswith("*."), len(pattern), len(prefix.rstrip("/")))
        if best is None or key > best[0]:
            best = (key, str(manifest["metadata"]["labels"][DEPLOYMENT_LABEL]))
    return best[1] if best is not None else None
