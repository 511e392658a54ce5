"""The built-in manifests: schema-valid, complete, consistent with the local defaults."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from greentic_iac.envpacks import (
    EnvPackRegistry,
    ManifestError,
    ManifestHandler,
    builtin_manifest_files,
    import_object,
    load_builtin_manifests,
    load_manifest,
    manifest_schema,
)
from greentic_iac.envpacks.manifest import IMPORT_PATH_PATTERN
from greentic_iac.resources import data_dir
from greentic_iac.spec import LOCAL_DEFAULT_BINDINGS, CapabilitySlot, PackDescriptor, SemVer
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement

LOCAL_DEFAULTS = {
    "greentic.deployer.local-process",
    "greentic.secrets.dev-store",
    "greentic.telemetry.stdout",
    "greentic.sessions.in-memory",
    "greentic.state.in-memory",
}
CLOUD = {
    "greentic.deployer.aws-ecs",
    "greentic.deployer.k8s",
    "greentic.secrets.aws-sm",
    "greentic.secrets.k8s",
}
TARGETS = {
    "greentic.deployer.aws-ecs": "greentic_iac.targets.aws_ecs.target:TARGET",
    "greentic.deployer.k8s": "greentic_iac.targets.k8s.target:TARGET",
    "greentic.deployer.local-process": "greentic_iac.local.target:TARGET",
}
PLUGIN_MANIFEST = (
    Path(__file__).parents[2] / "fixtures/acme_vault_plugin/acme_vault/acme.secrets.vault.yaml"
)
MANIFEST_FILES = builtin_manifest_files()


def test_the_manifest_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(manifest_schema())


@pytest.mark.parametrize("path", [*MANIFEST_FILES, PLUGIN_MANIFEST], ids=lambda p: p.name)
def test_every_manifest_validates_against_the_manifest_schema(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(manifest_schema()).iter_errors(document))
    assert errors == []
    manifest = load_manifest(path)
    assert path.name == f"{manifest.descriptor_path}.yaml"
    # The settings schema is resolved and itself a valid JSON Schema.
    Draft202012Validator.check_schema(manifest.schema_dict())
    assert manifest.schema_dict().get("type") == "object"


def test_the_built_ins_are_exactly_the_issue_list() -> None:
    paths = {m.descriptor_path for m in load_builtin_manifests()}
    assert paths == LOCAL_DEFAULTS | CLOUD
    assert not any(m.slot == CapabilitySlot.REVOCATION for m in load_builtin_manifests())


def test_manifests_are_found_through_the_data_dir() -> None:
    assert MANIFEST_FILES
    assert all(p.parent == data_dir("envpacks") for p in MANIFEST_FILES)


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: p.name)
def test_every_built_in_handler_import_path_resolves(path: Path) -> None:
    manifest = load_manifest(path)
    handler_class = import_object(manifest.handler)
    assert isinstance(handler_class, type) and issubclass(handler_class, ManifestHandler)
    handler = handler_class(manifest)
    assert handler.descriptor_path == manifest.descriptor_path
    assert handler.slot == manifest.slot


def test_plugin_handler_import_path_resolves() -> None:
    manifest = load_manifest(PLUGIN_MANIFEST)
    handler = import_object(manifest.handler)()
    assert handler.manifest == manifest


def test_deployers_name_their_target_without_importing_it() -> None:
    manifests = {m.descriptor_path: m for m in load_builtin_manifests()}
    targets = {p: m.target for p, m in manifests.items() if m.target is not None}
    assert targets == TARGETS
    assert all(re.fullmatch(IMPORT_PATH_PATTERN, c) for c in targets.values())
    assert all(m.target is None for m in manifests.values() if m.slot != "deployer")


def test_local_defaults_are_built_in_and_accept_their_default_versions(
    builtins: EnvPackRegistry,
) -> None:
    # Seed 001's builtin_table_matches_default_bindings: the two tables move together.
    for slot, descriptor in LOCAL_DEFAULT_BINDINGS:
        handler = builtins.resolve_for_slot(slot, descriptor)
        assert handler.supported_versions.text == "^0.1"
    assert {PackDescriptor.parse(d).path for _, d in LOCAL_DEFAULT_BINDINGS} == LOCAL_DEFAULTS


def test_cloud_packs_implement_1_x(builtins: EnvPackRegistry) -> None:
    for path in CLOUD:
        req = builtins.get(path).supported_versions
        assert req.matches(SemVer(1, 4, 0)) and not req.matches(SemVer(2, 0, 0))


def test_local_defaults_need_no_tools_or_probes(builtins: EnvPackRegistry) -> None:
    assert all(builtins.get(path).preflight() == [] for path in LOCAL_DEFAULTS)


def test_cloud_deployers_declare_their_tools_and_probes(builtins: EnvPackRegistry) -> None:
    ecs = builtins.get("greentic.deployer.aws-ecs").preflight()
    tools = {r.tool: r for r in ecs if isinstance(r, ToolRequirement)}
    assert tools["pulumi"].min_version == "3.100.0"
    assert tools["aws"].min_version == "2.0.0"
    assert tools["aws"].purpose == "credentials validate"
    assert [r.probe for r in ecs if isinstance(r, ProbeRequirement)] == ["aws-caller-identity"]

    k8s = builtins.get("greentic.deployer.k8s").preflight()
    assert {(r.tool, r.min_version) for r in k8s if isinstance(r, ToolRequirement)} == {
        ("pulumi", "3.100.0"),
        ("kubectl", "1.28.0"),
    }
    probes = [r for r in k8s if isinstance(r, ProbeRequirement)]
    can_i = [p for p in probes if p.probe == "kubectl-can-i"]
    assert len(can_i) == 2
    assert all(set(p.params) == {"verb", "resource", "namespace", "context"} for p in can_i)
    (namespace,) = [p for p in probes if p.probe == "kubectl-namespace"]
    assert set(namespace.params) == {"namespace", "context", "mode", "create"}

    sm = builtins.get("greentic.secrets.aws-sm").preflight()
    assert [r.probe for r in sm if isinstance(r, ProbeRequirement)] == ["aws-caller-identity"]


# malformed manifests: one line naming the file ------------------------------------------------


def _write(directory: Path, name: str, document: object) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _valid_document() -> dict[str, object]:
    return {
        "descriptor_path": "acme.telemetry.noop",
        "slot": "telemetry",
        "supported_versions": "^1.0",
        "summary": "does nothing",
        "settings_schema": {"type": "object"},
        "handler": "greentic_iac.envpacks.handler:ManifestHandler",
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"slot": "widgets"}, "slot"),
        ({"supported_versions": "^one"}, "supported_versions"),
        ({"handler": "not an import path"}, "handler"),
        ({"compiler": "acme.targets:compile_plan"}, "compiler"),
        ({"descriptor_path": "acme.secrets.noop"}, "must name its slot"),
        ({"surprise": 1}, "surprise"),
        ({"settings_schema": {"type": "no-such-type"}}, "settings_schema"),
        ({"settings_schema": "../outside.json"}, "settings_schema"),
    ],
)
def test_a_malformed_manifest_is_one_line_naming_file_and_field(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    document = {**_valid_document(), **change}
    name = f"{document['descriptor_path']}.yaml"
    path = _write(tmp_path, name, document)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_a_deployer_without_compiler_is_refused(tmp_path: Path) -> None:
    document = {**_valid_document(), "descriptor_path": "acme.deployer.noop", "slot": "deployer"}
    with pytest.raises(ManifestError, match="compiler"):
        load_manifest(_write(tmp_path, "acme.deployer.noop.yaml", document))


def test_a_manifest_file_is_named_after_its_path(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"acme\.telemetry\.noop\.yaml"):
        load_manifest(_write(tmp_path, "other.yaml", _valid_document()))


def test_a_settings_schema_file_is_read_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    schema = {"type": "object", "required": ["x"]}
    (tmp_path / "schemas/noop.json").write_text(json.dumps(schema), encoding="utf-8")
    document = {**_valid_document(), "settings_schema": "schemas/noop.json"}
    manifest = load_manifest(_write(tmp_path, "acme.telemetry.noop.yaml", document))
    assert manifest.schema_dict() == schema

    missing = {**_valid_document(), "settings_schema": "schemas/missing.json"}
    with pytest.raises(ManifestError, match="does not exist"):
        load_manifest(_write(tmp_path, "acme.telemetry.noop.yaml", missing))


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "acme.telemetry.noop.yaml"
    path.write_text("slot: [unclosed\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"not valid YAML at line \d"):
        load_manifest(path)


def test_a_broken_manifest_directory_fails_with_builtins(tmp_path: Path) -> None:
    _write(tmp_path, "acme.telemetry.noop.yaml", {**_valid_document(), "slot": "nope"})
    with pytest.raises(ManifestError):
        EnvPackRegistry.with_builtins(tmp_path)
