"""The env-pack registry (seed 001, A9): manifests, handlers, plug-ins, bindings, doctor.

Built-in packs are described by the manifests in ``envpacks/``; third-party packs
register through the entry-point group ``greentic_iac.envpacks`` and are imported only
when resolved. The registry is an object (``EnvPackRegistry.discover()``), never a global.
"""

from greentic_iac.envpacks.bindings import (
    EnvPackBindingPayload,
    EnvPackRemovePayload,
    ExtensionBindingPayload,
    ExtensionRemovePayload,
    add_env_pack,
    add_extension,
    extension_uri,
    format_binding_rows,
    list_bindings,
    list_extensions,
    parse_extension_uri,
    parse_payload,
    remove_env_pack,
    remove_extension,
    resolve_extension,
    rollback_env_pack,
    rollback_extension,
    update_env_pack,
    update_extension,
)
from greentic_iac.envpacks.doctor import doctor, is_healthy
from greentic_iac.envpacks.errors import (
    BrokenPlugin,
    DuplicateRegistration,
    ManifestError,
    SlotMismatch,
    UnknownKind,
    VersionUnsupported,
)
from greentic_iac.envpacks.handler import (
    DeployerHandler,
    EnvPackHandler,
    ManifestHandler,
    Requirement,
    compiler_path_of,
    import_object,
    manifest_of,
    preflight_for_settings,
    target_path_of,
)
from greentic_iac.envpacks.manifest import (
    EnvPackManifest,
    builtin_manifest_files,
    load_builtin_manifests,
    load_manifest,
    manifest_from_dict,
    manifest_schema,
)
from greentic_iac.envpacks.registry import (
    ENTRY_POINT_GROUP,
    EnvPackRegistry,
    PluginProblem,
    parse_kind,
)
from greentic_iac.envpacks.requirements import BindingRequirements, binding_requirements

__all__ = [
    "ENTRY_POINT_GROUP",
    "BindingRequirements",
    "BrokenPlugin",
    "DeployerHandler",
    "DuplicateRegistration",
    "EnvPackBindingPayload",
    "EnvPackHandler",
    "EnvPackManifest",
    "EnvPackRegistry",
    "EnvPackRemovePayload",
    "ExtensionBindingPayload",
    "ExtensionRemovePayload",
    "ManifestError",
    "ManifestHandler",
    "PluginProblem",
    "Requirement",
    "SlotMismatch",
    "UnknownKind",
    "VersionUnsupported",
    "add_env_pack",
    "add_extension",
    "binding_requirements",
    "builtin_manifest_files",
    "compiler_path_of",
    "doctor",
    "extension_uri",
    "format_binding_rows",
    "import_object",
    "is_healthy",
    "list_bindings",
    "list_extensions",
    "load_builtin_manifests",
    "load_manifest",
    "manifest_from_dict",
    "manifest_of",
    "manifest_schema",
    "parse_extension_uri",
    "parse_kind",
    "parse_payload",
    "preflight_for_settings",
    "remove_env_pack",
    "remove_extension",
    "resolve_extension",
    "rollback_env_pack",
    "rollback_extension",
    "target_path_of",
    "update_env_pack",
    "update_extension",
]
