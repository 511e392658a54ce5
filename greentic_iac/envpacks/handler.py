"""``EnvPackHandler``: the small protocol a pack implements, and the generic built-in one.

A handler says which slot it serves, which descriptor path it answers to, which versions
it implements and which checks ``env tool-check`` must run before an apply. Deployer
handlers also name their target compiler by import path (``compiler_path``), so this
package never imports a target. Built-ins are all one class, ``ManifestHandler``, built
from their manifest (the single source of truth); a plug-in usually subclasses it too.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Protocol, runtime_checkable

from greentic_iac.envpacks.manifest import IMPORT_PATH_PATTERN, EnvPackManifest
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import CapabilitySlot, VersionReq
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement

Requirement = ToolRequirement | ProbeRequirement

_PLACEHOLDER = re.compile(r"\{\{\s*settings\.([A-Za-z0-9_.]+)\s*\}\}")


@runtime_checkable
class EnvPackHandler(Protocol):
    """What the registry needs from a pack (seed 001's ``EnvPackHandler`` trait)."""

    @property
    def slot(self) -> CapabilitySlot: ...

    @property
    def descriptor_path(self) -> str: ...

    @property
    def supported_versions(self) -> VersionReq: ...

    def preflight(self) -> list[Requirement]:
        """The tools and probes to check before an apply; ``[]`` for in-process packs."""
        ...


@runtime_checkable
class DeployerHandler(EnvPackHandler, Protocol):
    """A handler for the ``deployer`` slot also names its target compiler."""

    @property
    def compiler_path(self) -> str:
        """``"module:function"`` of a ``greentic_iac.plan.Compiler``."""
        ...


class ManifestHandler:
    """A handler whose every answer comes from its manifest.

    Built-ins are instances of this class; a plug-in subclasses it and passes the manifest
    it ships (see docs/envpacks.md). ``manifest`` is public: the registry reads the
    settings schema from it.
    """

    def __init__(self, manifest: EnvPackManifest) -> None:
        self.manifest = manifest
        self._version_req = manifest.version_req

    @property
    def slot(self) -> CapabilitySlot:
        return self.manifest.slot

    @property
    def descriptor_path(self) -> str:
        return self.manifest.descriptor_path

    @property
    def supported_versions(self) -> VersionReq:
        return self._version_req

    @property
    def compiler_path(self) -> str | None:
        return self.manifest.compiler

    def preflight(self) -> list[Requirement]:
        return [*self.manifest.tools, *self.manifest.probes]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.descriptor_path!r}, {self.supported_versions})"


def manifest_of(handler: EnvPackHandler) -> EnvPackManifest | None:
    """The handler's manifest when it carries one (built-ins and ManifestHandler plug-ins)."""
    manifest = getattr(handler, "manifest", None)
    return manifest if isinstance(manifest, EnvPackManifest) else None


def target_path_of(handler: EnvPackHandler) -> str | None:
    """The deployer's ``target`` import path (a plug-in handler may declare
    ``target_path``; a manifest's ``target`` otherwise), or None."""
    path = getattr(handler, "target_path", None)
    if path is None:
        manifest = manifest_of(handler)
        path = manifest.target if manifest is not None else None
    return path if isinstance(path, str) and re.fullmatch(IMPORT_PATH_PATTERN, path) else None


def compiler_path_of(handler: EnvPackHandler) -> str | None:
    """The deployer's compiler import path, or None (not a deployer, or not declared)."""
    path = getattr(handler, "compiler_path", None)
    return path if isinstance(path, str) and re.fullmatch(IMPORT_PATH_PATTERN, path) else None


def import_object(path: str) -> Any:
    """Import ``"package.module:attribute"``; raises ImportError/AttributeError as Python does.

    The CLI uses it to load a deployer's compiler when it needs one; this package only
    ever calls it for handlers.
    """
    if not re.fullmatch(IMPORT_PATH_PATTERN, path):
        raise ValueError(f"{path!r} is not an import path (module:attribute)")
    module_name, attribute = path.split(":")
    return getattr(importlib.import_module(module_name), attribute)


_MISSING = object()


def _setting(settings: dict[str, Any], dotted: str, schema: dict[str, Any]) -> Any:
    value: Any = settings
    node: Any = schema
    for part in dotted.split("."):
        node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING and isinstance(node, dict) and "default" in node:
            value = node["default"]
    if value is _MISSING:
        raise InvalidInputError(
            f"settings.{dotted}: field required (a preflight probe of this pack uses it)"
        )
    return value


def _fill(value: Any, settings: dict[str, Any], schema: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return _setting(settings, whole.group(1), schema)
        return _PLACEHOLDER.sub(lambda m: str(_setting(settings, m.group(1), schema)), value)
    if isinstance(value, dict):
        return {key: _fill(item, settings, schema) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, settings, schema) for item in value]
    return value


def preflight_for_settings(handler: EnvPackHandler, settings: dict[str, Any]) -> list[Requirement]:
    """``handler.preflight()`` with ``{{ settings.<field> }}`` probe params filled in.

    A missing field falls back to its schema default; without one it is an
    ``InvalidInputError`` naming the field.
    """
    manifest = manifest_of(handler)
    schema = manifest.schema_dict() if manifest is not None else {}
    filled: list[Requirement] = []
    for requirement in handler.preflight():
        if isinstance(requirement, ProbeRequirement) and requirement.params:
            params = _fill(requirement.params, settings, schema)
            filled.append(requirement.model_copy(update={"params": params}))
        else:
            filled.append(requirement)
    return filled
