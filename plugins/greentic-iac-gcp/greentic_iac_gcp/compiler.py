"""The Cloud Run target: an environment's state in, a Plan of pulumi-gcp resources out.

Mapping (docs/cloud-run.md explains the choice): one Cloud Run service per revision, each
behind its own serverless network endpoint group and backend service, and one global
external Application Load Balancer per environment whose URL map routes by host and path
and splits a deployment's traffic with ``weightedBackendServices``. A revision is one
immutable set of resources, created when it is staged and deleted when it is archived, like
an ECS service or a Kubernetes Deployment.

Pure and deterministic: no I/O, names from ids only, properties in Pulumi wire names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import (
    DeploymentTraffic,
    Finding,
    Plan,
    PlanResource,
    Severity,
    logical_name,
    ref,
    short_hash,
)
from greentic_iac.spec import (
    BundleDeployment,
    EnvironmentState,
    Revision,
    RevisionLifecycle,
    format_validation_error,
)
from greentic_iac_gcp.limits import (
    MAX_CERTIFICATE_DOMAINS,
    URL_MAP_MAX_BYTES,
    URL_MAP_WARN_FRACTION,
    url_map_size,
)
from greentic_iac_gcp.naming import (
    certificate_name,
    compute_name,
    context_labels,
    path_matcher_name,
    runtime_account_id,
    service_name,
)
from greentic_iac_gcp.settings import (
    SECRET_REFERENCE,
    CloudRunSettings,
    ServiceSettings,
    merged_service_settings,
)
from greentic_iac_gcp.tokens import (
    T_ACCOUNT,
    T_ADDRESS,
    T_BACKEND,
    T_CERTIFICATE,
    T_FORWARDING,
    T_HTTP_PROXY,
    T_HTTPS_PROXY,
    T_INVOKER,
    T_NEG,
    T_SECRET_ACCESS,
    T_SERVICE,
    T_URL_MAP,
)
from greentic_iac_gcp.weights import urlmap_weights

TARGET: Final = "greentic.deployer.cloud-run"
REVISION_HEADER: Final = "x-greentic-revision"
MAX_TOLERATED_ERROR_BPS: Final = 10.0
# Route rule priorities (0-2147483647, unique per path matcher) in blocks per deployment.
RULES_PER_DEPLOYMENT: Final = 1_000_000
MAX_DEPLOYMENTS_PER_HOST: Final = 2_147


# Lifecycle drives capacity through the service-level scaling (it changes no revision of
# the Cloud Run service): staged and inactive run nothing, even when a request arrives.
_RUNNING: Final = frozenset(
    {RevisionLifecycle.WARMING, RevisionLifecycle.READY, RevisionLifecycle.DRAINING}
)


def load_settings(state: EnvironmentState) -> CloudRunSettings:
    """The deployer binding's settings, validated (``InvalidInputError`` naming the field)."""
    binding = state.environment.deployer()
    if binding is None or binding.kind.path != TARGET:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: the deployer slot is not bound "
            f"to {TARGET}"
        )
    try:
        return CloudRunSettings.model_validate(binding.settings)
    except ValidationError as exc:
        raise InvalidInputError(
            format_validation_error(exc, prefix="deployer settings: ")
        ) from None


def scaling_for(lifecycle: RevisionLifecycle, settings: ServiceSettings) -> dict[str, Any]:
    """The service-level scaling a revision's lifecycle asks for."""
    if lifecycle in _RUNNING:
        return {
            "scalingMode": "AUTOMATIC",
            "minInstanceCount": settings.min_instances,
            "maxInstanceCount": settings.max_instances,
        }
    return {"scalingMode": "MANUAL", "manualInstanceCount": 0}


def path_match_rules(prefix: str) -> list[dict[str, Any]]:
    """URL map match rules for a route prefix: the prefix itself and everything below it
    (a bare ``prefixMatch`` of ``/api`` would also take ``/apiary``)."""
    if prefix == "/":
        return [{"prefixMatch": "/"}]
    base = prefix.rstrip("/")
    return [{"fullPathMatch": base}, {"prefixMatch": f"{base}/"}]


def _secret_reference(reference: str) -> tuple[str, str]:
    """``projects/p/secrets/s/versions/3`` -> (``projects/p/secrets/s``, ``"3"``)."""
    match = SECRET_REFERENCE.match(reference)
    assert match is not None  # the settings model checked it
    return (
        f"projects/{match['project']}/secrets/{match['secret']}",
        match["version"] or "latest",
    )


