"""The ``local`` target (``greentic.deployer.local-process``): what the local runtime runs.

A pure compiler like the cloud targets, so ``preview`` and ``diff`` work the same way for
the local environment: one ``greentic:local:Router`` on 127.0.0.1, a ``greentic:local:Route``
per routed deployment (host, path prefix, split in basis points), and a
``greentic:local:RevisionProcess`` per revision in warming, ready or draining. These types
are not Pulumi tokens and are never emitted: the local runtime (``greentic_iac.local``)
applies them from the same state through ``runtime-config.json``. Weights are exact (the
router draws over basis points), so the traffic report shows no rounding.
"""

from __future__ import annotations

from typing import Any, Final

from greentic_iac.plan.model import (
    DeploymentTraffic,
    Finding,
    Plan,
    PlanResource,
    RevisionTraffic,
    Severity,
)
from greentic_iac.plan.names import logical_name
from greentic_iac.spec.lifecycle import RUNNING_STATES, RevisionLifecycle
from greentic_iac.spec.slots import CapabilitySlot
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets import context_tags

TARGET: Final = "greentic.deployer.local-process"
ROUTER_TYPE: Final = "greentic:local:Router"
ROUTE_TYPE: Final = "greentic:local:Route"
PROCESS_TYPE: Final = "greentic:local:RevisionProcess"
DEFAULT_PORT: Final = 8787  # the same default as greentic_iac.local.layout
COOKIE_NAME: Final = "greentic-rev"
ROUTER_NAME: Final = "router"


def _router_settings(state: EnvironmentState) -> dict[str, Any]:
    for binding in state.environment.packs:
        if binding.slot == CapabilitySlot.DEPLOYER:
            return dict(binding.settings)
    return {}


def compile_plan(state: EnvironmentState) -> Plan:
    """The local runtime's resources for ``state`` (pure, deterministic, names from ids)."""
    settings = _router_settings(state)
    resources: list[PlanResource] = [
        PlanResource(
            type=ROUTER_TYPE,
            name=ROUTER_NAME,
            properties={
                "listen": {"host": "127.0.0.1", "port": int(settings.get("port", DEFAULT_PORT))},
                "runtime_config": "runtime-config.json",
                "generation": state.generation,
                "trust_override_header": state.policy.trust_override_header,
                # The key is referenced by its file, never carried as a value.
                "sticky_cookie": {"name": COOKIE_NAME, "key_file": "runtime/cookie.key"},
                "selection_order": ["override-header", "cookie", "session-pin", "weighted"],
                "tags": context_tags(state, prefix="greentic:"),
            },
        )
    ]
    traffic: list[DeploymentTraffic] = []
    findings: list[Finding] = []
    for deployment in state.active_deployments():
        deployment_id = deployment.deployment_id
        split = state.traffic.get(deployment_id)
        live = [r for r in state.revisions_of(deployment_id) if r.lifecycle in RUNNING_STATES]
        if split is None:
            findings.append(
                Finding(
                    severity=Severity.INFO,
                    code="local.no-split",
                    message="deployment has no traffic split yet, so the router does not route it",
                    subject=deployment_id,
                )
            )
            continue
        process_names = []
        for revision in live:
            name = logical_name("process", revision.revision_id)
            process_names.append(name)
            resources.append(
                PlanResource(
                    type=PROCESS_TYPE,
                    name=name,
                    parent=ROUTER_NAME,
                    properties={
                        "deployment_id": deployment_id,
                        "revision_id": revision.revision_id,
                        "bundle_id": deployment.bundle_id,
                        "bundle_digest": revision.bundle_digest,
                        "lifecycle": revision.lifecycle.value,
                        "takes_traffic": revision.lifecycle == RevisionLifecycle.READY,
                        "command": revision.command,
                        "app": "command" if revision.command else "simulated",
                        "health_check": "GET /healthz",
                        "log": f"runtime/logs/{revision.revision_id}.log",
                        "tags": context_tags(
                            state,
                            deployment_id=deployment_id,
                            revision_id=revision.revision_id,
                            prefix="greentic:",
                        ),
                    },
                )
            )
        weights = {e.revision_id: e.weight_bps for e in split.entries if e.weight_bps > 0}
        resources.append(
            PlanResource(
                type=ROUTE_TYPE,
                name=logical_name("route", deployment_id),
                parent=ROUTER_NAME,
                depends_on=sorted(process_names),
                properties={
                    "deployment_id": deployment_id,
                    "bundle_id": deployment.bundle_id,
                    "tenant": deployment.customer_id,
                    "host": deployment.route_binding.host,
                    "path_prefix": deployment.route_binding.path_prefix,
                    "split_generation": split.generation,
                    "weights_bps": dict(sorted(weights.items())),
                },
            )
        )
        traffic.append(
            DeploymentTraffic(
                deployment_id=deployment_id,
                method="local-router-bps",
                revisions=[
                    RevisionTraffic(
                        revision_id=e.revision_id,
                        requested_bps=e.weight_bps,
                        applied_weight=e.weight_bps,
                        effective_bps=float(e.weight_bps),
                    )
                    for e in split.entries
                ],
            )
        )
    return Plan(
        environment_id=state.environment.environment_id,
        target=TARGET,
        resources=resources,
        traffic=traffic,
        findings=findings,
        outputs={"router_url": f"http://127.0.0.1:{int(settings.get('port', DEFAULT_PORT))}"},
    ).canonical()
