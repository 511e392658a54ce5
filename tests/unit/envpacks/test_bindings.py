"""env-packs and extensions add/update/remove/rollback: seed 001's contract, purely."""

from __future__ import annotations

from typing import Any

import pytest

from greentic_iac.envpacks import (
    EnvPackBindingPayload,
    EnvPackRegistry,
    EnvPackRemovePayload,
    ExtensionBindingPayload,
    ExtensionRemovePayload,
    SlotMismatch,
    UnknownKind,
    VersionUnsupported,
    add_env_pack,
    add_extension,
    format_binding_rows,
    list_bindings,
    list_extensions,
    parse_payload,
    remove_env_pack,
    remove_extension,
    resolve_extension,
    rollback_env_pack,
    rollback_extension,
    update_env_pack,
    update_extension,
)
from greentic_iac.errors import ConflictError, InvalidInputError, NotFoundError
from greentic_iac.spec import CapabilitySlot, Environment
from tests.unit.envpacks.helpers import VAULT, VAULT_SETTINGS, make_handler

AUTH0 = "acme.oauth.auth0"


def pack(**fields: Any) -> EnvPackBindingPayload:
    data = {
        "environment_id": "local",
        "slot": "secrets",
        "kind": VAULT,
        "pack_ref": "oci://ghcr.io/acme/greentic-secrets-vault:0.4.2",
        "answers_ref": "env-packs/secrets/answers.json",
        "settings": VAULT_SETTINGS,
    }
    data.update(fields)
    return parse_payload(EnvPackBindingPayload, data)


def slot_payload(slot: str = "secrets") -> EnvPackRemovePayload:
    return parse_payload(EnvPackRemovePayload, {"environment_id": "local", "slot": slot})


def ext(version: str = "1.0.0", instance_id: str | None = None, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "environment_id": "local",
        "kind": f"{AUTH0}@{version}",
        "pack_ref": f"oci://ghcr.io/acme/greentic-oauth-auth0:{version}",
        "instance_id": instance_id,
        "settings": {"tenant": "acme", "version": version},
    }
    data.update(fields)
    return parse_payload(ExtensionBindingPayload, data)


def ext_key(kind: str = AUTH0, instance_id: str | None = None) -> ExtensionRemovePayload:
    return parse_payload(
        ExtensionRemovePayload,
        {"environment_id": "local", "kind": kind, "instance_id": instance_id},
    )


# env-packs -----------------------------------------------------------------------------------


def test_list_prints_slot_and_descriptor_as_in_the_seed(local: Environment) -> None:
    assert format_binding_rows(list_bindings(local)) == (
        "deployer   greentic.deployer.local-process@0.1.0\n"
        "secrets    greentic.secrets.dev-store@0.1.0\n"
        "telemetry  greentic.telemetry.stdout@0.1.0\n"
        "sessions   greentic.sessions.in-memory@0.1.0\n"
        "state      greentic.state.in-memory@0.1.0"
    )
    assert list_bindings(local)[0] == {
        "slot": "deployer",
        "kind": "greentic.deployer.local-process@0.1.0",
        "pack_ref": "builtin://greentic.deployer.local-process",
        "answers_ref": None,
        "generation": 0,
        "has_previous": False,
    }


def test_add_fails_on_a_bound_slot(local: Environment, registry: EnvPackRegistry) -> None:
    with pytest.raises(ConflictError, match=r"'secrets' is already bound .*use env-packs update"):
        add_env_pack(local, pack(), registry)


def test_add_binds_a_free_slot(local: Environment, registry: EnvPackRegistry) -> None:
    revocation = make_handler("acme.revocation.crl", "revocation")
    registry.register(revocation)
    payload = pack(slot="revocation", kind="acme.revocation.crl@1.0.0", settings={})
    updated, result = add_env_pack(local, payload, registry)
    assert result == {
        "environment_id": "local",
        "slot": "revocation",
        "kind": "acme.revocation.crl@1.0.0",
        "pack_ref": payload.pack_ref,
        "answers_ref": "env-packs/secrets/answers.json",
        "generation": 0,
        "has_previous": False,
    }
    assert updated.missing_slots() == []
    assert local.missing_slots() == [CapabilitySlot.REVOCATION]  # the input is untouched


