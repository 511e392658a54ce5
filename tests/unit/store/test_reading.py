"""The model-free ``env list`` path agrees with the models and fails like ``load`` does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.errors import StateCorruptError
from greentic_iac.spec import (
    BundleDeployment,
    DeploymentLifecycle,
    EnvironmentState,
    Revision,
    RouteBinding,
    new_ulid,
)
from greentic_iac.store import LocalFileStore
from greentic_iac.store.codec import STATE_FILE_FORMAT, canonical_json, sha256_hex
from greentic_iac.store.reading import backup_generation, environment_summaries

from .conftest import make_state

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _deployment(lifecycle: DeploymentLifecycle) -> BundleDeployment:
    return BundleDeployment(
        deployment_id=new_ulid(),
        bundle_id="shop",
        customer_id="acme",
        route_binding=RouteBinding(host="shop.example.com"),
        lifecycle=lifecycle,
        created_at=NOW,
    )


def _busy_state(environment_id: str) -> EnvironmentState:
    state = make_state(environment_id)
    live, gone = _deployment(DeploymentLifecycle.ACTIVE), _deployment(DeploymentLifecycle.REMOVED)
    state.deployments = {live.deployment_id: live, gone.deployment_id: gone}
    revision = Revision(
        revision_id=new_ulid(),
        deployment_id=live.deployment_id,
        bundle_digest="sha256:" + "ab" * 32,
        sequence=1,
        created_at=NOW,
        updated_at=NOW,
    )
    state.revisions = {revision.revision_id: revision}
    return EnvironmentState.model_validate(state.to_json_dict())


def _expected(state: EnvironmentState) -> dict[str, Any]:
    # Written against the models on purpose: the light path reads JSON and must agree.
    env = state.environment
    deployer = env.deployer()
    return {
        "environment_id": env.environment_id,
        "generation": state.generation,
        "pack_count": len(env.packs),
        "deployer": str(deployer.kind) if deployer else None,
        "tenant": env.tenant.tenant,
        "cloud": env.deployment.cloud.value,
        "region": env.deployment.region,
        "deployment_count": len(state.active_deployments()),
        "revision_count": len(state.revisions),
    }


def test_the_light_summaries_equal_the_model_summaries(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path, environ={"GREENTIC_GRANT": "dev"})
    store.create(_busy_state("dev"), verb="test")
    store.create(make_state("local"), verb="test")
    (tmp_path / "environments" / "Not_An_Id").mkdir()
    (tmp_path / "environments" / "empty").mkdir()
    expected = [_expected(store.load("dev")), _expected(store.load("local"))]
    assert expected[0]["deployment_count"] == 1 and expected[0]["revision_count"] == 1
    assert environment_summaries(None, tmp_path) == expected
    assert environment_summaries(f"file://{tmp_path}", None) == expected


def test_a_home_without_environments_lists_nothing(tmp_path: Path) -> None:
    assert environment_summaries(None, tmp_path / "nowhere") == []


def test_a_tampered_state_fails_with_the_error_load_gives(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    store.create(make_state("local"), verb="test")
    path = tmp_path / "environments" / "local" / "state.json"
    path.write_text(path.read_text().replace('"local-dev"', '"mallory"'))
    with pytest.raises(StateCorruptError) as from_load:
        store.load("local")
    # Listed as damaged (the other environments still list) with the error load gives.
    [row] = environment_summaries(None, tmp_path)
    assert row["damaged"] is True and row["error"] == str(from_load.value)
    assert "integrity check failed" in row["error"]


def test_a_rehashed_document_the_models_refuse_is_still_refused(tmp_path: Path) -> None:
    # A hand-edited document with a recomputed hash passes the light check's hash but not
    # its shape check, so the full load gets to refuse it.
    store = LocalFileStore(tmp_path)
    store.create(make_state("local"), verb="test")
    path = tmp_path / "environments" / "local" / "state.json"
    document = json.loads(path.read_text())["state"]
    document["environment"]["tenant"] = "not-an-object"
    envelope = {
        "format": STATE_FILE_FORMAT,
        "sha256": sha256_hex(canonical_json(document)),
        "state": document,
    }
    path.write_text(json.dumps(envelope))
    [row] = environment_summaries(None, tmp_path)
    assert row["damaged"] is True and "state.environment.tenant" in row["error"]


def test_a_directory_holding_another_environment_is_refused(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    store.create(make_state("local"), verb="test")
    moved = tmp_path / "environments" / "other"
    (tmp_path / "environments" / "local").rename(moved)
    [row] = environment_summaries(None, tmp_path)
    assert row["environment_id"] == "other" and "does not match" in row["error"]


@pytest.mark.parametrize(
    ("name", "generation"),
    [
        ("state.0000000042.json", 42),
        ("env/local/backups/state.0000000007.json", 7),
        ("xstate.0000000001.json", None),
        ("state.42.json", None),
        ("damaged.01H.json", None),
    ],
)
def test_backup_generation(name: str, generation: int | None) -> None:
    assert backup_generation(name) == generation
