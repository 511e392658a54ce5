"""The Kubernetes deployer's settings: one pydantic model, the source of the pack's schema.

The env-pack manifest points at ``envpacks/schemas/greentic.deployer.k8s.settings.json``,
which is generated from ``K8sSettings`` (``settings_json_schema()``), so the schema the
registry validates answers with and the model the compiler reads can't drift apart.

Settings come from three places, most specific last: the deployer binding
(``environment.packs[deployer].settings``), the deployment (``BundleDeployment.settings``,
fields of ``DeploymentOverrides``) and the revision (``Revision.settings``, fields of
``RevisionOverrides``). Overrides are deep-merged, so ``{"resources": {"limits":
{"memory": "1Gi"}}}`` changes one quantity and keeps the rest.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec.errors import format_validation_error

SETTINGS_SCHEMA_FILE: Final = "greentic.deployer.k8s.settings.json"

_DNS_LABEL = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_DNS_SUBDOMAIN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
_CPU = r"^(\d+m|\d+(\.\d{1,3})?)$"
_MEMORY = r"^\d+(Ki|Mi|Gi|Ti|k|M|G|T)?$"
_HTTP_PATH = r"^/[A-Za-z0-9._~/-]*$"
_COOKIE = r"^[A-Za-z0-9_-]{1,64}$"


class _Settings(BaseModel):
    """Unknown keys are refused: a typo in an answers file must not pass silently."""

    model_config = ConfigDict(extra="forbid")


class GatewayRouting(_Settings):
    """Gateway API: one HTTPRoute per deployment attached to an existing Gateway."""

    mode: Literal["gateway"] = "gateway"
    gateway_name: str = Field(max_length=253, pattern=_DNS_SUBDOMAIN)
    # The Gateway's namespace; None means the route's own namespace.
    gateway_namespace: str | None = Field(default=None, max_length=63, pattern=_DNS_LABEL)
    # The Gateway listener to attach to (parentRefs[].sectionName); None means all.
    section_name: str | None = Field(default=None, max_length=253, pattern=_DNS_SUBDOMAIN)


class NginxRouting(_Settings):
    """ingress-nginx: a stable Ingress plus one canary Ingress per deployment."""

    mode: Literal["nginx"] = "nginx"
    ingress_class: str = Field(default="nginx", max_length=253, pattern=_DNS_SUBDOMAIN)


class AlbRouting(_Settings):
    """AWS Load Balancer Controller: one Ingress per deployment with a weighted action."""

    mode: Literal["alb"] = "alb"
    ingress_class: str = Field(default="alb", max_length=253, pattern=_DNS_SUBDOMAIN)
    # Ingresses sharing a group name share one ALB (alb.ingress.kubernetes.io/group.name).
    group_name: str | None = Field(default=None, max_length=63, pattern=_DNS_LABEL)
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    # ACM certificate for an HTTPS listener on 443; None means plain HTTP on 80.
    certificate_arn: str | None = Field(
        default=None, max_length=2048, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/"
    )


Routing = Annotated[GatewayRouting | NginxRouting | AlbRouting, Field(discriminator="mode")]


class ImageRule(_Settings):
    """How a revision's ``bundle_digest`` becomes a container image.

    The image is ``<repository>@<bundle_digest>`` (``{bundle_id}`` in the repository is
    replaced by the deployment's bundle id), unless the revision names an explicit
    ``Revision.image``, which wins.
    """

    repository: str | None = Field(
        default=None,
        max_length=400,
        pattern=r"^[a-z0-9]+([._:/-]?[a-z0-9{}_]+)*$",
        description="e.g. ghcr.io/acme/bundles/{bundle_id}; the image is repository@digest",
    )
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"


class ResourceQuantities(_Settings):
    cpu: str | None = Field(default=None, pattern=_CPU, description="e.g. 250m or 1")
    memory: str | None = Field(default=None, pattern=_MEMORY, description="e.g. 256Mi")


class Resources(_Settings):
    requests: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="100m", memory="128Mi")
    )
    limits: ResourceQuantities = Field(default_factory=lambda: ResourceQuantities(memory="256Mi"))


class Probes(_Settings):
    """HTTP probe paths on the container port; None disables that probe."""

    readiness_path: str | None = Field(default="/healthz", max_length=1024, pattern=_HTTP_PATH)
    liveness_path: str | None = Field(default="/healthz", max_length=1024, pattern=_HTTP_PATH)


class PodSecurity(_Settings):
    """Secure by default; each switch exists for the image that can't run that way."""

    run_as_non_root: bool = True
    run_as_user: int | None = Field(default=None, ge=1, le=2_147_483_647)
    read_only_root_filesystem: bool = True
    allow_privilege_escalation: bool = False
    drop_all_capabilities: bool = True
    seccomp_runtime_default: bool = True

    @property
    def is_restricted(self) -> bool:
        """Whether pods meet the Pod Security Standard "restricted" profile."""
        return (
            self.run_as_non_root
            and not self.allow_privilege_escalation
            and self.drop_all_capabilities
            and self.seccomp_runtime_default
        )


class Stickiness(_Settings):
    """Session stickiness: cookie affinity (nginx), target-group stickiness (alb)."""

    enabled: bool = False
    cookie_name: str = Field(default="greentic-affinity", pattern=_COOKIE)
    max_age_seconds: int = Field(default=3600, ge=1, le=604_800)


class K8sSettings(_Settings):
    """``greentic.deployer.k8s`` settings (the deployer binding's ``settings``)."""

    model_config = ConfigDict(extra="forbid", title="greentic.deployer.k8s settings")

    kube_context: str | None = Field(
        default=None,
        max_length=253,
        description="kubeconfig context for preflight (kubectl) and Pulumi (kubernetes:context)",
    )
    namespace: str | None = Field(
        default=None,
        max_length=63,
        pattern=_DNS_LABEL,
        description=(
            "target namespace; default greentic-<tenant>-<environment> (owned), or "
            "greentic-<tenant> with namespace_mode existing"
        ),
    )
    namespace_mode: Literal["owned", "existing"] = Field(
        default="owned",
        description=(
            "owned: this environment's stack creates and deletes the Namespace (one owner "
            "per namespace); existing: the namespace is shared or made by someone else, no "
            "stack creates or deletes it, and preflight checks that it exists"
        ),
    )
    create_namespace: bool = Field(
        default=True,
        description="deprecated spelling: false is namespace_mode existing",
    )
    routing: Routing = Field(default_factory=NginxRouting)
    image: ImageRule = Field(default_factory=ImageRule)
    port: int = Field(default=8080, ge=1, le=65535, description="the container's HTTP port")
    replicas: int = Field(default=2, ge=0, le=1000, description="pods per warming/ready revision")
    resources: Resources = Field(default_factory=Resources)
    probes: Probes = Field(default_factory=Probes)
    image_pull_secrets: list[Annotated[str, Field(max_length=253, pattern=_DNS_SUBDOMAIN)]] = Field(
        default_factory=list, description="names of existing docker-registry Secrets"
    )
    pod_security: PodSecurity = Field(default_factory=PodSecurity)
    stickiness: Stickiness = Field(default_factory=Stickiness)
    prometheus_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description=(
            "Prometheus server a rollout reads the built-in metrics from (error rate, "
            "request count, latency) when its definition names none"
        ),
    )

    @property
    def owns_namespace(self) -> bool:
        """Whether this environment's plan creates (and so, on destroy, deletes) it."""
        return self.create_namespace and self.namespace_mode == "owned"


