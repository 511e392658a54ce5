"""The five local default env-packs (seed A4) and the default ``local`` environment."""

from __future__ import annotations

from greentic_iac.spec.descriptor import PackDescriptor
from greentic_iac.spec.environment import Environment, EnvPackBinding
from greentic_iac.spec.slots import CapabilitySlot

LOCAL_ENVIRONMENT_ID = "local"

LOCAL_DEFAULT_BINDINGS: tuple[tuple[CapabilitySlot, str], ...] = (
    (CapabilitySlot.DEPLOYER, "greentic.deployer.local-process@0.1.0"),
    (CapabilitySlot.SECRETS, "greentic.secrets.dev-store@0.1.0"),
    (CapabilitySlot.TELEMETRY, "greentic.telemetry.stdout@0.1.0"),
    (CapabilitySlot.SESSIONS, "greentic.sessions.in-memory@0.1.0"),
    (CapabilitySlot.STATE, "greentic.state.in-memory@0.1.0"),
)


def default_binding(slot: CapabilitySlot, descriptor: str) -> EnvPackBinding:
    kind = PackDescriptor.parse(descriptor)
    return EnvPackBinding(slot=slot, kind=kind, pack_ref=f"builtin://{kind.path}")


def local_environment(environment_id: str = LOCAL_ENVIRONMENT_ID) -> Environment:
    """The embedded default: a local environment with the five default packs bound."""
    return Environment(
        environment_id=environment_id,
        packs=[default_binding(slot, descriptor) for slot, descriptor in LOCAL_DEFAULT_BINDINGS],
    )
