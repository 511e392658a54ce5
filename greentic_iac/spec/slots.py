"""The closed enum of capability slots (seed 001): adding one is a schema-version bump."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class CapabilitySlot(StrEnum):
    DEPLOYER = "deployer"
    SECRETS = "secrets"
    TELEMETRY = "telemetry"
    SESSIONS = "sessions"
    STATE = "state"
    REVOCATION = "revocation"
    MESSAGING = "messaging"
    EXTENSION = "extension"

    ALL: ClassVar[tuple[CapabilitySlot, ...]]
    CORE: ClassVar[tuple[CapabilitySlot, ...]]

    @property
    def is_core(self) -> bool:
        """Core slots hold exactly one binding in ``Environment.packs``."""
        return self in CapabilitySlot.CORE


CapabilitySlot.ALL = tuple(CapabilitySlot)
# messaging is N per environment (Environment.messaging_endpoints) and extensions are keyed
# by (path, instance); neither lives in Environment.packs.
CapabilitySlot.CORE = (
    CapabilitySlot.DEPLOYER,
    CapabilitySlot.SECRETS,
    CapabilitySlot.TELEMETRY,
    CapabilitySlot.SESSIONS,
    CapabilitySlot.STATE,
    CapabilitySlot.REVOCATION,
)
