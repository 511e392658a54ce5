"""``compile_plan``: an environment's state in, the Kubernetes plan out (pure, no I/O).

Order of work: settings (binding, then per-deployment and per-revision overrides), the
namespace, per revision a Deployment and a Service (lifecycle decides replicas; archived
revisions have none), per deployment the route of the configured mode. The result is
canonical (sorted) so two compiles of the same state are byte-identical.
"""

from __future__ import annotations

from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import (
    DeploymentTraffic,
    Finding,
    Plan,
    PlanResource,
    ResourceOptions,
    Severity,
)
from greentic_iac.spec import (
    BundleDeployment,
    Environment,
    EnvironmentState,
    Revision,
    RevisionLifecycle,
)
from greentic_iac.spec.lifecycle import RUNNING_STATES
from greentic_iac.targets.k8s import alb_capacity, limits, naming, routes
from greentic_iac.targets.k8s.route_rules import check_route_host, check_route_path
from greentic_iac.targets.k8s.settings import (
    AlbRouting,
    DeploymentOverrides,
    GatewayRouting,
    K8sSettings,
    NginxRouting,
    RevisionOverrides,
    Routing,
    parse_settings,
    with_overrides,
)
from greentic_iac.targets.k8s.workloads import (
    config_map_manifest,
    deployment_manifest,
    namespace_manifest,
    replicas_for,
    service_manifest,
)

TARGET: Final = "greentic.deployer.k8s"
NAMESPACE_TYPE: Final = "kubernetes:core/v1:Namespace"
DEPLOYMENT_TYPE: Final = "kubernetes:apps/v1:Deployment"
SERVICE_TYPE: Final = "kubernetes:core/v1:Service"
CONFIG_MAP_TYPE: Final = "kubernetes:core/v1:ConfigMap"


def settings_for(state: EnvironmentState) -> K8sSettings:
    """The deployer binding's settings, validated (``InvalidInputError`` names the field)."""
    binding = state.environment.deployer()
    if binding is None:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: no deployer env-pack is bound "
            f"(bind {TARGET}@1.0.0)"
        )
    if binding.kind.path != TARGET:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: the deployer is "
            f"{binding.kind.path}, not {TARGET}"
        )
    return parse_settings(binding.settings, "deployer settings")


def compile_plan(state: EnvironmentState) -> Plan:
    """The plan for ``state`` (see docs/targets/k8s.md).

    Raises ``InvalidInputError`` for invalid settings (naming the field) or a revision
    without an image; a split the routing mode can't express is an error finding instead.
    """
    environment = state.environment
    settings = settings_for(state)
    namespace = naming.namespace_name(
        environment, settings.namespace, owned=settings.owns_namespace
    )
    _refuse_namespace_handover(state, settings, namespace)
    resources: list[PlanResource] = []
    traffic: list[DeploymentTraffic] = []
    findings: list[Finding] = []
    namespace_deps: list[str] = []
    if settings.owns_namespace:
        resources.append(
            PlanResource(
                type=NAMESPACE_TYPE,
                name=naming.namespace_resource(),
                properties=namespace_manifest(environment, namespace, settings),
            )
        )
        namespace_deps = [naming.namespace_resource()]
    routes_out: dict[str, Any] = {}
    route_inputs: list[tuple[BundleDeployment, routes.RouteInput | None]] = []
    for deployment in state.active_deployments():
        where = f"deployments.{deployment.deployment_id}.route_binding"
        check_route_host(deployment.route_binding.host, settings.routing.mode, f"{where}.host")
        check_route_path(
            deployment.route_binding.path_prefix, settings.routing.mode, f"{where}.path_prefix"
        )
        deployment_settings = with_overrides(
            settings,
            deployment.settings,
            DeploymentOverrides,
            f"deployments.{deployment.deployment_id}.settings",
        )
        service_resources: dict[str, str] = {}
        for revision in state.revisions_of(deployment.deployment_id):
            revision_settings = with_overrides(
                deployment_settings,
                revision.settings,
                RevisionOverrides,
                f"revisions.{revision.revision_id}.settings",
            )
            replicas = replicas_for(revision, revision_settings.replicas)
            if replicas is None:
                continue
            service_name = naming.service_resource(revision)
            service_resources[revision.revision_id] = service_name
            config_map, config_deps = _config_map(
                state,
                environment=environment,
                namespace=namespace,
                deployment=deployment,
                revision=revision,
                namespace_deps=namespace_deps,
                resources=resources,
            )
            resources.append(
                PlanResource(
                    type=DEPLOYMENT_TYPE,
                    name=naming.deployment_resource(revision),
                    properties=deployment_manifest(
                        environment,
                        namespace,
                        deployment,
                        revision,
                        revision_settings,
                        replicas=replicas,
                        config_map=config_map,
                    ),
                    depends_on=[*namespace_deps, *config_deps],
                    options=_deployment_options(revision),
                )
            )
            resources.append(
                PlanResource(
                    type=SERVICE_TYPE,
                    name=service_name,
                    properties=service_manifest(environment, namespace, deployment, revision),
                    depends_on=namespace_deps,
                )
            )
        route_inputs.append(
            (
                deployment,
                _route_input(state, deployment, deployment_settings, namespace, service_resources),
            )
        )
    if isinstance(settings.routing, AlbRouting):
        # Header pins are a testing aid: at the ALB quota they give way, so warming a
        # revision never refuses the environment's plan (weighted rules still count in full).
        route_inputs, capped = alb_capacity.pins_within_quota(route_inputs)
        findings.extend(capped)
    for deployment, route_input in route_inputs:
        result = _route(route_input, settings.routing) if route_input is not None else None
        if result is None:
            findings.append(
                Finding(
                    severity=Severity.INFO,
                    code="k8s.no-traffic",
                    message=(
                        f"deployment {deployment.deployment_id} has no traffic split yet, so it "
                        "has no route; set one with `traffic set`"
                    ),
                    subject=deployment.deployment_id,
                )
            )
            continue
        for resource in result.resources:
            resource.depends_on = sorted({*resource.depends_on, *namespace_deps})
        resources.extend(result.resources)
        findings.extend(result.findings)
        if result.traffic is not None:
            traffic.append(result.traffic)
            binding = deployment.route_binding
            routes_out[deployment.deployment_id] = {
                "host": binding.host,
                "path_prefix": binding.path_prefix,
            }
    if isinstance(settings.routing, AlbRouting):
        findings.extend(limits.alb_group_findings(resources))
    plan = Plan(
        environment_id=environment.environment_id,
        target=TARGET,
        resources=resources,
        traffic=traffic,
        findings=findings,
        outputs={
            "namespace": namespace,
            "routing_mode": settings.routing.mode,
            "routes": routes_out,
        },
    )
    return plan.canonical()


