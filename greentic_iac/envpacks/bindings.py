"""Pure binding operations behind ``env-packs`` and ``extensions`` add/update/remove/rollback.

Each takes the current ``Environment``, a validated payload and the registry, and returns
the new environment and the verb's result dict; the CLI wraps the call in a store
transaction (lock, CAS, backup, audit). Nothing here does I/O, so a refused payload
leaves nothing bound. The contract is seed 001's: ``add`` fails on a bound slot (use
``update``); ``update`` bumps ``generation`` and keeps the previous binding; ``rollback``
restores it, one step only; after ``remove`` there is nothing to roll back (not found).
Extensions are keyed by ``(descriptor path, instance_id)``: the version is not identity.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from greentic_iac.envpacks.binding_set import BindingSet, check_environment
from greentic_iac.envpacks.errors import BrokenPlugin, UnknownKind
from greentic_iac.envpacks.manifest import DESCRIPTOR_PATH_PATTERN
from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.errors import InvalidInputError, NotFoundError
from greentic_iac.spec import (
    CapabilitySlot,
    Environment,
    EnvironmentId,
    EnvPackBinding,
    ExtensionBinding,
    PackDescriptor,
    format_validation_error,
)

_INSTANCE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Every mutating payload may carry these (docs/cli.md): a retry with the same key gets
    # the first answer; a stale expected generation is a conflict (exit 4).
    idempotency_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    expected_generation: int | None = Field(default=None, ge=0)


class EnvPackBindingPayload(_Payload):
    """``env-packs add`` / ``update``."""

    environment_id: EnvironmentId
    slot: CapabilitySlot
    kind: PackDescriptor
    pack_ref: str = Field(min_length=1, max_length=1024)
    answers_ref: str | None = Field(default=None, max_length=1024)
    settings: dict[str, Any] = Field(default_factory=dict)


class EnvPackRemovePayload(_Payload):
    """``env-packs remove`` / ``rollback``."""

    environment_id: EnvironmentId
    slot: CapabilitySlot


class ExtensionBindingPayload(_Payload):
    """``extensions add`` / ``update``; omit ``instance_id`` for the default instance."""

    environment_id: EnvironmentId
    kind: PackDescriptor
    pack_ref: str = Field(min_length=1, max_length=1024)
    instance_id: str | None = Field(default=None, pattern=_INSTANCE_PATTERN)
    answers_ref: str | None = Field(default=None, max_length=1024)
    settings: dict[str, Any] = Field(default_factory=dict)


class ExtensionRemovePayload(_Payload):
    """``extensions remove`` / ``rollback``: ``kind`` may carry a version (ignored) or not."""

    environment_id: EnvironmentId
    kind: str = Field(
        description="<path> or <path>@<semver>; the version is not part of the identity",
        max_length=200,
    )
    instance_id: str | None = Field(default=None, pattern=_INSTANCE_PATTERN)

    @field_validator("kind")
    @classmethod
    def _path_or_descriptor(cls, text: str) -> str:
        if "@" in text:
            return PackDescriptor.parse(text).path
        PackDescriptor.parse(text + "@0.0.0")
        return text

    @property
    def path(self) -> str:
        return self.kind


_PayloadT = TypeVar("_PayloadT", bound=BaseModel)


def parse_payload(model: type[_PayloadT], data: Any) -> _PayloadT:
    """An answers document as ``model``; ``InvalidInputError`` naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc)) from None


def _core_slot(slot: CapabilitySlot) -> None:
    if not slot.is_core:
        hint = "extensions" if slot == CapabilitySlot.EXTENSION else "messaging endpoints"
        raise InvalidInputError(f"slot: {slot.value!r} is not bound through env-packs (use {hint})")


def _check_pack(payload: EnvPackBindingPayload, registry: EnvPackRegistry) -> None:
    try:
        registry.resolve_for_slot(payload.slot, payload.kind)
    except UnknownKind as exc:
        raise UnknownKind(f"kind: {exc}") from None  # name the field, like every other refusal
    registry.validate_settings(payload.kind, payload.settings)