class _Builder:
    """Accumulates resources and findings for one compile (one instance per call)."""

    def __init__(self, state: EnvironmentState, settings: CloudRunSettings) -> None:
        self.state = state
        self.settings = settings
        self.env = state.environment.environment_id
        self.resources: list[PlanResource] = []
        self.findings: list[Finding] = []
        self.traffic: list[DeploymentTraffic] = []
        self.outputs: dict[str, Any] = {}
        self.labels = context_labels(state)

    def add(
        self, type_: str, name: str, properties: dict[str, Any], depends_on: Iterable[str] = ()
    ) -> str:
        self.resources.append(
            PlanResource.trusted(
                type=type_, name=name, properties=properties, depends_on=list(depends_on)
            )
        )
        return name

    def finding(
        self, severity: Severity, code: str, message: str, subject: str | None = None
    ) -> None:
        self.findings.append(
            Finding(severity=severity, code=code, message=message, subject=subject)
        )

    @property
    def located(self) -> dict[str, str]:
        return {"project": self.settings.project}

    def redirect(self) -> dict[str, Any]:
        return {
            "hostRedirect": self.settings.unmatched_redirect_host,
            "redirectResponseCode": "FOUND",
            "stripQuery": False,
        }


def _deployment_settings(
    b: _Builder, deployments: list[BundleDeployment]
) -> dict[str, ServiceSettings]:
    result: dict[str, ServiceSettings] = {}
    for deployment in deployments:
        try:
            result[deployment.deployment_id] = merged_service_settings(
                b.settings.service, deployment.settings
            )
        except ValidationError as exc:
            b.finding(
                Severity.ERROR,
                "invalid-settings",
                format_validation_error(
                    exc, prefix=f"deployments.{deployment.deployment_id}.settings: "
                ),
                deployment.deployment_id,
            )
    return result


def _revision_resources(
    b: _Builder, deployment: BundleDeployment, revision: Revision, settings: ServiceSettings
) -> str | None:
    """The revision's service, invoker grant, serverless NEG and backend service; returns
    the backend service's logical name (None, with a finding, when it has no image)."""
    dep_id, rev_id = deployment.deployment_id, revision.revision_id
    image = revision.image
    if image is None:
        if settings.image_repository is None:
            b.finding(
                Severity.ERROR,
                "no-image",
                f"revisions.{rev_id}: no image; set Revision.image or the "
                "service.image_repository setting",
                rev_id,
            )
            return None
        image = f"{settings.image_repository}@{revision.bundle_digest}"
    rid = rev_id.lower()
    labels = context_labels(b.state, deployment_id=dep_id, revision_id=rev_id)
    envs: list[dict[str, Any]] = [
        {"name": "GREENTIC_ENVIRONMENT", "value": b.env},
        {"name": "GREENTIC_DEPLOYMENT_ID", "value": dep_id},
        {"name": "GREENTIC_REVISION_ID", "value": rev_id},
        {"name": "GREENTIC_BUNDLE_DIGEST", "value": revision.bundle_digest},
    ]
    envs += [{"name": k, "value": v} for k, v in b.state.config_of(revision)]
    for name, reference in sorted(settings.secrets.items()):
        secret, version = _secret_reference(reference)
        envs.append(
            {"name": name, "valueSource": {"secretKeyRef": {"secret": secret, "version": version}}}
        )
    name = service_name(b.env, rev_id)
    service = b.add(
        T_SERVICE,
        f"run-{rid}",
        {
            **b.located,
            "name": name,
            "location": b.settings.region,
            # Only the load balancer reaches the service: its run.app URL answers 404.
            "ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
            # Archiving deletes the service; the provider's default protection would refuse.
            "deletionProtection": False,
            "labels": labels,
            "scaling": scaling_for(revision.lifecycle, settings),
            "template": {
                "labels": labels,
                "serviceAccount": ref("runtime-account", "email"),
                "maxInstanceRequestConcurrency": settings.concurrency,
                "timeout": f"{settings.timeout_seconds}s",
                "containers": [
                    {
                        "image": image,
                        "ports": {"containerPort": settings.container_port},
                        "resources": {"limits": {"cpu": settings.cpu, "memory": settings.memory}},
                        "envs": envs,
                    }
                ],
            },
            "traffics": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
        },
        [f"secret-access-{_secret_key(s)}" for s in sorted(_secrets_of(settings))],
    )
    if b.settings.invoker is not None:
        b.add(
            T_INVOKER,
            f"invoker-{rid}",
            {
                **b.located,
                "location": b.settings.region,
                "name": ref(service, "name"),
                "role": "roles/run.invoker",
                "member": b.settings.invoker,
            },
        )
    neg = b.add(
        T_NEG,
        f"neg-{rid}",
        {
            **b.located,
            "name": compute_name(b.env, rev_id, "neg"),
            "region": b.settings.region,
            "networkEndpointType": "SERVERLESS",
            "cloudRun": {"service": ref(service, "name")},
        },
    )
    return b.add(
        T_BACKEND,
        f"backend-{rid}",
        {
            **b.located,
            "name": compute_name(b.env, rev_id, "be"),
            "description": f"greentic {b.env}: revision {rev_id} of deployment {dep_id}",
            "loadBalancingScheme": "EXTERNAL_MANAGED",
            "protocol": "HTTPS",
            "backends": [{"group": ref(neg, "id")}],
            "logConfig": {"enable": True, "sampleRate": 1.0},
        },
    )


