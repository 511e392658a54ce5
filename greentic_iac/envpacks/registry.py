"""``EnvPackRegistry``: descriptor path -> handler, built fresh (no mutable global).

Built-ins come from the manifests in ``envpacks/``; third-party handlers from the
entry-point group ``greentic_iac.envpacks`` (entry point name = descriptor path, value =
a handler class or factory taking no arguments). Plug-ins are imported lazily, only when
resolved or when ``env doctor`` asks for every one, and a failure is remembered and
reported as a ``BrokenPlugin`` for that path alone: one broken plug-in breaks nothing
else. A path is registered once; a plug-in claiming a taken path (a built-in's, say) is
refused, never last-wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator

from greentic_iac.envpacks.errors import (
    BrokenPlugin,
    DuplicateRegistration,
    SlotMismatch,
    UnknownKind,
    VersionUnsupported,
)
from greentic_iac.envpacks.handler import (
    EnvPackHandler,
    ManifestHandler,
    compiler_path_of,
    import_object,
    manifest_of,
    target_path_of,
)
from greentic_iac.envpacks.jsonschema_errors import problems_text
from greentic_iac.envpacks.manifest import EnvPackManifest, load_builtin_manifests
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import CapabilitySlot, PackDescriptor, VersionReq

ENTRY_POINT_GROUP: Final = "greentic_iac.envpacks"
BUILTIN_ORIGIN: Final = "builtin"


@dataclass(frozen=True)
class PluginProblem:
    """A plug-in that could not be used: it failed to load, or its path was taken."""

    descriptor_path: str
    origin: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"descriptor_path": self.descriptor_path, "origin": self.origin, "error": self.error}


@dataclass
class _Entry:
    descriptor_path: str
    origin: str
    handler: EnvPackHandler | None = None
    loader: Callable[[], object] | None = None
    error: str | None = None


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"[:300]


def _check_handler(candidate: object, expected_path: str) -> EnvPackHandler:
    """The protocol, checked at the seam so a bad plug-in fails here, named, not later."""
    if not isinstance(candidate, EnvPackHandler):
        raise TypeError(
            "does not implement EnvPackHandler (slot, descriptor_path, supported_versions, "
            "preflight)"
        )
    if not isinstance(candidate.slot, CapabilitySlot):
        raise TypeError(f"slot is {candidate.slot!r}, not a CapabilitySlot")
    if not isinstance(candidate.supported_versions, VersionReq):
        raise TypeError("supported_versions is not a greentic_iac.spec.VersionReq")
    if candidate.descriptor_path != expected_path:
        raise ValueError(
            f"handler serves {candidate.descriptor_path!r} but is registered as {expected_path!r}"
        )
    if (
        candidate.slot == CapabilitySlot.DEPLOYER
        and compiler_path_of(candidate) is None
        and target_path_of(candidate) is None
    ):
        raise TypeError(
            "a deployer handler must name its target_path (module:attribute) or compiler_path"
        )
    manifest = manifest_of(candidate)
    if manifest is not None and (
        manifest.descriptor_path != candidate.descriptor_path or manifest.slot != candidate.slot
    ):
        raise ValueError("handler disagrees with its manifest about its path or slot")
    return candidate


def builtin_handler(manifest: EnvPackManifest) -> EnvPackHandler:
    """Instantiate the class the manifest names with the manifest itself."""
    handler_class = import_object(manifest.handler)
    if not (isinstance(handler_class, type) and issubclass(handler_class, ManifestHandler)):
        raise TypeError(f"{manifest.handler} is not a ManifestHandler subclass")
    return _check_handler(handler_class(manifest), manifest.descriptor_path)


class EnvPackRegistry:
    """Resolves descriptors to handlers and validates settings against manifest schemas."""

    def __init__(self, handlers: Iterable[EnvPackHandler] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        # Entry points refused at discovery (their path was already taken).
        self._refused: list[PluginProblem] = []
        for handler in handlers:
            self.register(handler)

    # construction -------------------------------------------------------------------------

    @classmethod
    def with_builtins(cls, manifests_dir: Path | None = None) -> EnvPackRegistry:
        """The built-in packs of ``envpacks/`` (or another directory, for tests)."""
        registry = cls()
        for manifest in load_builtin_manifests(manifests_dir):
            registry.register(builtin_handler(manifest), origin=BUILTIN_ORIGIN)
        return registry

    @classmethod
    def discover(
        cls,
        groups: Sequence[str] = (ENTRY_POINT_GROUP,),
        manifests_dir: Path | None = None,
    ) -> EnvPackRegistry:
        """Built-ins plus every installed plug-in (nothing imported yet)."""
        registry = cls.with_builtins(manifests_dir)
        for group in groups:
            for entry_point in sorted(entry_points(group=group), key=lambda e: e.name):
                registry.add_entry_point(entry_point)
        return registry

    def register(self, handler: EnvPackHandler, origin: str = "registered") -> None:
        """Add a loaded handler; ``DuplicateRegistration`` if its path is taken."""
        try:
            path = _check_handler(handler, getattr(handler, "descriptor_path", "")).descriptor_path
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"cannot register {handler!r}: {exc}") from None
        self._claim(path, origin)
        self._entries[path] = _Entry(path, origin, handler=handler)

    def register_lazy(
        self, descriptor_path: str, loader: Callable[[], object], origin: str
    ) -> None:
        """Add a handler imported on first use; ``loader()`` returns a handler class/factory."""
        self._claim(descriptor_path, origin)
        self._entries[descriptor_path] = _Entry(descriptor_path, origin, loader=loader)

    def add_entry_point(self, entry_point: EntryPoint) -> None:
        """Register a plug-in lazily; a refused one is remembered for ``env doctor``."""
        origin = f"entry point {entry_point.name} = {entry_point.value}"
        if entry_point.dist is not None:
            origin += f" ({entry_point.dist.name} {entry_point.dist.version})"
        try:
            self.register_lazy(entry_point.name, entry_point.load, origin)
        except DuplicateRegistration as exc:
            self._refused.append(PluginProblem(entry_point.name, origin, str(exc)))

    def _claim(self, path: str, origin: str) -> None:
        existing = self._entries.get(path)
        if existing is not None:
            raise DuplicateRegistration(
                f"{path!r} is already registered by {existing.origin}; "
                f"{origin} cannot replace it (pick a namespace you own)"
            )

    # lookup -------------------------------------------------------------------------------

    def paths(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, descriptor_path: object) -> bool:
        return descriptor_path in self._entries

    def origin(self, descriptor_path: str) -> str:
        entry = self._entries.get(descriptor_path)
        if entry is None:
            raise UnknownKind(f"no env-pack handler is registered for {descriptor_path!r}")
        return entry.origin

    def get(self, descriptor_path: str) -> EnvPackHandler:
        """The handler for a path, importing a plug-in on first use."""
        entry = self._entries.get(descriptor_path)
        if entry is None:
            raise UnknownKind(f"no env-pack handler is registered for {descriptor_path!r}")
        if entry.handler is None and entry.error is None and entry.loader is not None:
            try:
                factory = entry.loader()
                if not callable(factory):
                    raise TypeError("the entry point is not a handler class or factory")
                entry.handler = _check_handler(factory(), descriptor_path)
            except Exception as exc:  # a plug-in may fail any way; it stays contained
                entry.error = _describe(exc)
        if entry.handler is None:
            raise BrokenPlugin(
                f"env-pack plug-in for {descriptor_path!r} is broken ({entry.origin}): "
                f"{entry.error}"
            )
        return entry.handler

    def resolve(self, descriptor: PackDescriptor | str) -> EnvPackHandler:
        """The handler serving ``descriptor``; ``UnknownKind`` / ``VersionUnsupported``."""
        kind = parse_kind(descriptor)
        handler = self.get(kind.path)
        if not handler.supported_versions.matches(kind.version):
            raise VersionUnsupported(
                f"kind: {kind} is not supported: {kind.path} implements "
                f"{handler.supported_versions}"
            )
        return handler

    def resolve_for_slot(
        self, slot: CapabilitySlot, descriptor: PackDescriptor | str
    ) -> EnvPackHandler:
        """``resolve`` plus ``SlotMismatch`` when the handler serves another slot."""
        kind = parse_kind(descriptor)
        handler = self.resolve(kind)
        if handler.slot != slot:
            raise SlotMismatch(
                f"kind: {kind} serves slot {handler.slot.value!r}, not {slot.value!r}"
            )
        return handler

    def manifest(self, descriptor_path: str) -> EnvPackManifest | None:
        return manifest_of(self.get(descriptor_path))

    def settings_schema(self, descriptor: PackDescriptor | str) -> dict[str, Any]:
        """The pack's settings schema; a plug-in without a manifest accepts any object."""
        manifest = self.manifest(parse_kind(descriptor).path)
        return manifest.schema_dict() if manifest is not None else {"type": "object"}

    def validate_settings(
        self,
        descriptor: PackDescriptor | str,
        settings: Any,
        field_prefix: str = "settings",
    ) -> None:
        """``InvalidInputError`` naming every failing field, e.g. ``settings.region``."""
        validator = Draft202012Validator(self.settings_schema(descriptor))
        problem = problems_text(validator, settings, prefix=field_prefix)
        if problem is not None:
            raise InvalidInputError(problem)

    # plug-in health ------------------------------------------------------------------------

    def load_all(self) -> list[PluginProblem]:
        """Import every plug-in now; every one that failed or was refused, sorted by path."""
        problems = list(self._refused)
        for path, entry in sorted(self._entries.items()):
            if entry.loader is None:
                continue
            try:
                self.get(path)
            except BrokenPlugin:
                problems.append(PluginProblem(path, entry.origin, entry.error or "broken"))
        return sorted(problems, key=lambda p: (p.descriptor_path, p.origin))


def parse_kind(descriptor: PackDescriptor | str, field_name: str = "kind") -> PackDescriptor:
    """A descriptor from its string; a malformed one is ``InvalidInputError`` naming the field."""
    if isinstance(descriptor, PackDescriptor):
        return descriptor
    try:
        return PackDescriptor.parse(descriptor)
    except ValueError as exc:
        raise InvalidInputError(f"{field_name}: {exc}") from None
