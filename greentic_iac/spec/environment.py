"""``Environment``: a place to deploy to, with its env-pack bindings and its context.

Seed 004 asks for tenant and deployment context on everything: ``TenantCtx`` and
``DeploymentCtx`` live on the environment and targets copy them onto every resource.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import Field, field_validator, model_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.descriptor import PackDescriptor
from greentic_iac.spec.ids import EnvironmentId, TenantId
from greentic_iac.spec.slots import CapabilitySlot

ENVIRONMENT_SCHEMA: Final = "greentic.environment.v1"
_INSTANCE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


class Cloud(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    HETZNER = "hetzner"
    LOCAL = "local"
    OTHER = "other"


class Platform(StrEnum):
    K8S = "k8s"
    ECS = "ecs"
    NOMAD = "nomad"
    SYSTEMD = "systemd"
    CF_WORKERS = "cf-workers"
    LAMBDA = "lambda"
    BAREMETAL = "baremetal"
    LOCAL_PROCESS = "local-process"


class TenantCtx(SpecModel):
    tenant: TenantId = "local-dev"
    team: str | None = Field(default=None, max_length=63)
    user: str | None = Field(default=None, max_length=128)


class DeploymentCtx(SpecModel):
    cloud: Cloud = Cloud.LOCAL
    region: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9-]+$")
    platform: Platform = Platform.LOCAL_PROCESS


class BindingSnapshot(SpecModel):
    """The previous binding kept for one-step rollback (it carries no history of its own)."""

    kind: PackDescriptor
    pack_ref: str
    answers_ref: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    generation: int = Field(ge=0)


class _Binding(SpecModel):
    """What env-pack and extension bindings share, including one-step rollback."""

    kind: PackDescriptor
    pack_ref: str = Field(min_length=1, max_length=1024)
    answers_ref: str | None = Field(default=None, max_length=1024)
    # The pack's settings (validated against its manifest's schema when bound).
    settings: dict[str, Any] = Field(default_factory=dict)
    generation: int = Field(default=0, ge=0)
    previous: BindingSnapshot | None = None

    def snapshot(self) -> BindingSnapshot:
        return BindingSnapshot(
            kind=self.kind,
            pack_ref=self.pack_ref,
            answers_ref=self.answers_ref,
            settings=self.settings,
            generation=self.generation,
        )


class EnvPackBinding(_Binding):
    slot: CapabilitySlot


class ExtensionBinding(_Binding):
    instance_id: str | None = Field(default=None, pattern=_INSTANCE_PATTERN)

    @property
    def key(self) -> tuple[str, str | None]:
        """Identity is version-independent: ``(kind.path, instance_id)``."""
        return (self.kind.path, self.instance_id)


class MessagingEndpoint(_Binding):
    """One of the N messaging channels of an environment; ``endpoint_id`` is its identity
    (the kind may change on update, as a channel moves from one provider to another)."""

    endpoint_id: str = Field(pattern=_INSTANCE_PATTERN)

    @property
    def key(self) -> str:
        return self.endpoint_id


class Environment(SpecModel):
    schema_version: Literal["greentic.environment.v1"] = ENVIRONMENT_SCHEMA
    environment_id: EnvironmentId
    tenant: TenantCtx = Field(default_factory=TenantCtx)
    deployment: DeploymentCtx = Field(default_factory=DeploymentCtx)
    packs: list[EnvPackBinding] = Field(default_factory=list)
    extensions: list[ExtensionBinding] = Field(default_factory=list)
    messaging_endpoints: list[MessagingEndpoint] = Field(default_factory=list)

    @field_validator("packs")
    @classmethod
    def _one_binding_per_core_slot(cls, packs: list[EnvPackBinding]) -> list[EnvPackBinding]:
        seen: set[CapabilitySlot] = set()
        for binding in packs:
            if not binding.slot.is_core:
                raise ValueError(
                    f"slot {binding.slot.value!r} is not bound in packs "
                    "(messaging goes to messaging_endpoints, extensions to extensions)"
                )
            if binding.slot in seen:
                raise ValueError(f"slot {binding.slot.value!r} is bound twice (one per slot)")
            seen.add(binding.slot)
        return packs

    @field_validator("extensions")
    @classmethod
    def _unique_extension_keys(cls, extensions: list[ExtensionBinding]) -> list[ExtensionBinding]:
        seen: set[tuple[str, str | None]] = set()
        for binding in extensions:
            if binding.key in seen:
                path, instance = binding.key
                raise ValueError(
                    f"extension {path!r} instance {instance or '(default)'!r} is bound twice"
                )
            seen.add(binding.key)
        return extensions

    @field_validator("messaging_endpoints")
    @classmethod
    def _unique_endpoints(cls, endpoints: list[MessagingEndpoint]) -> list[MessagingEndpoint]:
        ids = [e.endpoint_id for e in endpoints]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"messaging endpoint {duplicates[0]!r} is defined twice")
        return endpoints

    @model_validator(mode="after")
    def _packs_in_slot_order(self) -> Environment:
        # Slot order keeps the stored document stable however the bindings were added.
        order = {slot: i for i, slot in enumerate(CapabilitySlot.ALL)}
        self.packs.sort(key=lambda b: order[b.slot])
        self.extensions.sort(key=lambda b: (b.kind.path, b.instance_id or ""))
        self.messaging_endpoints.sort(key=lambda e: e.endpoint_id)
        return self

    def pack_for_slot(self, slot: CapabilitySlot) -> EnvPackBinding | None:
        return next((b for b in self.packs if b.slot == slot), None)

    def deployer(self) -> EnvPackBinding | None:
        return self.pack_for_slot(CapabilitySlot.DEPLOYER)

    def missing_slots(self) -> list[CapabilitySlot]:
        bound = {b.slot for b in self.packs}
        return [s for s in CapabilitySlot.CORE if s not in bound]