class RevisionOverrides(_Settings):
    """What ``Revision.settings`` may change for that one revision."""

    port: int | None = Field(default=None, ge=1, le=65535)
    replicas: int | None = Field(default=None, ge=0, le=1000)
    resources: Resources | None = None
    probes: Probes | None = None


class DeploymentOverrides(RevisionOverrides):
    """What ``BundleDeployment.settings`` may change for every revision of it."""

    image: ImageRule | None = None
    stickiness: Stickiness | None = None


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _one_line(exc: ValidationError, where: str) -> str:
    message = format_validation_error(exc, prefix=f"{where}.")
    # The routing union's tag shows up in the path (routing.gateway.gateway_name); the
    # answers file has no such level, so drop it.
    for mode in ("gateway", "nginx", "alb"):
        message = message.replace(f".routing.{mode}.", ".routing.", 1)
    return message


def parse_settings(raw: dict[str, Any], where: str = "deployer settings") -> K8sSettings:
    """Validate the binding's settings; ``InvalidInputError`` names the field."""
    try:
        return K8sSettings.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(_one_line(exc, where)) from None


def with_overrides(
    settings: K8sSettings,
    overrides: dict[str, Any],
    model: type[RevisionOverrides],
    where: str,
) -> K8sSettings:
    """``settings`` with ``overrides`` deep-merged in (validated against ``model`` first)."""
    if not overrides:
        return settings
    try:
        checked = model.model_validate(overrides)
    except ValidationError as exc:
        raise InvalidInputError(_one_line(exc, where)) from None
    partial = checked.model_dump(mode="json", exclude_unset=True)
    merged = _deep_merge(settings.model_dump(mode="json"), partial)
    return parse_settings(merged, where)


def settings_json_schema() -> dict[str, Any]:
    """The JSON schema the env-pack manifest names (generated, never hand-edited)."""
    schema = K8sSettings.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def settings_json_schema_text() -> str:
    return json.dumps(settings_json_schema(), indent=2, sort_keys=True) + "\n"
