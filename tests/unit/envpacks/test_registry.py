"""The registry: resolution errors, duplicate refusal, lazy plug-ins, settings validation."""

from __future__ import annotations

import sys

import pytest

from greentic_iac.envpacks import (
    ENTRY_POINT_GROUP,
    BrokenPlugin,
    DuplicateRegistration,
    EnvPackRegistry,
    ManifestHandler,
    SlotMismatch,
    UnknownKind,
    VersionUnsupported,
)
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import CapabilitySlot
from tests.unit.envpacks.helpers import MISFIT_GROUP, VAULT, VAULT_SETTINGS, make_handler


def test_a_fresh_registry_is_empty_and_independent() -> None:
    first, second = EnvPackRegistry(), EnvPackRegistry()
    first.register(make_handler("acme.state.redis", "state"))
    assert first.paths() == ["acme.state.redis"]
    assert second.paths() == []


def test_resolve_returns_the_handler_for_a_supported_version(builtins: EnvPackRegistry) -> None:
    handler = builtins.resolve("greentic.secrets.dev-store@0.1.7")
    assert handler.descriptor_path == "greentic.secrets.dev-store"
    assert handler.slot == CapabilitySlot.SECRETS


def test_resolve_an_unknown_path(builtins: EnvPackRegistry) -> None:
    with pytest.raises(UnknownKind, match=r"'acme\.secrets\.nothing'"):
        builtins.resolve("acme.secrets.nothing@1.0.0")


def test_resolve_an_unsupported_version(builtins: EnvPackRegistry) -> None:
    with pytest.raises(VersionUnsupported) as caught:
        builtins.resolve("greentic.secrets.dev-store@0.2.0")
    assert str(caught.value) == (
        "kind: greentic.secrets.dev-store@0.2.0 is not supported: "
        "greentic.secrets.dev-store implements ^0.1"
    )


def test_resolve_for_slot_refuses_a_handler_of_another_slot(builtins: EnvPackRegistry) -> None:
    with pytest.raises(SlotMismatch, match="serves slot 'secrets', not 'deployer'"):
        builtins.resolve_for_slot(CapabilitySlot.DEPLOYER, "greentic.secrets.dev-store@0.1.0")


@pytest.mark.parametrize(
    ("descriptor", "reason"),
    [
        ("Acme.Secrets@1", "lowercase"),
        ("acme.secrets.vault@0.4.2@1.0.0", "exactly one '@'"),
        ("acme.secrets.vault@0.4", "not a valid SemVer"),
        ("acme.secrets.vault@01.0.0", "not a valid SemVer"),
        ("acme.secrets.vault", "exactly one '@'"),
        ("acme..vault@1.0.0", "three non-empty"),
    ],
)
def test_a_malformed_descriptor_is_one_line_naming_kind(
    builtins: EnvPackRegistry, descriptor: str, reason: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        builtins.resolve(descriptor)
    message = str(caught.value)
    assert message.startswith("kind: ") and "\n" not in message
    assert reason in message


def test_register_refuses_a_taken_path_whatever_the_versions(builtins: EnvPackRegistry) -> None:
    builtins.register(make_handler("acme.secrets.vault", "secrets", "^0.4"))
    with pytest.raises(DuplicateRegistration, match="already registered"):
        builtins.register(make_handler("acme.secrets.vault", "secrets", "^9.0"))
    # The first registration still answers.
    assert builtins.resolve("acme.secrets.vault@0.4.1").supported_versions.text == "^0.4"


def test_register_refuses_a_built_in_path(builtins: EnvPackRegistry) -> None:
    original = builtins.get("greentic.secrets.dev-store")
    with pytest.raises(DuplicateRegistration, match="already registered by builtin"):
        builtins.register(make_handler("greentic.secrets.dev-store", "secrets", "^0.1"))
    assert builtins.get("greentic.secrets.dev-store") is original


def test_register_refuses_an_object_that_is_not_a_handler() -> None:
    class Incomplete:
        descriptor_path = "acme.secrets.half"

    with pytest.raises(InvalidInputError, match="does not implement EnvPackHandler"):
        EnvPackRegistry().register(Incomplete())  # type: ignore[arg-type]


def test_a_deployer_handler_must_name_its_compiler() -> None:
    class NoCompiler(ManifestHandler):
        @property
        def compiler_path(self) -> str | None:
            return None

    manifest = make_handler("acme.deployer.nomad", "deployer").manifest
    with pytest.raises(InvalidInputError, match="compiler_path"):
        EnvPackRegistry().register(NoCompiler(manifest))


# plug-ins ------------------------------------------------------------------------------------


def test_the_vault_plugin_is_discovered_and_resolves(registry: EnvPackRegistry) -> None:
    assert "acme.secrets.vault" in registry
    assert "acme-vault-envpack 0.4.2" in registry.origin("acme.secrets.vault")
    handler = registry.resolve_for_slot(CapabilitySlot.SECRETS, VAULT)
    assert type(handler).__name__ == "AcmeVaultHandler"
    assert handler.supported_versions.text == "^0.4"
    assert [getattr(r, "tool", None) for r in handler.preflight()] == ["vault"]


def test_discovery_imports_no_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("acme_vault.handler", "acme_vault.broken", "acme_vault.misfits"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    registry = EnvPackRegistry.discover(groups=(ENTRY_POINT_GROUP, MISFIT_GROUP))
    registry.resolve("greentic.secrets.dev-store@0.1.0")
    assert "acme_vault.handler" not in sys.modules
    assert "acme_vault.misfits" not in sys.modules
    registry.resolve(VAULT)
    assert "acme_vault.handler" in sys.modules
    assert "acme_vault.misfits" not in sys.modules


def test_a_lazy_handler_is_loaded_once_on_first_use() -> None:
    calls: list[str] = []

    def loader() -> object:
        calls.append("load")
        return lambda: make_handler("acme.state.redis", "state")

    registry = EnvPackRegistry()
    registry.register_lazy("acme.state.redis", loader, origin="test")
    assert calls == []
    registry.resolve("acme.state.redis@1.2.0")
    registry.resolve("acme.state.redis@1.3.0")
    assert calls == ["load"]


def test_a_broken_plugin_fails_alone_and_is_remembered(misfit_registry: EnvPackRegistry) -> None:
    with pytest.raises(BrokenPlugin) as caught:
        misfit_registry.get("acme.secrets.broken")
    message = str(caught.value)
    assert "ImportError" in message and "hvac" in message and "\n" not in message
    # The failure is cached: the same error again, no second import attempt needed.
    with pytest.raises(BrokenPlugin, match="hvac"):
        misfit_registry.resolve("acme.secrets.broken@1.0.0")
    # Everything else still resolves.
    misfit_registry.resolve(VAULT)
    misfit_registry.resolve("greentic.deployer.local-process@0.1.0")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("acme.secrets.not-a-handler", "does not implement EnvPackHandler"),
        ("acme.secrets.wrong-path", "serves 'acme.secrets.elsewhere'"),
    ],
)
def test_a_plugin_breaking_the_protocol_is_broken(
    misfit_registry: EnvPackRegistry, path: str, reason: str
) -> None:
    with pytest.raises(BrokenPlugin, match=reason):
        misfit_registry.get(path)


