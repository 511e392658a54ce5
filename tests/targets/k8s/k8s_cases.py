"""Input states for the Kubernetes target's golden plans (fixed ids and timestamps).

Every case is a function of its parameters only: ids are built from indexes, so a golden
file changes only when the compiler's output changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from greentic_iac.spec import (
    BundleDeployment,
    CapabilitySlot,
    Cloud,
    DeploymentCtx,
    Environment,
    EnvironmentState,
    EnvPackBinding,
    PackDescriptor,
    Platform,
    Revision,
    RevisionLifecycle,
    RouteBinding,
    TenantCtx,
    TrafficEntry,
    TrafficPolicy,
    TrafficSplit,
)

GOLDEN_DIR = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("GREENTIC_REGENERATE_GOLDEN") == "1"
CREATED = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
L = RevisionLifecycle

GATEWAY = {"mode": "gateway", "gateway_name": "public", "gateway_namespace": "gateway-system"}
NGINX = {"mode": "nginx", "ingress_class": "nginx"}
ALB = {"mode": "alb", "ingress_class": "alb", "group_name": "greentic-acme"}


def deployment_id(index: int) -> str:
    return f"01JDEP{index:020d}"


def revision_id(deployment_index: int, sequence: int) -> str:
    return f"01JREV{deployment_index:04d}{sequence:016d}"


def digest(deployment_index: int, sequence: int) -> str:
    return "sha256:" + f"{deployment_index:04x}{sequence:04x}" * 8


@dataclass
class DeploymentSpec:
    index: int
    bundle_id: str
    host: str
    # (lifecycle, weight in bps) per revision; sequence = position + 1.
    revisions: list[tuple[RevisionLifecycle, int]]
    path_prefix: str = "/"
    settings: dict[str, Any] = field(default_factory=dict)
    revision_settings: dict[int, dict[str, Any]] = field(default_factory=dict)


def make_state(
    deployments: list[DeploymentSpec],
    *,
    routing: dict[str, Any] | None = None,
    trust_override_header: bool = True,
    settings: dict[str, Any] | None = None,
) -> EnvironmentState:
    deployer_settings: dict[str, Any] = {
        "kube_context": "zain-prod-eks",
        "image": {"repository": "ghcr.io/greentic-ai/bundles/{bundle_id}"},
        "routing": routing or GATEWAY,
        **(settings or {}),
    }
    environment = Environment(
        environment_id="zain-prod",
        tenant=TenantCtx(tenant="acme", team="payments"),
        deployment=DeploymentCtx(cloud=Cloud.AWS, region="eu-west-1", platform=Platform.K8S),
        packs=[
            EnvPackBinding(
                slot=CapabilitySlot.DEPLOYER,
                kind=PackDescriptor.parse("greentic.deployer.k8s@1.0.0"),
                pack_ref="builtin://greentic.deployer.k8s",
                settings=deployer_settings,
            )
        ],
    )
    bundle_deployments: dict[str, BundleDeployment] = {}
    revisions: dict[str, Revision] = {}
    traffic: dict[str, TrafficSplit] = {}
    for spec in deployments:
        dep_id = deployment_id(spec.index)
        bundle_deployments[dep_id] = BundleDeployment(
            deployment_id=dep_id,
            bundle_id=spec.bundle_id,
            customer_id="acme",
            route_binding=RouteBinding(host=spec.host, path_prefix=spec.path_prefix),
            created_at=CREATED,
            settings=spec.settings,
        )
        entries = []
        for position, (lifecycle, bps) in enumerate(spec.revisions):
            sequence = position + 1
            rev_id = revision_id(spec.index, sequence)
            revisions[rev_id] = Revision(
                revision_id=rev_id,
                deployment_id=dep_id,
                bundle_digest=digest(spec.index, sequence),
                sequence=sequence,
                lifecycle=lifecycle,
                created_at=CREATED,
                updated_at=CREATED,
                settings=spec.revision_settings.get(sequence, {}),
            )
            if bps:
                entries.append(TrafficEntry(revision_id=rev_id, weight_bps=bps))
        if entries:
            traffic[dep_id] = TrafficSplit(deployment_id=dep_id, entries=entries, generation=1)
    return EnvironmentState(
        generation=7,
        environment=environment,
        deployments=bundle_deployments,
        revisions=revisions,
        traffic=traffic,
        policy=TrafficPolicy(trust_override_header=trust_override_header),
    )


def _ready(weights: list[int]) -> list[tuple[RevisionLifecycle, int]]:
    return [(L.READY, bps) for bps in weights]


def _one(
    weights: list[int], routing: dict[str, Any], **kwargs: Any
) -> Callable[[], EnvironmentState]:
    def build() -> EnvironmentState:
        spec = DeploymentSpec(1, "hello-flow", "hello.acme.example.com", _ready(weights))
        return make_state([spec], routing=routing, **kwargs)

    return build


def _seventeen() -> list[int]:
    return [588] * 16 + [10_000 - 588 * 16]


STICKY = {"stickiness": {"enabled": True, "cookie_name": "gt-session", "max_age_seconds": 600}}


def _nginx_one_with_warming() -> EnvironmentState:
    spec = DeploymentSpec(
        1, "hello-flow", "hello.acme.example.com", [(L.READY, 10_000), (L.WARMING, 0)]
    )
    return make_state([spec], routing=NGINX)


def _every_lifecycle() -> EnvironmentState:
    spec = DeploymentSpec(
        1,
        "hello-flow",
        "hello.acme.example.com",
        [
            (L.ARCHIVED, 0),
            (L.INACTIVE, 0),
            (L.DRAINING, 0),
            (L.READY, 10_000),
            (L.WARMING, 0),
            (L.STAGED, 0),
        ],
        path_prefix="/hello",
    )
    return make_state([spec], routing=GATEWAY)


def _two_deployments(routing: dict[str, Any]) -> Callable[[], EnvironmentState]:
    def build() -> EnvironmentState:
        first = DeploymentSpec(
            1,
            "hello-flow",
            "hello.acme.example.com",
            _ready([7_500, 2_500]),
            settings={"replicas": 3, "resources": {"limits": {"memory": "512Mi"}}},
        )
        second = DeploymentSpec(
            2,
            "billing.bot_v2",
            "api.acme.example.com",
            _ready([10_000]),
            path_prefix="/billing",
            revision_settings={1: {"port": 9090}},
        )
        return make_state([first, second], routing=routing)

    return build


def _untrusted_header() -> EnvironmentState:
    return _one([9_000, 1_000], NGINX, trust_override_header=False)()


def _hardened_off() -> EnvironmentState:
    spec = DeploymentSpec(1, "legacy-flow", "legacy.acme.example.com", _ready([10_000]))
    return make_state(
        [spec],
        routing={"mode": "nginx"},
        settings={
            "namespace": "legacy",
            "create_namespace": False,
            "image_pull_secrets": ["ghcr-pull"],
            "probes": {"readiness_path": "/ready", "liveness_path": None},
            "pod_security": {"read_only_root_filesystem": False, "run_as_user": 10001},
        },
    )


def _no_traffic() -> EnvironmentState:
    spec = DeploymentSpec(1, "hello-flow", "hello.acme.example.com", [(L.STAGED, 0)])
    return make_state([spec], routing=GATEWAY)


CASES: dict[str, Callable[[], EnvironmentState]] = {
    "gateway-1-weighted": _one([10_000], GATEWAY),
    "gateway-2-weighted-sticky": _one([9_000, 1_000], GATEWAY, settings=STICKY),
    "gateway-3-weighted": _one([5_000, 3_000, 2_000], GATEWAY),
    "gateway-16-weighted-pins-capped": _one([625] * 16, GATEWAY),
    "gateway-17-weighted-refused": _one(_seventeen(), GATEWAY),
    "nginx-1-weighted-canary-header": _nginx_one_with_warming,
    "nginx-2-weighted-sticky": _one([9_000, 1_000], NGINX, settings=STICKY),
    "nginx-2-weighted-untrusted-header": _untrusted_header,
    "nginx-3-weighted-refused": _one([5_000, 3_000, 2_000], NGINX),
    "alb-1-weighted": _one([10_000], ALB),
    "alb-2-weighted-sticky": _one([9_000, 1_000], ALB, settings=STICKY),
    "alb-3-weighted-rounded": _one([3_333, 3_333, 3_334], ALB),
    "alb-6-weighted-refused": _one([5_000, 1_000, 1_000, 1_000, 1_000, 1_000], ALB),
    "lifecycle-every-state": _every_lifecycle,
    "two-deployments-one-namespace-gateway": _two_deployments(GATEWAY),
    "two-deployments-one-namespace-nginx": _two_deployments(NGINX),
    "settings-hardening-off-existing-namespace": _hardened_off,
    "no-traffic-split": _no_traffic,
}