def test_update_bumps_generation_and_keeps_the_previous(
    local: Environment, registry: EnvPackRegistry
) -> None:
    updated, result = update_env_pack(local, pack(), registry)
    assert result["generation"] == 1 and result["has_previous"] is True
    binding = updated.pack_for_slot(CapabilitySlot.SECRETS)
    assert binding is not None and binding.settings == VAULT_SETTINGS
    assert binding.previous is not None
    assert str(binding.previous.kind) == "greentic.secrets.dev-store@0.1.0"
    # A second update keeps only the immediately prior binding.
    again, result = update_env_pack(updated, pack(kind="acme.secrets.vault@0.4.3"), registry)
    second = again.pack_for_slot(CapabilitySlot.SECRETS)
    assert second is not None and second.previous is not None
    assert str(second.previous.kind) == VAULT
    assert "previous" not in second.previous.model_dump()  # no history beyond one step
    assert result["generation"] == 2


def test_rollback_restores_one_step_only(local: Environment, registry: EnvPackRegistry) -> None:
    updated, _ = update_env_pack(local, pack(), registry)
    rolled, result = rollback_env_pack(updated, slot_payload(), registry)
    assert result["kind"] == "greentic.secrets.dev-store@0.1.0"
    assert result["rolled_back_from"] == VAULT
    assert result["generation"] == 2 and result["has_previous"] is False
    binding = rolled.pack_for_slot(CapabilitySlot.SECRETS)
    assert binding is not None and binding.pack_ref == "builtin://greentic.secrets.dev-store"
    with pytest.raises(NotFoundError, match="no previous binding"):
        rollback_env_pack(rolled, slot_payload(), registry)


def test_rollback_without_any_update_is_not_found(
    local: Environment, registry: EnvPackRegistry
) -> None:
    with pytest.raises(NotFoundError, match="'deployer' has no previous binding"):
        rollback_env_pack(local, slot_payload("deployer"), registry)


def test_rollback_after_remove_is_not_found(local: Environment, registry: EnvPackRegistry) -> None:
    updated, _ = update_env_pack(local, pack(), registry)
    removed, result = remove_env_pack(updated, slot_payload(), registry)
    assert result == {
        "environment_id": "local",
        "slot": "secrets",
        "kind": VAULT,
        "removed": True,
        "generation": 1,
    }
    assert removed.pack_for_slot(CapabilitySlot.SECRETS) is None
    with pytest.raises(NotFoundError, match="'secrets' is not bound"):
        rollback_env_pack(removed, slot_payload(), registry)
    with pytest.raises(NotFoundError):
        remove_env_pack(removed, slot_payload(), registry)
    with pytest.raises(NotFoundError, match="not bound"):
        update_env_pack(removed, pack(), registry)
    # To restore a removed binding, add it again.
    _, result = add_env_pack(removed, pack(), registry)
    assert result["generation"] == 0 and result["has_previous"] is False


def test_remove_works_for_a_kind_no_handler_knows(local: Environment) -> None:
    removed, result = remove_env_pack(local, slot_payload("state"), EnvPackRegistry())
    assert result["kind"] == "greentic.state.in-memory@0.1.0"
    assert removed.pack_for_slot(CapabilitySlot.STATE) is None