def _config_map(
    state: EnvironmentState,
    *,
    environment: Environment,
    namespace: str,
    deployment: BundleDeployment,
    revision: Revision,
    namespace_deps: list[str],
    resources: list[PlanResource],
) -> tuple[str | None, list[str]]:
    """The ConfigMap of the revision's config (added to ``resources`` once per content):
    its object name and the resource the Deployment depends on, or ``(None, [])``.

    A draining revision's config is frozen (``config_of``), so it keeps the map it was
    serving with while the others move to the new one."""
    config = state.config_of(revision)
    if not config:
        return None, []
    digest = naming.config_hash(config)
    resource = naming.config_map_resource(deployment, digest)
    name = naming.config_map_object_name(deployment, digest)
    if all(r.name != resource for r in resources):
        resources.append(
            PlanResource(
                type=CONFIG_MAP_TYPE,
                name=resource,
                properties=config_map_manifest(environment, namespace, deployment, name, config),
                depends_on=namespace_deps,
            )
        )
    return name, [resource]


def _deployment_options(revision: Revision) -> ResourceOptions:
    """A draining revision keeps the pod template it was serving with.

    Its pods finish in-flight requests; a settings change (port, resources, probes, image
    rule) would otherwise roll them, cutting those requests. Replicas still follow the
    lifecycle; a revision taken back to ready follows the settings again.
    """
    if revision.lifecycle == RevisionLifecycle.DRAINING:
        return ResourceOptions(ignore_changes=["spec.template"])
    return ResourceOptions()


def _refuse_namespace_handover(
    state: EnvironmentState, settings: K8sSettings, namespace: str
) -> None:
    """An owned namespace must not become ``existing`` under the same name.

    The plan would drop the Namespace resource while still deploying into it, and Pulumi
    deletes a dropped resource: the namespace and everything in it, this environment's
    workloads and any other environment's. Two cases are visible in the state: the
    environment's own default name (only it can own that), and the binding's previous
    settings (one step of history) owning the same name.
    """
    if settings.owns_namespace:
        return
    environment = state.environment
    previous = environment.deployer().previous  # type: ignore[union-attr]
    owned_before = namespace == naming.namespace_name(environment, None, owned=True)
    if not owned_before and previous is not None and previous.kind.path == TARGET:
        try:
            before = parse_settings(previous.settings)
        except InvalidInputError:
            before = None
        owned_before = (
            before is not None
            and before.owns_namespace
            and naming.namespace_name(environment, before.namespace, owned=True) == namespace
        )
    if owned_before:
        raise InvalidInputError(
            f"deployer settings.namespace_mode: namespace {namespace} is owned by this "
            "environment's stack; making it existing under the same name would make Pulumi "
            "delete the Namespace and everything in it. Move to another namespace first, or "
            "take the Namespace out of the stack's state (`pulumi state delete` its URN), "
            "then switch"
        )


def _route_input(
    state: EnvironmentState,
    deployment: BundleDeployment,
    settings: K8sSettings,
    namespace: str,
    service_resources: dict[str, str],
) -> routes.RouteInput | None:
    revisions = state.revisions_of(deployment.deployment_id)
    weighted = [
        (r, state.weight_of(r))
        for r in revisions
        if state.weight_of(r) > 0 and r.revision_id in service_resources
    ]
    if not weighted:
        return None
    pinnable = (
        [
            r
            for r in revisions
            if r.lifecycle in RUNNING_STATES and r.revision_id in service_resources
        ]
        if state.policy.trust_override_header
        else []
    )
    probes = settings.probes
    return routes.RouteInput(
        deployment=deployment,
        namespace=namespace,
        health_path=probes.readiness_path or probes.liveness_path,
        labels=naming.deployment_labels(state.environment, deployment),
        weighted=weighted,
        pinnable=pinnable,
        stickiness=settings.stickiness,
        service_resources=service_resources,
    )


def _route(route: routes.RouteInput, routing: Routing) -> routes.RouteResult:
    if isinstance(routing, GatewayRouting):
        return routes.gateway_route(route, routing)
    if isinstance(routing, NginxRouting):
        return routes.nginx_route(route, routing)
    assert isinstance(routing, AlbRouting)
    return routes.alb_route(route, routing)


__all__ = ["TARGET", "compile_plan", "settings_for"]
