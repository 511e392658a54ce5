"""The spec model: Environment, Revision, TrafficSplit and friends (seeds A1 + A5).

Everything persisted or accepted from an answers file is a pydantic model defined here;
the other layers import from this package and never define their own shapes for them.

Importing the package is cheap: each exported name loads its module on first use (PEP 562),
so a read verb that needs only ``validate_environment_id`` does not build every pydantic
model. Type checkers see the plain imports below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greentic_iac.lazy import lazy_exports

if TYPE_CHECKING:
    from greentic_iac.spec.defaults import LOCAL_DEFAULT_BINDINGS, local_environment
    from greentic_iac.spec.deployment import BundleDeployment, DeploymentLifecycle, RouteBinding
    from greentic_iac.spec.descriptor import PackDescriptor
    from greentic_iac.spec.environment import (
        Cloud,
        DeploymentCtx,
        Environment,
        EnvPackBinding,
        ExtensionBinding,
        MessagingEndpoint,
        Platform,
        TenantCtx,
    )
    from greentic_iac.spec.errors import format_validation_error
    from greentic_iac.spec.ids import (
        BundleDigest,
        DeploymentId,
        EnvironmentId,
        RevisionId,
        TenantId,
        new_ulid,
        validate_environment_id,
    )
    from greentic_iac.spec.lifecycle import (
        TRANSITIONS,
        RevisionLifecycle,
        TransitionVerdict,
        check_transition,
    )
    from greentic_iac.spec.revision import Revision
    from greentic_iac.spec.runtime_config import (
        RuntimeConfig,
        RuntimeDeployment,
        RuntimeRevision,
        runtime_config_from_state,
    )
    from greentic_iac.spec.semver import SemVer, VersionReq
    from greentic_iac.spec.slots import CapabilitySlot
    from greentic_iac.spec.state import EnvironmentState, TrafficPolicy
    from greentic_iac.spec.traffic import (
        TOTAL_BPS,
        TrafficEntry,
        TrafficEntryInput,
        TrafficSplit,
        percent_to_bps,
    )

_EXPORTS: dict[str, str] = {
    "LOCAL_DEFAULT_BINDINGS": "greentic_iac.spec.defaults",
    "local_environment": "greentic_iac.spec.defaults",
    "BundleDeployment": "greentic_iac.spec.deployment",
    "DeploymentLifecycle": "greentic_iac.spec.deployment",
    "RouteBinding": "greentic_iac.spec.deployment",
    "PackDescriptor": "greentic_iac.spec.descriptor",
    "Cloud": "greentic_iac.spec.environment",
    "DeploymentCtx": "greentic_iac.spec.environment",
    "EnvPackBinding": "greentic_iac.spec.environment",
    "Environment": "greentic_iac.spec.environment",
    "ExtensionBinding": "greentic_iac.spec.environment",
    "MessagingEndpoint": "greentic_iac.spec.environment",
    "Platform": "greentic_iac.spec.environment",
    "TenantCtx": "greentic_iac.spec.environment",
    "format_validation_error": "greentic_iac.spec.errors",
    "BundleDigest": "greentic_iac.spec.ids",
    "DeploymentId": "greentic_iac.spec.ids",
    "EnvironmentId": "greentic_iac.spec.ids",
    "RevisionId": "greentic_iac.spec.ids",
    "TenantId": "greentic_iac.spec.ids",
    "new_ulid": "greentic_iac.spec.ids",
    "validate_environment_id": "greentic_iac.spec.ids",
    "RevisionLifecycle": "greentic_iac.spec.lifecycle",
    "TRANSITIONS": "greentic_iac.spec.lifecycle",
    "TransitionVerdict": "greentic_iac.spec.lifecycle",
    "check_transition": "greentic_iac.spec.lifecycle",
    "Revision": "greentic_iac.spec.revision",
    "RuntimeConfig": "greentic_iac.spec.runtime_config",
    "RuntimeDeployment": "greentic_iac.spec.runtime_config",
    "RuntimeRevision": "greentic_iac.spec.runtime_config",
    "runtime_config_from_state": "greentic_iac.spec.runtime_config",
    "SemVer": "greentic_iac.spec.semver",
    "VersionReq": "greentic_iac.spec.semver",
    "CapabilitySlot": "greentic_iac.spec.slots",
    "EnvironmentState": "greentic_iac.spec.state",
    "TrafficPolicy": "greentic_iac.spec.state",
    "TOTAL_BPS": "greentic_iac.spec.traffic",
    "TrafficEntry": "greentic_iac.spec.traffic",
    "TrafficEntryInput": "greentic_iac.spec.traffic",
    "TrafficSplit": "greentic_iac.spec.traffic",
    "percent_to_bps": "greentic_iac.spec.traffic",
}

__all__ = [
    "LOCAL_DEFAULT_BINDINGS",
    "TOTAL_BPS",
    "TRANSITIONS",
    "BundleDeployment",
    "BundleDigest",
    "CapabilitySlot",
    "Cloud",
    "DeploymentCtx",
    "DeploymentId",
    "DeploymentLifecycle",
    "EnvPackBinding",
    "Environment",
    "EnvironmentId",
    "EnvironmentState",
    "ExtensionBinding",
    "MessagingEndpoint",
    "PackDescriptor",
    "Platform",
    "Revision",
    "RevisionId",
    "RevisionLifecycle",
    "RouteBinding",
    "RuntimeConfig",
    "RuntimeDeployment",
    "RuntimeRevision",
    "SemVer",
    "TenantCtx",
    "TenantId",
    "TrafficEntry",
    "TrafficEntryInput",
    "TrafficPolicy",
    "TrafficSplit",
    "TransitionVerdict",
    "VersionReq",
    "check_transition",
    "format_validation_error",
    "local_environment",
    "new_ulid",
    "percent_to_bps",
    "runtime_config_from_state",
    "validate_environment_id",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
