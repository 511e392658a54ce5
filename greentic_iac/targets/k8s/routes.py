"""Per-deployment routing in the three modes: Gateway API, ingress-nginx, AWS ALB.

Each builder takes one deployment's ``RouteInput`` and returns its ``RouteResult``: the
route objects, the traffic record (how basis points became the weights written) and any
findings. A split a mode cannot express is refused with an error finding naming the
limit, and that deployment gets no route objects (its workloads are still planned).

Weights:
- gateway (``gateway-bps``): backendRefs weights are the basis points themselves (relative
  integers, max 1000000), so every split is exact;
- nginx (``nginx-canary-bps``): ``canary-weight`` in bps over ``canary-weight-total:
  "10000"``, exact, but ingress-nginx allows one canary per host/path, so two revisions;
- alb (``alb-weight-0-999``): the shared conversion in ``greentic_iac.targets.alb_weights``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.plan import DeploymentTraffic, Finding, PlanResource, RevisionTraffic, Severity
from greentic_iac.spec import BundleDeployment, Revision
from greentic_iac.targets.alb_weights import AlbLimitError, alb_weights
from greentic_iac.targets.k8s.naming import (
    REVISION_HEADER,
    SERVICE_PORT,
    canary_ingress_resource,
    canary_object_name,
    ingress_resource,
    revision_object_name,
    route_object_name,
    route_resource,
)
from greentic_iac.targets.k8s.route_rules import alb_group_order
from greentic_iac.targets.k8s.settings import (
    AlbRouting,
    GatewayRouting,
    NginxRouting,
    Stickiness,
)

HTTPROUTE_TYPE: Final = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS_TYPE: Final = "kubernetes:networking.k8s.io/v1:Ingress"
# Gateway API v1 (standard channel, v1.6.1): per HTTPRoute at most 16 rules, per rule at
# most 16 backendRefs.
GATEWAY_MAX_BACKEND_REFS: Final = 16
GATEWAY_MAX_RULES: Final = 16
NGINX = "nginx.ingress.kubernetes.io"
ALB = "alb.ingress.kubernetes.io"
ALB_WEIGHTED_ACTION: Final = "weighted"


@dataclass(frozen=True)
class RouteInput:
    deployment: BundleDeployment
    namespace: str
    # The pods' HTTP health path (readiness, else liveness); None: the controller's default.
    health_path: str | None
    labels: dict[str, str]
    # Revisions with weight > 0, by sequence, with their bps.
    weighted: list[tuple[Revision, int]]
    # Revisions with pods (warming, ready, draining) a client may pin with the header, by
    # sequence; empty when the environment doesn't trust the override header.
    pinnable: list[Revision]
    stickiness: Stickiness
    # Logical names of the revisions' Services (routes depend on them).
    service_resources: dict[str, str]


@dataclass
class RouteResult:
    resources: list[PlanResource] = field(default_factory=list)
    traffic: DeploymentTraffic | None = None
    findings: list[Finding] = field(default_factory=list)


def _error(code: str, message: str, subject: str) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message, subject=subject)


def _service_name(route: RouteInput, revision: Revision) -> str:
    return revision_object_name(route.deployment, revision)


def _depends_on(route: RouteInput, revisions: list[Revision]) -> list[str]:
    return sorted({route.service_resources[r.revision_id] for r in revisions})


def _exact_traffic(route: RouteInput, method: str) -> DeploymentTraffic:
    return DeploymentTraffic(
        deployment_id=route.deployment.deployment_id,
        method=method,
        revisions=[
            RevisionTraffic(
                revision_id=r.revision_id,
                requested_bps=bps,
                applied_weight=bps,
                effective_bps=float(bps),
            )
            for r, bps in route.weighted
        ],
    )


def _metadata(route: RouteInput, name: str, annotations: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": route.namespace, "labels": route.labels}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return metadata


# ---------------------------------------------------------------- Gateway API (HTTPRoute)


def _gateway_backend(route: RouteInput, revision: Revision, weight: int) -> dict[str, Any]:
    return {
        "group": "",
        "kind": "Service",
        "name": _service_name(route, revision),
        "port": SERVICE_PORT,
        "weight": weight,
    }


def gateway_route(route: RouteInput, routing: GatewayRouting) -> RouteResult:
    deployment = route.deployment
    subject = deployment.deployment_id
    result = RouteResult()
    if len(route.weighted) > GATEWAY_MAX_BACKEND_REFS:
        result.findings.append(
            _error(
                "k8s.gateway.backend-limit",
                f"deployment {subject}: {len(route.weighted)} revisions carry weight but a "
                f"Gateway API HTTPRoute rule takes at most {GATEWAY_MAX_BACKEND_REFS} "
                "backendRefs; move traffic off some revisions first",
                subject,
            )
        )
        return result
    pinned = route.pinnable
    if 1 + len(pinned) > GATEWAY_MAX_RULES:
        # Pins are a testing aid, the split is the contract: keep the newest revisions'
        # pins (the ones being tried out) and say which were left out.
        pinned = pinned[-(GATEWAY_MAX_RULES - 1) :]
        left_out = len(route.pinnable) - len(pinned)
        result.findings.append(
            Finding(
                severity=Severity.WARNING,
                code="k8s.gateway.rule-limit",
                message=(
                    f"deployment {subject}: {len(route.pinnable)} revisions have pods but an "
                    f"HTTPRoute takes at most {GATEWAY_MAX_RULES} rules (one is the weighted "
                    f"rule), so the {left_out} oldest can't be pinned with {REVISION_HEADER}"
                ),
                subject=subject,
            )
        )
    path = {"type": "PathPrefix", "value": deployment.route_binding.path_prefix}
    # Header rules first for readability; Gateway API precedence already prefers the rule
    # with more header matches over the plain path rule.
    rules: list[dict[str, Any]] = [
        {
            "matches": [
                {
                    "path": path,
                    "headers": [
                        {"type": "Exact", "name": REVISION_HEADER, "value": revision.revision_id}
                    ],
                }
            ],
            "backendRefs": [_gateway_backend(route, revision, 1)],
        }
        for revision in pinned
    ]
    rules.append(
        {
            "matches": [{"path": path}],
            "backendRefs": [_gateway_backend(route, r, bps) for r, bps in route.weighted],
        }
    )
    parent: dict[str, Any] = {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": routing.gateway_name,
    }
    if routing.gateway_namespace:
        parent["namespace"] = routing.gateway_namespace
    if routing.section_name:
        parent["sectionName"] = routing.section_name
    manifest = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": _metadata(route, route_object_name(deployment), {}),
        "spec": {
            "parentRefs": [parent],
            "hostnames": [deployment.route_binding.host],
            "rules": rules,
        },
    }
    referenced = [r for r, _ in route.weighted] + pinned
    result.resources.append(
        PlanResource(
            type=HTTPROUTE_TYPE,
            name=route_resource(deployment),
            properties=manifest,
            depends_on=_depends_on(route, referenced),
        )
    )
    result.traffic = _exact_traffic(route, "gateway-bps")
    if route.stickiness.enabled:
        # The header rules exist only when the environment trusts the override header.
        pin = (
            f"clients can pin a revision with {REVISION_HEADER}"
            if route.pinnable
            else "set the environment policy's trust_override_header to let clients pin a "
            f"revision with {REVISION_HEADER}"
        )
        result.findings.append(
            Finding(
                severity=Severity.WARNING,
                code="k8s.gateway.stickiness-not-portable",
                message=(
                    f"deployment {subject}: cookie session persistence is not in the Gateway "
                    "API standard channel (HTTPRoute sessionPersistence is experimental), so "
                    f"it is not written; {pin}"
                ),
                subject=subject,
            )
        )
    return result


# ---------------------------------------------------------------- ingress-nginx


def _ingress_spec(route: RouteInput, ingress_class: str, backend: dict[str, Any]) -> dict[str, Any]:
    binding = route.deployment.route_binding
    return {
        "ingressClassName": ingress_class,
        "rules": [
            {
                "host": binding.host,
                "http": {
                    "paths": [
                        {"path": binding.path_prefix, "pathType": "Prefix", "backend": backend}
                    ]
                },
            }
        ],
    }


def _service_backend(name: str, port: int) -> dict[str, Any]:
    return {"service": {"name": name, "port": {"number": port}}}


def _nginx_affinity(stickiness: Stickiness) -> dict[str, str]:
    if not stickiness.enabled:
        return {}
    return {
        f"{NGINX}/affinity": "cookie",
        f"{NGINX}/affinity-mode": "persistent",
        # A client that landed on the canary stays there (ingress-nginx's default, explicit).
        f"{NGINX}/affinity-canary-behavior": "sticky",
        f"{NGINX}/session-cookie-name": stickiness.cookie_name,
        f"{NGINX}/session-cookie-max-age": str(stickiness.max_age_seconds),
    }


def nginx_route(route: RouteInput, routing: NginxRouting) -> RouteResult:
    deployment = route.deployment
    subject = deployment.deployment_id
    result = RouteResult()
    if len(route.weighted) > 2:
        result.findings.append(
            _error(
                "k8s.nginx.canary-limit",
                f"deployment {subject}: {len(route.weighted)} revisions carry weight but "
                "ingress-nginx allows one canary Ingress per host/path (two revisions); use "
                "routing mode gateway or move traffic off some revisions first",
                subject,
            )
        )
        return result
    stable = route.weighted[0][0]
    if len(route.weighted) == 2:
        canary: Revision | None = route.weighted[1][0]
        canary_bps = route.weighted[1][1]
    else:
        # One weighted revision: the canary Ingress (weight 0) still lets a client reach the
        # newest other revision with pods through the override header, before it gets weight.
        others = [r for r in route.pinnable if r.revision_id != stable.revision_id]
        canary, canary_bps = (others[-1], 0) if others else (None, 0)
    affinity = _nginx_affinity(route.stickiness)
    result.resources.append(
        PlanResource(
            type=INGRESS_TYPE,
            name=ingress_resource(deployment),
            properties={
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": _metadata(route, route_object_name(deployment), affinity),
                "spec": _ingress_spec(
                    route,
                    routing.ingress_class,
                    _service_backend(_service_name(route, stable), SERVICE_PORT),
                ),
            },
            depends_on=_depends_on(route, [stable]),
        )
    )
    if canary is not None:
        annotations = {
            f"{NGINX}/canary": "true",
            f"{NGINX}/canary-weight": str(canary_bps),
            f"{NGINX}/canary-weight-total": "10000",
            **affinity,
        }
        if any(r.revision_id == canary.revision_id for r in route.pinnable):
            annotations[f"{NGINX}/canary-by-header"] = REVISION_HEADER
            annotations[f"{NGINX}/canary-by-header-value"] = canary.revision_id
        result.resources.append(
            PlanResource(
                type=INGRESS_TYPE,
                name=canary_ingress_resource(deployment),
                properties={
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "metadata": _metadata(route, canary_object_name(deployment), annotations),
                    "spec": _ingress_spec(
                        route,
                        routing.ingress_class,
                        _service_backend(_service_name(route, canary), SERVICE_PORT),
                    ),
                },
                # ingress-nginx ignores a canary whose main Ingress doesn't exist yet.
                depends_on=sorted({ingress_resource(deployment), *_depends_on(route, [canary])}),
            )
        )
    result.traffic = _exact_traffic(route, "nginx-canary-bps")
    return result


# ---------------------------------------------------------------- AWS Load Balancer Controller


def _alb_pin_action(revision: Revision) -> str:
    return f"pin-{revision.revision_id.lower()}"


def alb_route(route: RouteInput, routing: AlbRouting) -> RouteResult:
    deployment = route.deployment
    subject = deployment.deployment_id
    result = RouteResult()
    requested = {r.revision_id: bps for r, bps in route.weighted}
    try:
        converted = alb_weights(requested)
    except AlbLimitError as exc:
        result.findings.append(_error("k8s.alb.limit", f"deployment {subject}: {exc}", subject))
        return result
    by_id = {r.revision_id: r for r, _ in route.weighted}
    forward: dict[str, Any] = {
        "targetGroups": [
            {
                "serviceName": _service_name(route, by_id[revision_id]),
                "servicePort": SERVICE_PORT,
                "weight": weight,
            }
            for revision_id, weight in converted.weighted().items()
        ]
    }
    if route.stickiness.enabled:
        forward["targetGroupStickinessConfig"] = {
            "enabled": True,
            "durationSeconds": route.stickiness.max_age_seconds,
        }
    annotations: dict[str, str] = {
        f"{ALB}/scheme": routing.scheme,
        # ClusterIP Services: the ALB targets pod IPs directly.
        f"{ALB}/target-type": "ip",
        f"{ALB}/actions.{ALB_WEIGHTED_ACTION}": json.dumps(
            {"type": "forward", "forwardConfig": forward}, sort_keys=True, separators=(",", ":")
        ),
    }
    if route.health_path:
        # Without it the controller health-checks "/", which pods need not answer.
        annotations[f"{ALB}/healthcheck-path"] = route.health_path
    binding = deployment.route_binding
    if routing.group_name:
        annotations[f"{ALB}/group.name"] = routing.group_name
        # The group's Ingresses are evaluated by order, then by name: order them by the
        # one precedence every target uses (exact host, then longest path).
        annotations[f"{ALB}/group.order"] = str(alb_group_order(binding.host, binding.path_prefix))
    if routing.certificate_arn:
        annotations[f"{ALB}/certificate-arn"] = routing.certificate_arn
        annotations[f"{ALB}/listen-ports"] = '[{"HTTPS":443}]'
    paths: list[dict[str, Any]] = []
    # The controller turns paths into listener rules in order: header pins first.
    for revision in route.pinnable:
        action = _alb_pin_action(revision)
        annotations[f"{ALB}/actions.{action}"] = json.dumps(
            {
                "type": "forward",
                "forwardConfig": {
                    "targetGroups": [
                        {"serviceName": _service_name(route, revision), "servicePort": SERVICE_PORT}
                    ]
                },
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        annotations[f"{ALB}/conditions.{action}"] = json.dumps(
            [
                {
                    "field": "http-header",
                    "httpHeaderConfig": {
                        "httpHeaderName": REVISION_HEADER,
                        "values": [revision.revision_id],
                    },
                }
            ],
            sort_keys=True,
            separators=(",", ":"),
        )
        paths.append(_alb_path(binding.path_prefix, action))
    paths.append(_alb_path(binding.path_prefix, ALB_WEIGHTED_ACTION))
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _metadata(route, route_object_name(deployment), annotations),
        "spec": {
            "ingressClassName": routing.ingress_class,
            "rules": [{"host": binding.host, "http": {"paths": paths}}],
        },
    }
    result.resources.append(
        PlanResource(
            type=INGRESS_TYPE,
            name=ingress_resource(deployment),
            properties=manifest,
            depends_on=_depends_on(route, [r for r, _ in route.weighted] + route.pinnable),
        )
    )
    result.traffic = converted.deployment_traffic(subject)
    if converted.max_error_bps > 0:
        result.findings.append(
            Finding(
                severity=Severity.WARNING if converted.max_error_bps > 10 else Severity.INFO,
                code="k8s.alb.rounding",
                message=(
                    f"deployment {subject}: ALB weights 0-999 express the split to within "
                    f"{converted.max_error_bps} bps"
                ),
                subject=subject,
            )
        )
    return result


def _alb_path(prefix: str, action: str) -> dict[str, Any]:
    return {
        "path": prefix,
        "pathType": "Prefix",
        "backend": {"service": {"name": action, "port": {"name": "use-annotation"}}},
    }


__all__ = [
    "GATEWAY_MAX_BACKEND_REFS",
    "HTTPROUTE_TYPE",
    "INGRESS_TYPE",
    "RouteInput",
    "RouteResult",
    "alb_route",
    "gateway_route",
    "nginx_route",
]
