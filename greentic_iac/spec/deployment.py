"""``BundleDeployment``: one bundle deployed into an environment, with its route."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.ids import DeploymentId, TenantId

_HOST_PATTERN = (
    r"^(\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_BUNDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$"


class DeploymentLifecycle(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class RouteBinding(SpecModel):
    host: str = Field(max_length=253, pattern=_HOST_PATTERN)
    path_prefix: str = Field(default="/", max_length=1024)

    @field_validator("path_prefix")
    @classmethod
    def _absolute_clean_prefix(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("path_prefix must start with '/'")
        if any(part in {".", ".."} for part in value.split("/")):
            raise ValueError("path_prefix must not contain '.' or '..' segments")
        if any(c in value for c in "?#* \t\r\n"):
            raise ValueError("path_prefix must not contain '?', '#', '*' or whitespace")
        return value


class BundleDeployment(SpecModel):
    deployment_id: DeploymentId
    bundle_id: str = Field(pattern=_BUNDLE_PATTERN)
    customer_id: TenantId
    route_binding: RouteBinding
    lifecycle: DeploymentLifecycle = DeploymentLifecycle.ACTIVE
    created_at: datetime
    # Per-deployment target overrides (container port, desired count, …): validated by the
    # deployer pack's settings schema, not here.
    settings: dict[str, Any] = Field(default_factory=dict)