@pytest.mark.parametrize(
    ("fields", "error", "fragment"),
    [
        ({"kind": "acme.secrets.nothing@1.0.0"}, UnknownKind, "'acme.secrets.nothing'"),
        ({"kind": "acme.secrets.vault@9.9.9"}, VersionUnsupported, "implements ^0.4"),
        ({"slot": "deployer"}, SlotMismatch, "serves slot 'secrets', not 'deployer'"),
        ({"settings": {"address": "ftp://x"}}, InvalidInputError, "settings.address: 'ftp://x'"),
        ({"slot": "extension"}, InvalidInputError, "slot: 'extension' is not bound through"),
        ({"slot": "messaging"}, InvalidInputError, "use messaging endpoints"),
        ({"environment_id": "prod"}, InvalidInputError, "environment_id: 'prod' does not match"),
    ],
)
def test_refused_input_binds_nothing(
    local: Environment,
    registry: EnvPackRegistry,
    fields: dict[str, Any],
    error: type[Exception],
    fragment: str,
) -> None:
    # add needs the slot free, update needs it bound: each gets the refusal it can reach.
    unbound, _ = remove_env_pack(local, slot_payload("secrets"), registry)
    if fields.get("slot") == "deployer":
        unbound, _ = remove_env_pack(unbound, slot_payload("deployer"), registry)
    for environment, operation in ((local, update_env_pack), (unbound, add_env_pack)):
        before = environment.canonical_json()
        with pytest.raises(error) as caught:
            operation(environment, pack(**fields), registry)
        assert fragment in str(caught.value)
        assert "\n" not in str(caught.value)
        assert environment.canonical_json() == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "Acme.Secrets@1"}, "kind: 'Acme.Secrets@1' is not a pack descriptor"),
        ({"kind": "a.b.c@1.0.0@2.0.0"}, "kind: 'a.b.c@1.0.0@2.0.0' is not a pack descriptor"),
        ({"kind": "acme.secrets.vault@1.x"}, "is not a valid SemVer version"),
        ({"slot": "acme-widget"}, "slot: Input should be"),
        ({"pack_ref": ""}, "pack_ref: String should have at least 1 character"),
        ({"surprise": True}, "surprise: unknown field (not allowed here)"),
        ({"environment_id": "Not An Id"}, "environment_id:"),
    ],
)
def test_a_malformed_payload_is_one_line_naming_the_field(
    data: dict[str, Any], expected: str
) -> None:
    base = {"environment_id": "local", "slot": "secrets", "kind": VAULT, "pack_ref": "x"}
    with pytest.raises(InvalidInputError) as caught:
        parse_payload(EnvPackBindingPayload, {**base, **data})
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_payload_schemas_match_the_seed_shapes() -> None:
    shapes = {
        EnvPackBindingPayload: {"environment_id", "slot", "kind", "pack_ref"},
        EnvPackRemovePayload: {"environment_id", "slot"},
        ExtensionBindingPayload: {"environment_id", "kind", "pack_ref"},
        ExtensionRemovePayload: {"environment_id", "kind"},
    }
    for model, required in shapes.items():
        schema = model.model_json_schema()
        assert set(schema["required"]) == required, model
        assert schema["additionalProperties"] is False
    binding = EnvPackBindingPayload.model_json_schema()["properties"]
    # Plus the two fields every mutating payload may carry (docs/cli.md).
    assert set(binding) == {
        "environment_id",
        "slot",
        "kind",
        "pack_ref",
        "answers_ref",
        "settings",
        "idempotency_key",
        "expected_generation",
    }
    assert "pattern" in binding["kind"]


# extensions ----------------------------------------------------------------------------------


def test_default_and_named_instances_coexist(local: Environment, registry: EnvPackRegistry) -> None:
    env, _ = add_extension(local, ext(), registry)
    env, _ = add_extension(env, ext(instance_id="primary"), registry)
    env, _ = add_extension(env, ext(instance_id="secondary"), registry)
    assert [(row["kind"], row["instance_id"]) for row in list_extensions(env)] == [
        (f"{AUTH0}@1.0.0", None),
        (f"{AUTH0}@1.0.0", "primary"),
        (f"{AUTH0}@1.0.0", "secondary"),
    ]
    assert list_extensions(env)[1]["uri"] == f"ext://{AUTH0}/primary"


def test_extension_identity_ignores_the_version(
    local: Environment, registry: EnvPackRegistry
) -> None:
    env, _ = add_extension(local, ext("1.0.0", "primary"), registry)
    with pytest.raises(ConflictError, match=r"already bound .*use extensions update"):
        add_extension(env, ext("2.0.0", "primary"), registry)
    env, result = update_extension(env, ext("2.0.0", "primary"), registry)
    assert result["kind"] == f"{AUTH0}@2.0.0"
    assert result["generation"] == 1 and result["has_previous"] is True
    assert len(env.extensions) == 1
    # remove/rollback payloads may carry any version (or none): it is ignored.
    assert ext_key(f"{AUTH0}@7.7.7", "primary").path == AUTH0
    rolled, result = rollback_extension(env, ext_key(f"{AUTH0}@7.7.7", "primary"), registry)
    assert result["kind"] == f"{AUTH0}@1.0.0" and result["rolled_back_from"] == f"{AUTH0}@2.0.0"
    assert result["generation"] == 2 and result["has_previous"] is False
    with pytest.raises(NotFoundError, match="no previous binding"):
        rollback_extension(rolled, ext_key(AUTH0, "primary"), registry)