PACKS: BindingSet[EnvPackBinding, CapabilitySlot] = BindingSet(
    field="packs",
    key_of=lambda binding: binding.slot,
    label=lambda slot: f"slot: {slot.value!r}",
    update_verb="env-packs update",
    build=lambda slot, **fields: EnvPackBinding(slot=slot, **fields),
    identity=lambda binding: {"slot": binding.slot.value, "kind": str(binding.kind)},
    conflict_names_environment=True,
)


def _bind_pack(
    environment: Environment,
    payload: EnvPackBindingPayload,
    registry: EnvPackRegistry,
    current: EnvPackBinding | None,
) -> tuple[Environment, dict[str, Any]]:
    _check_pack(payload, registry)
    return PACKS.bind(
        environment,
        payload.slot,
        current,
        kind=payload.kind,
        pack_ref=payload.pack_ref,
        answers_ref=payload.answers_ref,
        settings=payload.settings,
    )


def add_env_pack(
    environment: Environment, payload: EnvPackBindingPayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Bind an unbound slot (``ConflictError`` if bound: use ``update``)."""
    check_environment(environment, payload.environment_id)
    _core_slot(payload.slot)
    PACKS.refuse_bound(environment, payload.slot)
    return _bind_pack(environment, payload, registry, None)


def update_env_pack(
    environment: Environment, payload: EnvPackBindingPayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Replace a slot's binding: ``generation`` + 1, the old one kept for rollback."""
    check_environment(environment, payload.environment_id)
    _core_slot(payload.slot)
    return _bind_pack(environment, payload, registry, PACKS.bound(environment, payload.slot))


def remove_env_pack(
    environment: Environment, payload: EnvPackRemovePayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Detach a slot (works for unknown kinds too, so a bad binding can be cleared)."""
    check_environment(environment, payload.environment_id)
    _core_slot(payload.slot)
    return PACKS.remove(environment, payload.slot)


def rollback_env_pack(
    environment: Environment, payload: EnvPackRemovePayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Restore the binding the last ``update`` replaced (one step; ``NotFoundError`` if none)."""
    check_environment(environment, payload.environment_id)
    _core_slot(payload.slot)
    return PACKS.rollback(environment, payload.slot)


# extensions ---------------------------------------------------------------------------------


def _check_extension(payload: ExtensionBindingPayload, registry: EnvPackRegistry) -> None:
    """A known extension is checked like a pack; an unknown one is allowed (seed 001)."""
    try:
        registry.get(payload.kind.path)
    except UnknownKind:
        return
    except BrokenPlugin:
        raise
    registry.resolve_for_slot(CapabilitySlot.EXTENSION, payload.kind)
    registry.validate_settings(payload.kind, payload.settings)


ExtensionKey = tuple[str, str | None]

EXTENSIONS: BindingSet[ExtensionBinding, ExtensionKey] = BindingSet(
    field="extensions",
    key_of=lambda binding: binding.key,
    label=lambda key: f"kind: extension {key[0]!r} instance {key[1] or '(default)'!r}",
    update_verb="extensions update",
    build=lambda key, **fields: ExtensionBinding(instance_id=key[1], **fields),
    identity=lambda binding: {"kind": str(binding.kind), "instance_id": binding.instance_id},
)


def _bind_extension(
    environment: Environment,
    payload: ExtensionBindingPayload,
    registry: EnvPackRegistry,
    current: ExtensionBinding | None,
) -> tuple[Environment, dict[str, Any]]:
    _check_extension(payload, registry)
    return EXTENSIONS.bind(
        environment,
        (payload.kind.path, payload.instance_id),
        current,
        kind=payload.kind,
        pack_ref=payload.pack_ref,
        answers_ref=payload.answers_ref,
        settings=payload.settings,
    )


def add_extension(
    environment: Environment, payload: ExtensionBindingPayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Bind ``(path, instance_id)`` (``ConflictError`` if bound, whatever the version)."""
    check_environment(environment, payload.environment_id)
    EXTENSIONS.refuse_bound(environment, (payload.kind.path, payload.instance_id))
    return _bind_extension(environment, payload, registry, None)


def update_extension(
    environment: Environment, payload: ExtensionBindingPayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Replace the binding with the same ``(path, instance_id)``; keeps the previous one."""
    check_environment(environment, payload.environment_id)
    current = EXTENSIONS.bound(environment, (payload.kind.path, payload.instance_id))
    return _bind_extension(environment, payload, registry, current)


def remove_extension(
    environment: Environment, payload: ExtensionRemovePayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Detach ``(path, instance_id)``; terminal (rollback afterwards is not found)."""
    check_environment(environment, payload.environment_id)
    return EXTENSIONS.remove(environment, (payload.path, payload.instance_id))


def rollback_extension(
    environment: Environment, payload: ExtensionRemovePayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Restore what the last ``update`` replaced, one step; not an undo for ``remove``."""
    check_environment(environment, payload.environment_id)
    return EXTENSIONS.rollback(environment, (payload.path, payload.instance_id))


# read-only views ---------------------------------------------------------------------------


def list_bindings(environment: Environment) -> list[dict[str, Any]]:
    """``env-packs list``: one row per bound slot, in slot order."""
    return [
        {
            "slot": b.slot.value,
            "kind": str(b.kind),
            "pack_ref": b.pack_ref,
            "answers_ref": b.answers_ref,
            "generation": b.generation,
            "has_previous": b.previous is not None,
        }
        for b in environment.packs
    ]


def format_binding_rows(rows: list[dict[str, Any]]) -> str:
    """The seed's human form: ``deployer   greentic.deployer.local-process@0.1.0``."""
    width = max((len(str(r["slot"])) for r in rows), default=0) + 2
    return "\n".join(f"{str(r['slot']).ljust(width)}{r['kind']}" for r in rows)


def list_extensions(environment: Environment) -> list[dict[str, Any]]:
    """``extensions list``: one row per ``(path, instance_id)``."""
    return [
        {
            "kind": str(b.kind),
            "instance_id": b.instance_id,
            "uri": extension_uri(b.kind.path, b.instance_id),
            "pack_ref": b.pack_ref,
            "answers_ref": b.answers_ref,
            "generation": b.generation,
            "has_previous": b.previous is not None,
        }
        for b in environment.extensions
    ]


_EXT_SCHEME = "ext://"


def extension_uri(path: str, instance_id: str | None = None) -> str:
    return f"{_EXT_SCHEME}{path}" + (f"/{instance_id}" if instance_id else "")


def parse_extension_uri(uri: str) -> tuple[str, str | None]:
    """``ext://<path>[/<instance>]`` -> ``(path, instance_id)``; ``InvalidInputError`` if not."""
    if not uri.startswith(_EXT_SCHEME):
        raise InvalidInputError(f"uri: {uri!r} is not an ext:// URI (ext://<path>[/<instance>])")
    rest = uri[len(_EXT_SCHEME) :]
    path, _, instance = rest.partition("/")
    if not re.fullmatch(DESCRIPTOR_PATH_PATTERN, path):
        raise InvalidInputError(
            f"uri: {uri!r} names no valid descriptor path (ext://<path>[/<instance>])"
        )
    if "/" in rest and not re.fullmatch(_INSTANCE_PATTERN, instance):
        raise InvalidInputError(f"uri: {uri!r} has an invalid instance id {instance!r}")
    return path, instance or None


def resolve_extension(environment: Environment, uri: str) -> dict[str, Any]:
    """What ``ext://<path>[/<instance>]`` resolves to: the binding's settings and refs."""
    path, instance_id = parse_extension_uri(uri)
    binding = EXTENSIONS.find(environment, (path, instance_id))
    if binding is None:
        raise NotFoundError(
            f"uri: {uri} is not bound in environment {environment.environment_id!r}"
        )
    return {
        "uri": extension_uri(path, instance_id),
        "kind": str(binding.kind),
        "instance_id": binding.instance_id,
        "pack_ref": binding.pack_ref,
        "answers_ref": binding.answers_ref,
        "settings": binding.settings,
        "generation": binding.generation,
    }