def _secrets_of(settings: ServiceSettings) -> set[str]:
    return {_secret_reference(r)[0] for r in settings.secrets.values()}


def _secret_key(secret: str) -> str:
    # projects/acme-prod/secrets/db-url -> acme-prod-db-url. Secret names are case-sensitive
    # and may hold "_": a name that lower-casing or folding changed also carries a hash of
    # the exact path, so db_url and db-url (or DB and db) never share a logical name.
    # A secret name may be 255 characters long: the key keeps to 100 (a hash past that).
    _, project, _, name = secret.split("/")
    natural = f"{project}-{name}"
    folded = natural.lower().replace("_", "-")
    key = folded if folded == natural else f"{folded}-{short_hash(secret, 6)}"
    return logical_name(key, max_length=100)


def _shared_identity(b: _Builder, secrets: set[str]) -> None:
    b.add(
        T_ACCOUNT,
        "runtime-account",
        {
            **b.located,
            "accountId": runtime_account_id(b.env),
            "displayName": f"greentic {b.env}: Cloud Run revisions",
        },
    )
    for secret in sorted(secrets):
        b.add(
            T_SECRET_ACCESS,
            f"secret-access-{_secret_key(secret)}",
            {
                "project": secret.split("/")[1],
                "secretId": secret,
                "role": "roles/secretmanager.secretAccessor",
                "member": ref("runtime-account", "member"),
            },
        )


def _route_rules(
    b: _Builder,
    deployment: BundleDeployment,
    backends: dict[str, str],
    pinned: list[Revision],
    slot: int,
) -> list[dict[str, Any]]:
    """The deployment's route rules: one per pinned revision (header match first: more
    specific), then the weighted split when it has one.

    Priorities come from ids, not list positions, so a revision warmed or retired changes
    only its own rule: the deployment's block starts at ``slot * RULES_PER_DEPLOYMENT``
    (its place on the host, longest prefix first), a pin sits at its revision's sequence in
    the block, the weighted rule at the block's end.
    """
    dep_id = deployment.deployment_id
    matches = path_match_rules(deployment.route_binding.path_prefix)
    base = slot * RULES_PER_DEPLOYMENT
    rules: list[dict[str, Any]] = []
    for revision in pinned:
        rev_id = revision.revision_id
        if revision.sequence >= RULES_PER_DEPLOYMENT - 1:
            b.finding(
                Severity.ERROR,
                "gcp-urlmap-priority",
                f"revision {rev_id}: sequence {revision.sequence} leaves no route rule "
                f"priority in its deployment's block of {RULES_PER_DEPLOYMENT}",
                rev_id,
            )
            continue
        header = {"headerName": REVISION_HEADER, "exactMatch": rev_id}
        rules.append(
            {
                "priority": base + revision.sequence,
                "matchRules": [{**match, "headerMatches": [header]} for match in matches],
                "service": ref(backends[rev_id], "id"),
            }
        )
    split = b.state.traffic.get(dep_id)
    if split is None:
        return rules
    converted = urlmap_weights({e.revision_id: e.weight_bps for e in split.entries})
    b.traffic.append(converted.deployment_traffic(dep_id))
    if converted.max_error_bps > MAX_TOLERATED_ERROR_BPS:
        b.finding(
            Severity.WARNING,
            "urlmap-weight-error",
            f"URL map weights give this split within {converted.max_error_bps} bps only "
            f"(goal {MAX_TOLERATED_ERROR_BPS:g}); revisions below 10 bps are raised to weight 1",
            dep_id,
        )
    weighted = converted.weighted()
    missing = [r for r in weighted if r not in backends]
    if missing:
        b.finding(
            Severity.ERROR,
            "weighted-revision-missing",
            f"revision {missing[0]} carries weight but has no backend service",
            dep_id,
        )
        return rules
    rules.append(
        {
            "priority": base + RULES_PER_DEPLOYMENT - 1,
            "matchRules": matches,
            "routeAction": {
                "weightedBackendServices": [
                    {"backendService": ref(backends[r], "id"), "weight": w}
                    for r, w in weighted.items()
                ]
            },
        }
    )
    return rules