def test_a_plugin_claiming_a_built_in_path_is_refused(misfit_registry: EnvPackRegistry) -> None:
    handler = misfit_registry.get("greentic.secrets.dev-store")
    assert type(handler) is ManifestHandler
    assert misfit_registry.origin("greentic.secrets.dev-store") == "builtin"
    refused = [
        p for p in misfit_registry.load_all() if p.descriptor_path == "greentic.secrets.dev-store"
    ]
    assert len(refused) == 1
    assert "ShadowDevStoreHandler" in refused[0].origin
    assert "already registered by builtin" in refused[0].error


def test_load_all_lists_every_misfit_and_nothing_healthy(
    misfit_registry: EnvPackRegistry, registry: EnvPackRegistry
) -> None:
    assert [p.descriptor_path for p in misfit_registry.load_all()] == [
        "acme.secrets.broken",
        "acme.secrets.not-a-handler",
        "acme.secrets.wrong-path",
        "greentic.secrets.dev-store",
    ]
    assert registry.load_all() == []


# settings ------------------------------------------------------------------------------------


def test_valid_settings_pass(registry: EnvPackRegistry) -> None:
    registry.validate_settings(VAULT, VAULT_SETTINGS)
    registry.validate_settings("greentic.secrets.aws-sm@1.0.0", {"region": "eu-west-1"})
    registry.validate_settings("greentic.telemetry.stdout@0.1.0", {})


@pytest.mark.parametrize(
    ("descriptor", "settings", "expected"),
    [
        (VAULT, {}, "settings.address: field required"),
        (VAULT, {**VAULT_SETTINGS, "token": "s3cr3t"}, "settings.token: unknown field"),
        (VAULT, {"address": "http://vault"}, "settings.address: 'http://vault' does not match"),
        (
            "greentic.secrets.aws-sm@1.0.0",
            {"region": "eu-west-1", "secret_arns": {"db": "hunter2"}},
            "settings.secret_arns.db: 'hunter2' does not match",
        ),
        (
            "greentic.secrets.k8s@1.0.0",
            {"namespace": "prod", "secret_refs": {"db": {"secret": "db"}}},
            "settings.secret_refs.db.key: field required",
        ),
        ("greentic.sessions.in-memory@0.1.0", {"max_sessions": 0}, "settings.max_sessions: 0 is"),
        ("greentic.telemetry.stdout@0.1.0", [], "settings: [] is not of type 'object'"),
    ],
)
def test_settings_failing_the_schema_name_the_field(
    registry: EnvPackRegistry, descriptor: str, settings: object, expected: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        registry.validate_settings(descriptor, settings)
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_a_long_bad_value_stays_one_short_line(builtins: EnvPackRegistry) -> None:
    with pytest.raises(InvalidInputError) as caught:
        builtins.validate_settings(
            "greentic.secrets.aws-sm@1.0.0", {"region": "x\n" * 500}, field_prefix="answers"
        )
    message = str(caught.value)
    assert message.startswith("answers.region: ")
    assert "\n" not in message and len(message) < 300


def test_every_error_is_reported_one_line_each(builtins: EnvPackRegistry) -> None:
    # Shallowest first, then alphabetical: deterministic whatever order jsonschema uses.
    with pytest.raises(InvalidInputError) as caught:
        builtins.validate_settings(
            "greentic.secrets.aws-sm@1.0.0", {"region": "nowhere", "name_prefix": "bad prefix!"}
        )
    lines = str(caught.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["settings.name_prefix", "settings.region"]
    assert "more)" not in str(caught.value)


def test_a_union_failure_names_its_most_specific_cause(builtins: EnvPackRegistry) -> None:
    with pytest.raises(InvalidInputError) as caught:
        builtins.validate_settings(
            "greentic.deployer.aws-ecs@1.0.0",
            {"region": "eu-west-1", "tls": {"certificate_arn": 5}},
        )
    assert str(caught.value) == "settings.tls.certificate_arn: 5 is not of type 'string'"
