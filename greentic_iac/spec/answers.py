"""Answers-file payloads of the mutating verbs (seed 000 §04 shapes).

Each verb takes its whole payload from ``--answers FILE``; ``--schema`` prints the JSON
Schema of these models. Unknown fields are refused.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.deployment import RouteBinding
from greentic_iac.spec.descriptor import PackDescriptor
from greentic_iac.spec.environment import DeploymentCtx, TenantCtx
from greentic_iac.spec.ids import BundleDigest, DeploymentId, EnvironmentId, RevisionId, TenantId
from greentic_iac.spec.rollout import RolloutDefinition, RolloutTarget
from greentic_iac.spec.slots import CapabilitySlot
from greentic_iac.spec.state import TrafficPolicy
from greentic_iac.spec.traffic import TrafficEntryInput

_KEY = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_BUNDLE = r"^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$"


class Mutation(SpecModel):
    environment_id: EnvironmentId
    idempotency_key: str | None = Field(default=None, pattern=_KEY)
    # Compare-and-swap: refuse when the environment moved past this generation.
    expected_generation: int | None = Field(default=None, ge=0)


class PackBindingInput(SpecModel):
    slot: CapabilitySlot
    kind: PackDescriptor
    pack_ref: str | None = Field(default=None, min_length=1, max_length=1024)
    answers_ref: str | None = Field(default=None, max_length=1024)
    settings: dict[str, Any] = Field(default_factory=dict)


class MessagingEndpointInput(SpecModel):
    endpoint_id: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    kind: PackDescriptor
    pack_ref: str | None = Field(default=None, min_length=1, max_length=1024)
    answers_ref: str | None = Field(default=None, max_length=1024)
    settings: dict[str, Any] = Field(default_factory=dict)


class EnvCreatePayload(Mutation):
    tenant: TenantCtx = Field(default_factory=TenantCtx)
    deployment: DeploymentCtx = Field(default_factory=DeploymentCtx)
    packs: list[PackBindingInput] = Field(min_length=1)
    policy: TrafficPolicy = Field(default_factory=TrafficPolicy)
    # N per environment, keyed by endpoint_id (managed afterwards with ``messaging``).
    messaging_endpoints: list[MessagingEndpointInput] = Field(default_factory=list)


class EnvRemovePayload(Mutation):
    # Removing an environment with live deployments needs an explicit confirmation.
    force: bool = False


class BundleAddPayload(Mutation):
    bundle_id: str = Field(pattern=_BUNDLE)
    customer_id: TenantId | None = None
    route_binding: RouteBinding
    settings: dict[str, Any] = Field(default_factory=dict)


class BundleRemovePayload(Mutation):
    deployment_id: DeploymentId


class RevisionStagePayload(Mutation):
    deployment_id: DeploymentId
    bundle_digest: BundleDigest | None = None
    bundle_path: str | None = Field(default=None, max_length=4096)
    image: str | None = Field(default=None, max_length=512)
    command: list[str] | None = Field(default=None, min_length=1)
    settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.bundle_digest is None) == (self.bundle_path is None):
            raise ValueError("give exactly one of bundle_digest or bundle_path")
        return self


class RevisionPayload(Mutation):
    revision_id: RevisionId


class DeploymentEntries(SpecModel):
    deployment_id: DeploymentId
    entries: list[TrafficEntryInput] = Field(min_length=1)


class TrafficSetPayload(Mutation):
    """One deployment (``deployment_id`` + ``entries``) or several (``deployments``)."""

    deployment_id: DeploymentId | None = None
    # An empty list is refused here (not a no-op): a change that changes nothing must not
    # bump the generation, and the error names the list that was empty.
    entries: list[TrafficEntryInput] | None = Field(default=None, min_length=1)
    deployments: list[DeploymentEntries] | None = Field(default=None, min_length=1)
    # Skip the environment's max-step policy; recorded in the audit log.
    override_policy: bool = False
    # Why the policy was overridden: recorded with the override (and the principal).
    override_reason: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        single = self.deployment_id is not None or self.entries is not None
        if single and self.deployments is not None:
            raise ValueError("give either deployment_id + entries or deployments, not both")
        if self.deployments is None and (self.deployment_id is None or self.entries is None):
            raise ValueError("give deployment_id and entries (or deployments)")
        return self

    def changes(self) -> list[DeploymentEntries]:
        if self.deployments is not None:
            return self.deployments
        assert self.deployment_id is not None and self.entries is not None
        return [DeploymentEntries(deployment_id=self.deployment_id, entries=self.entries)]


class TrafficRollbackPayload(Mutation):
    deployment_id: DeploymentId
    # The rollback passes the same max-step gate as `traffic set`.
    override_policy: bool = False
    override_reason: str | None = Field(default=None, min_length=1, max_length=500)


class ConfigSetPayload(Mutation):
    key: str = Field(pattern=_KEY)
    # None removes the key.
    value: str | None = Field(default=None, max_length=65536)
    deployment_id: DeploymentId | None = None

    @model_validator(mode="after")
    def _key_rules(self) -> Self:
        from greentic_iac.spec.config_keys import key_problem

        # Removing a key an older state holds stays possible whatever its name.
        if self.value is not None:
            problem = key_problem(self.key, per_deployment=self.deployment_id is not None)
            if problem is not None:
                raise ValueError(f"key: {problem}")
        return self


class SecretPutPayload(Mutation):
    name: str = Field(pattern=_KEY)
    value: str = Field(max_length=65536)


class PolicySetPayload(Mutation):
    policy: TrafficPolicy


class RolloutStartPayload(Mutation):
    """Start a rollout: the deployments moving in lockstep and, optionally, the steps
    (the environment's ``policy.default_rollout`` when absent)."""

    targets: list[RolloutTarget] = Field(min_length=1, max_length=16)
    definition: RolloutDefinition | None = None


class RolloutActionPayload(Mutation):
    """pause / resume / promote / abort one rollout (the only active one when absent)."""

    rollout_id: str | None = Field(default=None, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")
    # promote: skip every remaining step and give the canaries 100 % now.
    full: bool = False
    reason: str | None = Field(default=None, max_length=512)


class SecretRotatePayload(Mutation):
    name: str = Field(pattern=_KEY)
    # None: a random value is generated (32 bytes, URL-safe) and never printed.
    value: str | None = Field(default=None, min_length=1, max_length=65536)


class SecretDeletePayload(Mutation):
    name: str = Field(pattern=_KEY)
    # AWS Secrets Manager's window (7 to 30 days, default 30); other backends have none.
    recovery_window_days: int | None = Field(default=None, ge=7, le=30)
    force_delete_without_recovery: bool = False

    @model_validator(mode="after")
    def _window_or_force(self) -> Self:
        if self.force_delete_without_recovery and self.recovery_window_days is not None:
            raise ValueError("give recovery_window_days or force_delete_without_recovery, not both")
        return self