def compile_plan(state: EnvironmentState) -> Plan:  # noqa: PLR0912, PLR0915 (one pass over the deployments)
    """Compile ``state`` into the Cloud Run plan (``greentic_iac.plan.Compiler``).

    Raises ``InvalidInputError`` when the deployer binding or its settings are invalid;
    everything else that can't be applied becomes an error finding (``plan.errors``).
    """
    settings = load_settings(state)
    b = _Builder(state, settings)
    deployments = state.active_deployments()
    by_deployment: dict[str, list[Revision]] = defaultdict(list)
    for revision in state.revisions.values():
        if revision.lifecycle != RevisionLifecycle.ARCHIVED:
            by_deployment[revision.deployment_id].append(revision)
    for revisions in by_deployment.values():
        revisions.sort(key=lambda r: r.sequence)
    dep_settings = _deployment_settings(b, deployments)

    rev_settings: dict[str, ServiceSettings] = {}
    for deployment in deployments:
        base = dep_settings.get(deployment.deployment_id)
        if base is None:
            continue
        for revision in by_deployment.get(deployment.deployment_id, []):
            try:
                rev_settings[revision.revision_id] = merged_service_settings(
                    base, revision.settings
                )
            except ValidationError as exc:
                b.finding(
                    Severity.ERROR,
                    "invalid-settings",
                    format_validation_error(
                        exc, prefix=f"revisions.{revision.revision_id}.settings: "
                    ),
                    revision.revision_id,
                )
    secrets: set[str] = set()
    for each in rev_settings.values():
        secrets |= _secrets_of(each)
    _shared_identity(b, secrets)

    # Route rules per host (one path matcher each), longest path prefix first: the URL map
    # takes the first matching rule by priority.
    routes: dict[str, list[tuple[BundleDeployment, dict[str, str], list[Revision]]]] = defaultdict(
        list
    )
    seen: dict[tuple[str, str], str] = {}
    urls: dict[str, str] = {}
    scheme = "https" if settings.tls is not None else "http"
    for deployment in deployments:
        dep_id = deployment.deployment_id
        if dep_id not in dep_settings:
            continue
        route = deployment.route_binding
        key = (route.host.lower(), route.path_prefix.rstrip("/") or "/")
        if key in seen:
            b.finding(
                Severity.ERROR,
                "route-conflict",
                f"deployments.{dep_id}.route_binding: host {route.host} path "
                f"{route.path_prefix} is already routed to deployment {seen[key]}",
                dep_id,
            )
            continue
        seen[key] = dep_id
        backends: dict[str, str] = {}
        pinned: list[Revision] = []
        for revision in by_deployment.get(dep_id, []):
            rsettings = rev_settings.get(revision.revision_id)
            if rsettings is None:
                continue
            backend = _revision_resources(b, deployment, revision, rsettings)
            if backend is None:
                continue
            backends[revision.revision_id] = backend
            if revision.lifecycle in _RUNNING:
                pinned.append(revision)
        routes[key[0]].append((deployment, backends, pinned))
        urls[dep_id] = f"{scheme}://{route.host}{route.path_prefix}"

        inactive = [
            r for r in by_deployment.get(dep_id, []) if r.lifecycle == RevisionLifecycle.INACTIVE
        ]
        for revision in inactive[: max(0, len(inactive) - settings.gc_keep_inactive)]:
            b.finding(
                Severity.WARNING,
                "gc-candidate",
                f"inactive revision {revision.revision_id} (sequence {revision.sequence}) is "
                f"beyond the keep count of {settings.gc_keep_inactive}; archive it to delete "
                "its service, endpoint group and backend service",
                revision.revision_id,
            )

    host_rules: list[dict[str, Any]] = []
    path_matchers: list[dict[str, Any]] = []
    for host in sorted(routes):
        entries = sorted(
            routes[host],
            key=lambda e: (-len(e[0].route_binding.path_prefix.rstrip("/")), e[0].deployment_id),
        )
        rules: list[dict[str, Any]] = []
        for slot, (deployment, backends, pinned) in enumerate(entries):
            if slot >= MAX_DEPLOYMENTS_PER_HOST:
                b.finding(
                    Severity.ERROR,
                    "gcp-urlmap-priority",
                    f"host {host}: more than {MAX_DEPLOYMENTS_PER_HOST} deployments leave no "
                    "route rule priorities (0-2147483647)",
                    deployment.deployment_id,
                )
                break
            rules += _route_rules(b, deployment, backends, pinned, slot)
        matcher = path_matcher_name(host)
        host_rules.append({"hosts": [host], "pathMatcher": matcher})
        path_matchers.append(
            {"name": matcher, "defaultUrlRedirect": b.redirect(), "routeRules": rules}
        )

    url_map = b.add(
        T_URL_MAP,
        "url-map",
        {
            **b.located,
            "name": compute_name(b.env),
            "description": f"greentic {b.env}: routes and traffic splits",
            "defaultUrlRedirect": b.redirect(),
            "hostRules": host_rules,
            "pathMatchers": path_matchers,
        },
    )
    # Over the limit is Target.limits' error; near it, a warning here.
    size = url_map_size(b.resources[-1].properties)
    if URL_MAP_MAX_BYTES * URL_MAP_WARN_FRACTION < size <= URL_MAP_MAX_BYTES:
        b.finding(
            Severity.WARNING,
            "gcp-urlmap-size",
            f"the URL map is {size} bytes, near the {URL_MAP_MAX_BYTES}-byte limit of a global "
            "external Application Load Balancer",
            url_map,
        )
    address = b.add(
        T_ADDRESS,
        "address",
        {**b.located, "name": compute_name(b.env, "ip"), "labels": b.labels},
    )
    http_map = url_map
    if settings.tls is not None:
        domains = sorted({host for host in routes})
        if not domains:
            b.finding(
                Severity.INFO,
                "tls-no-hosts",
                "tls is set but no deployment is routed yet: HTTPS starts with the first one",
            )
        elif any(domain.startswith("*.") for domain in domains):
            wildcard = next(domain for domain in domains if domain.startswith("*."))
            b.finding(
                Severity.ERROR,
                "gcp-certificate-wildcard",
                f"host {wildcard}: a Google-managed certificate covers no wildcard domain; "
                "route its names one by one, or leave tls off",
                "certificate",
            )
        elif len(domains) > MAX_CERTIFICATE_DOMAINS:
            b.finding(
                Severity.ERROR,
                "gcp-certificate-domains",
                f"{len(domains)} hosts exceed the {MAX_CERTIFICATE_DOMAINS} domains of a "
                "Google-managed certificate; split the hosts across environments",
            )
        else:
            certificate = b.add(
                T_CERTIFICATE,
                "certificate",
                {
                    **b.located,
                    "name": certificate_name(b.env, domains),
                    "managed": {"domains": domains},
                },
            )
            https = b.add(
                T_HTTPS_PROXY,
                "https-proxy",
                {
                    **b.located,
                    "name": compute_name(b.env, "https"),
                    "urlMap": ref(url_map, "id"),
                    "sslCertificates": [ref(certificate, "id")],
                },
            )
            b.add(
                T_FORWARDING,
                "forwarding-https",
                {
                    **b.located,
                    "name": compute_name(b.env, "https"),
                    "target": ref(https, "id"),
                    "ipAddress": ref(address, "address"),
                    "ipProtocol": "TCP",
                    "portRange": "443",
                    "loadBalancingScheme": "EXTERNAL_MANAGED",
                    "labels": b.labels,
                },
            )
        if settings.tls.redirect_http:
            http_map = b.add(
                T_URL_MAP,
                "url-map-http-redirect",
                {
                    **b.located,
                    "name": compute_name(b.env, "http-redirect"),
                    "description": f"greentic {b.env}: HTTP to HTTPS",
                    "defaultUrlRedirect": {
                        "httpsRedirect": True,
                        "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
                        "stripQuery": False,
                    },
                },
            )
    http = b.add(
        T_HTTP_PROXY,
        "http-proxy",
        {**b.located, "name": compute_name(b.env, "http"), "urlMap": ref(http_map, "id")},
    )
    b.add(
        T_FORWARDING,
        "forwarding-http",
        {
            **b.located,
            "name": compute_name(b.env, "http"),
            "target": ref(http, "id"),
            "ipAddress": ref(address, "address"),
            "ipProtocol": "TCP",
            "portRange": "80",
            "loadBalancingScheme": "EXTERNAL_MANAGED",
            "labels": b.labels,
        },
    )
    b.outputs["loadBalancerAddress"] = ref(address, "address")
    b.outputs["urls"] = urls
    return Plan(
        environment_id=b.env,
        target=TARGET,
        resources=b.resources,
        traffic=b.traffic,
        findings=b.findings,
        outputs=b.outputs,
    )
