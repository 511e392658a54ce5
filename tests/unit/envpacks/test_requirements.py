"""What env tool-check gets from the registry: per-binding requirements, placeholders filled."""

from __future__ import annotations

import pytest

from greentic_iac.envpacks import (
    EnvPackRegistry,
    binding_requirements,
    preflight_for_settings,
)
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import Environment, EnvPackBinding, PackDescriptor
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement
from tests.unit.envpacks.helpers import make_handler


def test_the_local_environment_needs_zero_checks(
    local: Environment, registry: EnvPackRegistry
) -> None:
    rows = binding_requirements(local, registry)
    assert [row.slot for row in rows] == ["deployer", "secrets", "telemetry", "sessions", "state"]
    assert sum(len(row.requirements) for row in rows) == 0
    assert all(row.problem is None for row in rows)


def _deployer(local: Environment, kind: str, settings: dict[str, object]) -> Environment:
    binding = EnvPackBinding(
        slot="deployer", kind=PackDescriptor.parse(kind), pack_ref="x", settings=settings
    )
    return local.model_copy(update={"packs": [binding, *local.packs[1:]]})


def test_an_ecs_environment_needs_pulumi_aws_and_a_caller_identity(
    local: Environment, builtins: EnvPackRegistry
) -> None:
    rows = binding_requirements(_deployer(local, "greentic.deployer.aws-ecs@1.0.0", {}), builtins)
    deployer = rows[0]
    assert [r.tool for r in deployer.requirements if isinstance(r, ToolRequirement)] == [
        "pulumi",
        "aws",
    ]
    assert [r.probe for r in deployer.requirements if isinstance(r, ProbeRequirement)] == [
        "aws-caller-identity"
    ]


def test_k8s_probe_params_are_filled_from_settings(
    local: Environment, builtins: EnvPackRegistry
) -> None:
    settings = {"namespace": "zain-prod", "kube_context": "zain-eks"}
    environment = _deployer(local, "greentic.deployer.k8s@1.0.0", settings)
    probes = [r for r in binding_requirements(environment, builtins)[0].requirements]
    params = [r.params for r in probes if isinstance(r, ProbeRequirement)]
    assert params == [
        {"verb": "create", "resource": ref, "namespace": "zain-prod", "context": "zain-eks"}
        for ref in ("deployments", "services")
    ] + [{"namespace": "zain-prod", "context": "zain-eks", "mode": "owned", "create": True}]
    # Without a kube_context the probe asks kubectl's current context (the schema default).
    bare = _deployer(local, "greentic.deployer.k8s@1.0.0", {"namespace": "zain-prod"})
    assert all(
        r.params["context"] is None
        for r in binding_requirements(bare, builtins)[0].requirements
        if isinstance(r, ProbeRequirement)
    )
    # The handler's own declaration is untouched.
    declared = builtins.get("greentic.deployer.k8s").preflight()
    assert any(
        isinstance(r, ProbeRequirement) and r.params["namespace"] == "{{ settings.namespace }}"
        for r in declared
    )


def test_placeholders_fall_back_to_schema_defaults_then_fail_naming_the_field() -> None:
    probe = {"probe": "kubectl-can-i", "params": {"namespace": "{{ settings.target.ns }}"}}
    schema = {
        "type": "object",
        "properties": {
            "target": {"type": "object", "properties": {"ns": {"type": "string", "default": "gt"}}}
        },
    }
    handler = make_handler("acme.deployer.kube", "deployer", probes=[probe], settings_schema=schema)
    (filled,) = preflight_for_settings(handler, {})
    assert isinstance(filled, ProbeRequirement) and filled.params == {"namespace": "gt"}
    (filled,) = preflight_for_settings(handler, {"target": {"ns": "prod"}})
    assert isinstance(filled, ProbeRequirement) and filled.params == {"namespace": "prod"}

    bare = make_handler("acme.deployer.kube2", "deployer", probes=[probe])
    with pytest.raises(InvalidInputError, match=r"^settings\.target\.ns: field required"):
        preflight_for_settings(bare, {})


def test_an_unknown_kind_is_a_problem_row_not_a_crash(
    local: Environment, builtins: EnvPackRegistry
) -> None:
    rows = binding_requirements(_deployer(local, "acme.deployer.nomad@1.0.0", {}), builtins)
    assert rows[0].requirements == []
    assert rows[0].problem is not None and "acme.deployer.nomad" in rows[0].problem
    assert all(row.problem is None for row in rows[1:])
