"""Environment, ids, state document invariants and JSON Schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import (
    BundleDeployment,
    CapabilitySlot,
    Environment,
    EnvironmentState,
    Revision,
    RevisionLifecycle,
    RuntimeConfig,
    TrafficSplit,
    format_validation_error,
    local_environment,
    new_ulid,
    runtime_config_from_state,
    validate_environment_id,
)

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize("good", ["local", "prod-eu", "a", "zain-prod", "x" * 63])
def test_good_environment_ids(good: str) -> None:
    assert validate_environment_id(good) == good


@pytest.mark.parametrize("bad", ["../x", "Prod", "", "-a", "a-", "x" * 64, "a_b", "a/b", "a.b"])
def test_bad_environment_ids(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="environment_id: "):
        validate_environment_id(bad)


def test_local_environment_has_the_five_defaults() -> None:
    env = local_environment()
    assert [str(b.kind) for b in env.packs] == [
        "greentic.deployer.local-process@0.1.0",
        "greentic.secrets.dev-store@0.1.0",
        "greentic.telemetry.stdout@0.1.0",
        "greentic.sessions.in-memory@0.1.0",
        "greentic.state.in-memory@0.1.0",
    ]
    assert env.missing_slots() == [CapabilitySlot.REVOCATION]
    assert Environment.model_validate_json(env.model_dump_json()) == env


def test_one_binding_per_slot() -> None:
    data = local_environment().to_json_dict()
    data["packs"].append(dict(data["packs"][0]))
    with pytest.raises(ValidationError) as info:
        Environment.model_validate(data)
    assert (
        format_validation_error(info.value)
        == "packs: slot 'deployer' is bound twice (one per slot)"
    )


def test_messaging_is_not_a_pack_slot() -> None:
    data = local_environment().to_json_dict()
    data["packs"].append(
        {"slot": "messaging", "kind": "greentic.messaging.slack@1.0.0", "pack_ref": "x"}
    )
    with pytest.raises(ValidationError, match="messaging_endpoints"):
        Environment.model_validate(data)


def test_extension_identity_is_version_independent() -> None:
    data = local_environment().to_json_dict()
    data["extensions"] = [
        {"kind": "acme.oauth.auth0@1.0.0", "pack_ref": "a"},
        {"kind": "acme.oauth.auth0@1.0.0", "pack_ref": "b", "instance_id": "primary"},
    ]
    env = Environment.model_validate(data)
    assert {e.key for e in env.extensions} == {
        ("acme.oauth.auth0", None),
        ("acme.oauth.auth0", "primary"),
    }
    data["extensions"].append(
        {"kind": "acme.oauth.auth0@2.0.0", "pack_ref": "c", "instance_id": "primary"}
    )
    with pytest.raises(ValidationError, match="bound twice"):
        Environment.model_validate(data)


def _state_with_revisions(lifecycle: RevisionLifecycle) -> tuple[EnvironmentState, str, str]:
    deployment_id, revision_id = new_ulid(), new_ulid()
    state = EnvironmentState(
        environment=local_environment(),
        deployments={
            deployment_id: BundleDeployment(
                deployment_id=deployment_id,
                bundle_id="fast2flow",
                customer_id="local-dev",
                route_binding={"host": "localhost", "path_prefix": "/"},
                created_at=NOW,
            )
        },
        revisions={
            revision_id: Revision(
                revision_id=revision_id,
                deployment_id=deployment_id,
                bundle_digest="sha256:abc123",
                sequence=1,
                lifecycle=lifecycle,
                created_at=NOW,
                updated_at=NOW,
            )
        },
    )
    return state, deployment_id, revision_id


def test_only_ready_revisions_take_weight() -> None:
    state, deployment_id, revision_id = _state_with_revisions(RevisionLifecycle.STAGED)
    data = state.to_json_dict()
    data["traffic"] = {
        deployment_id: {
            "deployment_id": deployment_id,
            "entries": [{"revision_id": revision_id, "weight_bps": 10000}],
        }
    }
    with pytest.raises(ValidationError, match="only ready revisions may carry weight"):
        EnvironmentState.model_validate(data)


def test_runtime_config_from_state() -> None:
    state, deployment_id, revision_id = _state_with_revisions(RevisionLifecycle.READY)
    state.traffic[deployment_id] = TrafficSplit(
        deployment_id=deployment_id, entries=[{"revision_id": revision_id, "weight_bps": 10000}]
    )
    state = EnvironmentState.model_validate(state.to_json_dict())
    config = runtime_config_from_state(state)
    assert config.deployments[0].revisions[0].weight_bps == 10000
    assert (
        config.deployments[0].revisions[0].pack_refs["deployer"]
        == "builtin://greentic.deployer.local-process"
    )
    RuntimeConfig.model_validate_json(config.model_dump_json())


def test_runtime_config_refuses_bad_weights() -> None:
    _state, deployment_id, revision_id = _state_with_revisions(RevisionLifecycle.READY)
    data = {
        "environment_id": "local",
        "generation": 1,
        "deployments": [
            {
                "deployment_id": deployment_id,
                "bundle_id": "b",
                "tenant": "local-dev",
                "route_binding": {"host": "localhost"},
                "split_generation": 0,
                "revisions": [
                    {
                        "revision_id": revision_id,
                        "bundle_digest": "sha256:ab",
                        "sequence": 1,
                        "lifecycle": "ready",
                        "weight_bps": 9999,
                    }
                ],
            }
        ],
    }
    with pytest.raises(ValidationError, match="weights sum to 9999"):
        RuntimeConfig.model_validate(data)


@pytest.mark.parametrize(
    "model",
    [Environment, EnvironmentState, RuntimeConfig, TrafficSplit, BundleDeployment, Revision],
)
def test_every_model_prints_a_valid_json_schema(model: type) -> None:
    schema = model.model_json_schema()  # type: ignore[attr-defined]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False


def test_environment_schema_accepts_the_default_document() -> None:
    schema = Environment.model_json_schema()
    jsonschema.validate(json.loads(local_environment().model_dump_json()), schema)


def test_persisted_documents_carry_a_schema_version() -> None:
    state, _, _ = _state_with_revisions(RevisionLifecycle.STAGED)
    data = state.to_json_dict()
    assert data["schema_version"] == "greentic.environment-state.v2"
    assert data["environment"]["schema_version"] == "greentic.environment.v1"
    data["schema_version"] = "greentic.environment-state.v9"
    with pytest.raises(ValidationError) as info:
        EnvironmentState.model_validate(data)
    assert format_validation_error(info.value).startswith("schema_version: ")
