"""env doctor: a fresh local environment is clean; every finding lands under its key."""

from __future__ import annotations

from typing import Any

from greentic_iac.envpacks import (
    EnvPackBindingPayload,
    EnvPackRegistry,
    ExtensionBindingPayload,
    add_extension,
    doctor,
    is_healthy,
    parse_payload,
    update_env_pack,
)
from greentic_iac.spec import Environment, EnvPackBinding, ExtensionBinding, PackDescriptor
from tests.unit.envpacks.helpers import VAULT, VAULT_SETTINGS, make_handler

CLEAN_EXTENSIONS = {"unknown_kinds": [], "slot_mismatches": [], "version_skew": []}


def with_secrets(environment: Environment, kind: str, settings: dict[str, Any]) -> Environment:
    """Rebind secrets without the registry's checks, as a stale file on disk would be."""
    packs = [b for b in environment.packs if b.slot != "secrets"]
    binding = EnvPackBinding(
        slot="secrets", kind=PackDescriptor.parse(kind), pack_ref="oci://x", settings=settings
    )
    return environment.model_copy(update={"packs": [*packs, binding]})


def test_a_fresh_local_environment_misses_only_revocation(
    local: Environment, registry: EnvPackRegistry
) -> None:
    report = doctor(local, registry)
    assert report == {
        "validate": {"status": "ok"},
        "missing_slots": ["revocation"],
        "unknown_kinds": [],
        "slot_mismatches": [],
        "version_skew": [],
        "broken_plugins": [],
        "extensions": CLEAN_EXTENSIONS,
        "messaging": CLEAN_EXTENSIONS,
    }
    assert is_healthy(report)


def test_the_vault_plugin_is_healthy_once_bound(
    local: Environment, registry: EnvPackRegistry
) -> None:
    payload = parse_payload(
        EnvPackBindingPayload,
        {
            "environment_id": "local",
            "slot": "secrets",
            "kind": VAULT,
            "pack_ref": "oci://ghcr.io/acme/greentic-secrets-vault:0.4.2",
            "settings": VAULT_SETTINGS,
        },
    )
    environment, _ = update_env_pack(local, payload, registry)
    report = doctor(environment, registry)
    assert is_healthy(report)
    assert report["missing_slots"] == ["revocation"]


def test_pinning_an_unsupported_version_is_version_skew(
    local: Environment, registry: EnvPackRegistry
) -> None:
    report = doctor(with_secrets(local, "acme.secrets.vault@9.9.9", VAULT_SETTINGS), registry)
    assert report["version_skew"] == [
        {"slot": "secrets", "kind": "acme.secrets.vault@9.9.9", "supported_versions": "^0.4"}
    ]
    assert report["unknown_kinds"] == [] and report["validate"] == {"status": "ok"}
    assert not is_healthy(report)


def test_a_broken_plugin_is_reported_and_the_rest_works(
    local: Environment, misfit_registry: EnvPackRegistry
) -> None:
    environment = with_secrets(local, VAULT, VAULT_SETTINGS)
    report = doctor(environment, misfit_registry)
    broken = {p["descriptor_path"]: p for p in report["broken_plugins"]}
    assert set(broken) == {
        "acme.secrets.broken",
        "acme.secrets.not-a-handler",
        "acme.secrets.wrong-path",
        "greentic.secrets.dev-store",
    }
    assert "ImportError" in broken["acme.secrets.broken"]["error"]
    assert "acme_vault.broken:BrokenHandler" in broken["acme.secrets.broken"]["origin"]
    # Every binding, the plug-in's included, still checks out.
    assert report["validate"] == {"status": "ok"}
    assert report["unknown_kinds"] == report["slot_mismatches"] == report["version_skew"] == []


def test_a_binding_to_a_broken_plugin_is_an_unknown_kind(
    local: Environment, misfit_registry: EnvPackRegistry
) -> None:
    report = doctor(with_secrets(local, "acme.secrets.broken@1.0.0", {}), misfit_registry)
    assert report["unknown_kinds"] == [
        {
            "slot": "secrets",
            "kind": "acme.secrets.broken@1.0.0",
            "reason": "its plug-in failed to load (see broken_plugins)",
        }
    ]


def test_unknown_kind_and_slot_mismatch(local: Environment, builtins: EnvPackRegistry) -> None:
    environment = with_secrets(local, "acme.secrets.nothing@1.0.0", {})
    deployer = EnvPackBinding(
        slot="deployer", kind=PackDescriptor.parse("greentic.state.in-memory@0.1.0"), pack_ref="x"
    )
    packs = [b for b in environment.packs if b.slot != "deployer"]
    environment = environment.model_copy(update={"packs": [deployer, *packs]})
    report = doctor(environment, builtins)
    assert report["unknown_kinds"] == [
        {
            "slot": "secrets",
            "kind": "acme.secrets.nothing@1.0.0",
            "reason": "no handler is registered for 'acme.secrets.nothing'",
        }
    ]
    assert report["slot_mismatches"] == [
        {"slot": "deployer", "kind": "greentic.state.in-memory@0.1.0", "handler_slot": "state"}
    ]


def test_settings_that_fail_the_schema_fail_validate(
    local: Environment, registry: EnvPackRegistry
) -> None:
    report = doctor(with_secrets(local, VAULT, {"address": "http://plain"}), registry)
    assert report["validate"]["status"] == "error"
    (error,) = report["validate"]["errors"]
    assert error.startswith("packs[secrets].settings.address: 'http://plain' does not match")


def test_an_extension_without_handler_is_informational(
    local: Environment, registry: EnvPackRegistry
) -> None:
    payload = parse_payload(
        ExtensionBindingPayload,
        {"environment_id": "local", "kind": "acme.oauth.auth0@1.0.0", "pack_ref": "oci://a"},
    )
    environment, _ = add_extension(local, payload, registry)
    report = doctor(environment, registry)
    assert report["extensions"]["unknown_kinds"] == [
        {
            "kind": "acme.oauth.auth0@1.0.0",
            "instance_id": None,
            "reason": "no handler is registered for 'acme.oauth.auth0'",
        }
    ]
    assert report["unknown_kinds"] == []
    assert is_healthy(report)


def test_extension_skew_and_mismatch(local: Environment, registry: EnvPackRegistry) -> None:
    registry.register(make_handler("acme.oauth.okta", "extension", "^2.0"))
    extensions = [
        ExtensionBinding(kind=PackDescriptor.parse("acme.oauth.okta@3.0.0"), pack_ref="a"),
        ExtensionBinding(kind=PackDescriptor.parse(VAULT), pack_ref="b", instance_id="x"),
    ]
    report = doctor(local.model_copy(update={"extensions": extensions}), registry)
    assert report["extensions"]["version_skew"] == [
        {"kind": "acme.oauth.okta@3.0.0", "instance_id": None, "supported_versions": "^2.0"}
    ]
    assert report["extensions"]["slot_mismatches"] == [
        {"kind": VAULT, "instance_id": "x", "handler_slot": "secrets"}
    ]
    assert not is_healthy(report)


def test_an_invalid_model_fails_validate(local: Environment, registry: EnvPackRegistry) -> None:
    # Two secrets bindings: the 1-per-slot invariant, caught when the model is re-validated.
    twice = local.model_copy(update={"packs": [*local.packs, local.packs[1]]})
    report = doctor(twice, registry)
    assert report["validate"]["status"] == "error"
    assert "bound twice" in report["validate"]["errors"][0]
