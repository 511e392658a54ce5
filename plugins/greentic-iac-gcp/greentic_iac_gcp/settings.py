"""The Cloud Run deployer pack's settings: one pydantic model, the source of its JSON schema.

``greentic.deployer.cloud-run.settings.json`` (next to the manifest) is generated from
``CloudRunSettings`` (``python -m greentic_iac_gcp.schema``); a test fails when the file is
stale. ``ServiceSettings`` is the part a deployment (``BundleDeployment.settings``) and a
revision (``Revision.settings``) may override, key by key.
"""

from __future__ import annotations

import re
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# A Secret Manager reference: the secret's resource name and, optionally, its version
# ("latest" when left out). A reference only: the value never enters a plan.
SECRET_REFERENCE: Final = re.compile(
    r"^projects/(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})"
    r"/secrets/(?P<secret>[A-Za-z0-9_-]{1,255})"
    r"(?:/versions/(?P<version>latest|[1-9][0-9]*))?$"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Set by Cloud Run itself; a container may not define them.
RESERVED_ENV: Final = frozenset({"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"})
PROJECT_ID: Final = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
REGION: Final = r"^[a-z]+-[a-z]+[0-9]+$"
# Cloud Run CPU limits (whole vCPUs, or fractions below one) and memory quantities.
_CPU = r"^(1|2|4|6|8|[1-9][0-9]{2}m)$"
_MEMORY = r"^[1-9][0-9]*(Mi|Gi)$"
_MEMBER = r"^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain):[^\s]+)$"
_HOST = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
MAX_INSTANCES: Final = 1000


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSettings(_Settings):
    """One revision's Cloud Run service (per deployment and per revision overridable)."""

    image_repository: str | None = Field(
        default=None,
        min_length=3,
        description="image repository (Artifact Registry); a revision without Revision.image "
        "runs <image_repository>@<bundle digest>",
    )
    container_port: int = Field(default=8080, ge=1, le=65535)
    cpu: str = Field(default="1", pattern=_CPU, description="CPU limit: 1, 2, 4, 6, 8 or 100m-999m")
    memory: str = Field(default="512Mi", pattern=_MEMORY)
    min_instances: int = Field(
        default=1,
        ge=0,
        le=MAX_INSTANCES,
        description="instances kept warm while the revision is warming, ready or draining",
    )
    max_instances: int = Field(default=10, ge=1, le=MAX_INSTANCES)
    concurrency: int = Field(default=80, ge=1, le=1000, description="requests per instance")
    timeout_seconds: int = Field(default=300, ge=1, le=3600)
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="environment variable -> Secret Manager reference "
        "projects/<project>/secrets/<name>[/versions/<n|latest>] (never a value)",
    )

    @field_validator("secrets")
    @classmethod
    def _references_only(cls, value: dict[str, str]) -> dict[str, str]:
        for name, reference in value.items():
            if not _ENV_NAME.match(name) or name in RESERVED_ENV:
                raise ValueError(f"{name!r} is not an environment variable a container may set")
            if not SECRET_REFERENCE.match(reference):
                raise ValueError(
                    f"{name}: not a Secret Manager reference "
                    "(projects/<project>/secrets/<name>[/versions/<n|latest>])"
                )
        return value

    @model_validator(mode="after")
    def _instances_in_order(self) -> Self:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"min_instances ({self.min_instances}) exceeds max_instances ({self.max_instances})"
            )
        return self


class TlsSettings(_Settings):
    """HTTPS on the load balancer with one Google-managed certificate for every routed host."""

    redirect_http: bool = Field(default=True, description="port 80 answers with a redirect")


class CloudRunSettings(_Settings):
    """The deployer binding's settings for ``greentic.deployer.cloud-run``."""

    project: str = Field(pattern=PROJECT_ID, description="Google Cloud project id")
    region: str = Field(pattern=REGION, description="Cloud Run region, e.g. europe-west1")
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    tls: TlsSettings | None = None
    invoker: str | None = Field(
        default="allUsers",
        pattern=_MEMBER,
        description="member granted roles/run.invoker on every revision's service (the load "
        "balancer forwards unauthenticated requests); null when callers authenticate",
    )
    unmatched_redirect_host: str = Field(
        default="unrouted.invalid",
        pattern=_HOST,
        description="where requests for no routed host or path are redirected (the URL map "
        "has no fixed responses); the default never resolves",
    )
    gc_keep_inactive: int = Field(default=2, ge=0, le=100)


def merged_service_settings(base: ServiceSettings, overrides: dict[str, Any]) -> ServiceSettings:
    """``base`` with ``overrides`` applied key by key (``secrets`` replaces as a whole)."""
    if not overrides:
        return base
    return ServiceSettings.model_validate({**base.model_dump(), **overrides})


def settings_json_schema() -> dict[str, Any]:
    schema = CloudRunSettings.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "greentic.deployer.cloud-run settings"
    return schema
