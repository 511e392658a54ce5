"""The spec model: Environment, Revision, TrafficSplit and friends (seeds A1 + A5).

Everything persisted or accepted from an answers file is a pydantic model defined here;
the other layers import from this package and never define their own shapes for them.
"""

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
