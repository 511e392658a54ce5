"""Seed 001's Pitfalls section, one test per item."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from greentic_iac.envpacks import (
    DuplicateRegistration,
    EnvPackBindingPayload,
    EnvPackRegistry,
    ExtensionBindingPayload,
    ManifestError,
    ManifestHandler,
    add_extension,
    doctor,
    manifest_from_dict,
    parse_payload,
    update_env_pack,
)
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import (
    CapabilitySlot,
    Environment,
    EnvPackBinding,
    MessagingEndpoint,
    PackDescriptor,
)
from tests.unit.envpacks.helpers import MISFIT_GROUP, make_handler


def _binding(slot: str, kind: str) -> EnvPackBinding:
    return EnvPackBinding(slot=slot, kind=PackDescriptor.parse(kind), pack_ref="x")


def test_the_closed_enum_is_the_integrity_boundary(builtins: EnvPackRegistry) -> None:
    # A new slot cannot be conjured by an answers file or a manifest ...
    with pytest.raises(InvalidInputError, match=r"^slot: "):
        parse_payload(
            EnvPackBindingPayload,
            {"environment_id": "local", "slot": "acme-widget", "kind": "a.b.c@1.0.0",
             "pack_ref": "x"},
        )  # fmt: skip
    manifest: dict[str, Any] = {
        "descriptor_path": "acme.acme-widget.embedded",
        "slot": "acme-widget",
        "supported_versions": "^0.1",
        "summary": "a widget",
        "settings_schema": {"type": "object"},
        "handler": "greentic_iac.envpacks.handler:ManifestHandler",
    }
    with pytest.raises(ManifestError, match="slot"):
        manifest_from_dict(manifest, source="widget.yaml")
    # ... while a new implementation of an existing slot is just a descriptor + handler.
    builtins.register(make_handler("acme.secrets.vault", "secrets", "^0.4"))
    assert builtins.resolve_for_slot(CapabilitySlot.SECRETS, "acme.secrets.vault@0.4.2")


def test_the_descriptor_path_is_the_registry_key(builtins: EnvPackRegistry) -> None:
    builtins.register(make_handler("acme.state.redis", "state", "^1.0"))
    # Another version range for the same path is not a second handler: it is refused.
    with pytest.raises(DuplicateRegistration):
        builtins.register(make_handler("acme.state.redis", "state", "^2.0"))
    # Every version of a path resolves through the one key.
    assert builtins.resolve("acme.state.redis@1.0.0") is builtins.resolve("acme.state.redis@1.9.0")
    assert builtins.paths().count("acme.state.redis") == 1


def test_version_skew_is_checked_and_not_healed_retroactively(local: Environment) -> None:
    old = EnvPackRegistry([make_handler("acme.secrets.vault", "secrets", "^0.1")])
    pinned = local.model_copy(
        update={"packs": [*local.packs[:1], _binding("secrets", "acme.secrets.vault@0.1.3"),
                          *local.packs[2:]]}
    )  # fmt: skip
    assert doctor(pinned, old)["version_skew"] == []
    nine = pinned.model_copy(
        update={"packs": [*local.packs[:1], _binding("secrets", "acme.secrets.vault@9.9.9"),
                          *local.packs[2:]]}
    )  # fmt: skip
    assert [s["kind"] for s in doctor(nine, old)["version_skew"]] == ["acme.secrets.vault@9.9.9"]

    # The handler moves to ^0.2 before the operators upgrade: the stored 0.1.3 pin is skew
    # now, because the binding's kind comes from disk and is not rewritten by the registry.
    bumped = EnvPackRegistry([make_handler("acme.secrets.vault", "secrets", "^0.2")])
    assert [s["kind"] for s in doctor(pinned, bumped)["version_skew"]] == [
        "acme.secrets.vault@0.1.3"
    ]
    assert str(pinned.packs[1].kind) == "acme.secrets.vault@0.1.3"
    # The right order: widen the handler's range first, then move the bindings.
    widened = EnvPackRegistry([make_handler("acme.secrets.vault", "secrets", ">=0.1.0, <0.3.0")])
    assert doctor(pinned, widened)["version_skew"] == []
    payload = parse_payload(
        EnvPackBindingPayload,
        {"environment_id": "local", "slot": "secrets", "kind": "acme.secrets.vault@0.2.0",
         "pack_ref": "x"},
    )  # fmt: skip
    upgraded, _ = update_env_pack(pinned, payload, widened)
    assert doctor(upgraded, widened)["version_skew"] == []
    assert doctor(upgraded, bumped)["version_skew"] == []


def test_one_per_slot_applies_to_packs_not_to_the_family(
    local: Environment, registry: EnvPackRegistry
) -> None:
    # Two secrets backends in Environment.packs split the truth source: refused.
    with pytest.raises(ValidationError, match="'secrets' is bound twice"):
        Environment(
            environment_id="demo",
            packs=[
                _binding("secrets", "greentic.secrets.dev-store@0.1.0"),
                _binding("secrets", "acme.secrets.vault@0.4.2"),
            ],
        )
    # N of a kind per environment live in parallel collections with their own keys.
    env = local
    for instance in (None, "primary", "secondary"):
        payload = parse_payload(
            ExtensionBindingPayload,
            {"environment_id": "local", "kind": "acme.oauth.auth0@1.0.0", "pack_ref": "x",
             "instance_id": instance},
        )  # fmt: skip
        env, _ = add_extension(env, payload, registry)
    assert len(env.extensions) == 3
    endpoints = [
        MessagingEndpoint(endpoint_id=name, kind=PackDescriptor.parse("acme.messaging.slack@1.0.0"),
                          pack_ref="x")
        for name in ("support", "sales")
    ]  # fmt: skip
    assert len(local.model_copy(update={"messaging_endpoints": endpoints}).messaging_endpoints) == 2


def test_shadowing_a_built_in_is_rejected_not_last_wins() -> None:
    registry = EnvPackRegistry.discover(groups=("greentic_iac.envpacks", MISFIT_GROUP))
    # The plug-in's entry point for greentic.secrets.dev-store came after the built-in: refused.
    assert registry.origin("greentic.secrets.dev-store") == "builtin"
    assert type(registry.get("greentic.secrets.dev-store")) is ManifestHandler
    assert any(
        p.descriptor_path == "greentic.secrets.dev-store" and "already registered" in p.error
        for p in registry.load_all()
    )
    # Registering in code is refused the same way: there is no override switch.
    with pytest.raises(DuplicateRegistration):
        registry.register(make_handler("greentic.secrets.dev-store", "secrets", "^0.1"))
