"""Self-describing env-pack manifests (seed 004 section 5): the single source of truth.

A manifest names a pack's descriptor path, slot, supported versions, settings schema,
secret names, required tools and credential probes, its handler's import path and, for a
deployer, its target compiler's import path (a string only: ``envpacks`` never imports
``targets``). Built-in manifests are ``envpacks/<descriptor path>.yaml``; a plug-in ships
its own next to its handler. Every manifest is checked twice: against
``envpacks/manifest.schema.json`` (the published contract) and by the pydantic model
(what JSON Schema cannot say: a parsable version requirement, a family matching the slot).
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import Field, ValidationError, field_validator, model_validator

from greentic_iac.envpacks.errors import ManifestError
from greentic_iac.envpacks.jsonschema_errors import problems_text
from greentic_iac.resources import data_dir
from greentic_iac.spec import CapabilitySlot, VersionReq, format_validation_error
from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement

# libyaml's loader when the wheel has it: manifests are read by every registry built.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MANIFEST_SCHEMA_FILE: Final = "manifest.schema.json"
MANIFEST_SUFFIX: Final = ".yaml"
DESCRIPTOR_PATH_PATTERN: Final = (
    r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?){2,}$"
)
IMPORT_PATH_PATTERN: Final = (
    r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
)


class EnvPackManifest(SpecModel):
    """One env-pack, as its manifest file describes it (``settings_schema`` resolved)."""

    descriptor_path: str = Field(pattern=DESCRIPTOR_PATH_PATTERN, max_length=180)
    slot: CapabilitySlot
    supported_versions: str = Field(min_length=1)
    summary: str = Field(min_length=1, max_length=200)
    # Inline JSON Schema; a file reference is replaced by its content when loaded.
    settings_schema: dict[str, Any] | str
    secrets: list[str] = Field(default_factory=list)
    tools: list[ToolRequirement] = Field(default_factory=list)
    probes: list[ProbeRequirement] = Field(default_factory=list)
    handler: str = Field(pattern=IMPORT_PATH_PATTERN)
    compiler: str | None = Field(default=None, pattern=IMPORT_PATH_PATTERN)
    # Deployers only, optional, the form before ``Target.health``: ``module:function``
    # ``(state, *, greentic_home, timeout) -> HealthSource``; a string, never imported here.
    health: str | None = Field(default=None, pattern=IMPORT_PATH_PATTERN)
    # Deployers: ``module:attribute`` of the target (``greentic_iac.plan.target.Target``),
    # every per-target behaviour in one object; supersedes ``compiler`` and ``health``.
    target: str | None = Field(default=None, pattern=IMPORT_PATH_PATTERN)

    @field_validator("supported_versions")
    @classmethod
    def _parsable_requirement(cls, text: str) -> str:
        VersionReq.parse(text)
        return text

    @model_validator(mode="after")
    def _consistent(self) -> EnvPackManifest:
        family = self.descriptor_path.split(".")[1]
        if self.slot.is_core and family != self.slot.value:
            raise ValueError(
                f"descriptor path {self.descriptor_path!r} must name its slot "
                f"{self.slot.value!r} as second segment (<namespace>.<slot>.<impl>)"
            )
        names_target = self.compiler is not None or self.target is not None
        if (self.slot == CapabilitySlot.DEPLOYER) != names_target:
            raise ValueError("a deployer names its target (or compiler); other slots must not")
        if self.health is not None and self.slot != CapabilitySlot.DEPLOYER:
            raise ValueError("health: only a deployer names a health source")
        return self

    @property
    def version_req(self) -> VersionReq:
        return VersionReq.parse(self.supported_versions)

    def schema_dict(self) -> dict[str, Any]:
        """The settings JSON Schema (a permissive object schema if still a reference)."""
        if isinstance(self.settings_schema, dict):
            return self.settings_schema
        return {"type": "object"}


@cache
def manifest_schema() -> dict[str, Any]:
    """``envpacks/manifest.schema.json``: the JSON Schema every manifest must satisfy."""
    schema: dict[str, Any] = json.loads(
        (data_dir("envpacks") / MANIFEST_SCHEMA_FILE).read_text(encoding="utf-8")
    )
    return schema


def _read_json_schema(reference: str, base: Path, manifest_file: Path) -> dict[str, Any]:
    target = (base / reference).resolve()
    if not target.is_relative_to(base.resolve()):
        raise ManifestError(f"{manifest_file}: settings_schema {reference!r} points outside {base}")
    try:
        loaded = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(
            f"{manifest_file}: settings_schema file {reference!r} does not exist"
        ) from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{target}: not a JSON document ({exc})") from None
    if not isinstance(loaded, dict):
        raise ManifestError(f"{target}: a settings schema must be a JSON object")
    return loaded


def manifest_from_dict(
    document: Any, source: Path | str, schema_base: Path | None = None
) -> EnvPackManifest:
    """Validate a manifest document; ``source`` names it in errors.

    A string ``settings_schema`` is read relative to ``schema_base`` (the manifest's
    directory when loaded from a file) and inlined.
    """
    validator = Draft202012Validator(manifest_schema())
    problem = problems_text(validator, document, prefix="")
    if problem is not None:
        raise ManifestError("\n".join(f"{source}: {line}" for line in problem.splitlines()))
    try:
        manifest = EnvPackManifest.model_validate(document)
    except ValidationError as exc:
        raise ManifestError(format_validation_error(exc, prefix=f"{source}: ")) from None
    if isinstance(manifest.settings_schema, str):
        if schema_base is None:
            raise ManifestError(f"{source}: settings_schema is a file reference without a base")
        inline = _read_json_schema(manifest.settings_schema, schema_base, Path(str(source)))
        manifest = manifest.model_copy(update={"settings_schema": inline})
    try:
        Draft202012Validator.check_schema(manifest.schema_dict())
    except SchemaError as exc:
        raise ManifestError(
            f"{source}: settings_schema is not a valid JSON Schema: {exc.message}"
        ) from None
    return manifest


def load_manifest(path: Path) -> EnvPackManifest:
    """Read and validate one manifest file (YAML or JSON, which YAML reads too).

    Checking a settings schema against the JSON Schema meta-schema is the slow part of
    building a registry, so a file unchanged since it was last loaded (same size and
    mtime, and the same for a referenced schema file) is validated only once per process.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc.strerror})") from None
    cached = _load_manifest_cached(str(path), stat.st_mtime_ns, stat.st_size)
    reference = cached[1]
    if reference is not None and _stamp(reference) != cached[2]:
        _load_manifest_cached.cache_clear()
        cached = _load_manifest_cached(str(path), stat.st_mtime_ns, stat.st_size)
    return cached[0].model_copy(deep=True)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _load_manifest_cached(
    name: str, mtime_ns: int, size: int
) -> tuple[EnvPackManifest, Path | None, tuple[int, int] | None]:
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc.strerror})") from None
    try:
        document = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ManifestError(f"{path}: not valid YAML{line}") from None
    reference: Path | None = None
    if isinstance(document, dict) and isinstance(document.get("settings_schema"), str):
        reference = path.parent / document["settings_schema"]
    manifest = manifest_from_dict(document, path, schema_base=path.parent)
    expected = manifest.descriptor_path + MANIFEST_SUFFIX
    if path.name != expected:
        raise ManifestError(f"{path}: a manifest file is named after its path ({expected})")
    return manifest, reference, _stamp(reference) if reference is not None else None


def builtin_manifest_files(directory: Path | None = None) -> list[Path]:
    """The built-in manifests: every ``*.yaml`` directly in ``envpacks/``, sorted."""
    root = directory if directory is not None else data_dir("envpacks")
    return sorted(p for p in root.glob("*" + MANIFEST_SUFFIX) if p.is_file())


def load_builtin_manifests(directory: Path | None = None) -> list[EnvPackManifest]:
    return [load_manifest(path) for path in builtin_manifest_files(directory)]