def test_rollback_is_not_an_undo_for_remove(local: Environment, registry: EnvPackRegistry) -> None:
    env, _ = add_extension(local, ext(instance_id="primary"), registry)
    env, _ = update_extension(env, ext("1.1.0", "primary"), registry)
    env, result = remove_extension(env, ext_key(AUTH0, "primary"), registry)
    assert result["removed"] is True and result["kind"] == f"{AUTH0}@1.1.0"
    with pytest.raises(NotFoundError, match="not bound"):
        rollback_extension(env, ext_key(AUTH0, "primary"), registry)
    env, result = add_extension(env, ext(instance_id="primary"), registry)
    assert result["generation"] == 0


def test_extension_operations_on_a_missing_key_are_not_found(
    local: Environment, registry: EnvPackRegistry
) -> None:
    env, _ = add_extension(local, ext(instance_id="primary"), registry)
    for operation in (remove_extension, rollback_extension):
        with pytest.raises(NotFoundError, match=r"instance '\(default\)'"):
            operation(env, ext_key(AUTH0), registry)
    with pytest.raises(NotFoundError):
        update_extension(env, ext(instance_id="other"), registry)


def test_an_extension_with_a_handler_is_checked(
    local: Environment, registry: EnvPackRegistry
) -> None:
    registry.register(
        make_handler(
            "acme.oauth.okta",
            "extension",
            "^2.0",
            settings_schema={"type": "object", "required": ["issuer"]},
        )
    )
    okta = {"kind": "acme.oauth.okta@2.1.0", "settings": {}}
    with pytest.raises(InvalidInputError, match=r"^settings\.issuer: field required$"):
        add_extension(local, ext(**okta), registry)
    with pytest.raises(VersionUnsupported):
        add_extension(local, ext(**{**okta, "kind": "acme.oauth.okta@3.0.0"}), registry)
    # A core pack is not an extension.
    with pytest.raises(SlotMismatch, match="serves slot 'secrets', not 'extension'"):
        add_extension(local, ext(kind=VAULT, settings=VAULT_SETTINGS), registry)
    env, _ = add_extension(local, ext(**{**okta, "settings": {"issuer": "https://x"}}), registry)
    assert env.extensions[0].kind.path == "acme.oauth.okta"


def test_resolve_extension_returns_the_binding_settings(
    local: Environment, registry: EnvPackRegistry
) -> None:
    env, _ = add_extension(local, ext(instance_id="primary", answers_ref="ext/a.json"), registry)
    env, _ = add_extension(env, ext("1.2.0"), registry)
    assert resolve_extension(env, f"ext://{AUTH0}/primary") == {
        "uri": f"ext://{AUTH0}/primary",
        "kind": f"{AUTH0}@1.0.0",
        "instance_id": "primary",
        "pack_ref": "oci://ghcr.io/acme/greentic-oauth-auth0:1.0.0",
        "answers_ref": "ext/a.json",
        "settings": {"tenant": "acme", "version": "1.0.0"},
        "generation": 0,
    }
    default = resolve_extension(env, f"ext://{AUTH0}")
    assert default["instance_id"] is None and default["settings"]["version"] == "1.2.0"


@pytest.mark.parametrize(
    "uri",
    [
        "acme.oauth.auth0",
        "https://acme.oauth.auth0",
        "ext://",
        "ext://Acme.OAuth.auth0",
        "ext://acme.oauth",
        f"ext://{AUTH0}/",
        f"ext://{AUTH0}/Primary",
        f"ext://{AUTH0}/a/b",
        f"ext://{AUTH0}@1.0.0",
    ],
)
def test_a_bad_ext_uri_is_invalid_input(local: Environment, uri: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        resolve_extension(local, uri)
    assert not isinstance(caught.value, NotFoundError)
    assert str(caught.value).startswith("uri: ")


def test_an_unbound_ext_uri_is_not_found(local: Environment) -> None:
    with pytest.raises(NotFoundError, match=f"uri: ext://{AUTH0}/primary is not bound"):
        resolve_extension(local, f"ext://{AUTH0}/primary")
