"""v1 states (no allocations) migrate without moving any live listener rule.

``v1_states/`` holds the AWS golden states as v1 wrote them and the priorities the v1
compiler (hash + probe on every compile) gave their rules, copied before the v2 schema.
Reading such a state upgrades it; compiling it, or changing it through a verb, keeps every
one of those priorities; only new owners get new (banded) ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from greentic_iac.store.codec import STATE_FILE_FORMAT, canonical_json, decode_state, sha256_hex
from greentic_iac.targets.aws_ecs import compile_plan
from greentic_iac.targets.aws_ecs.allocation import PRIORITY
from greentic_iac.targets.aws_ecs.priorities import weighted_band
from tests.lifetime.aws.operator import Operator

V1_STATES = sorted((Path(__file__).parent / "v1_states").glob("*.json"))
RULE = "aws:lb/listenerRule:ListenerRule"


def _v1_file(document: dict[str, Any]) -> bytes:
    """A state file exactly as v1 wrote it (envelope, sha256 of the canonical document)."""
    envelope = {
        "format": STATE_FILE_FORMAT,
        "sha256": sha256_hex(canonical_json(document)),
        "state": document,
    }
    return json.dumps(envelope, indent=2).encode()


def _fixture(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    state = data["state"]
    assert state["schema_version"] == "greentic.environment-state.v1"
    return state, data["v1_priorities"]


@pytest.mark.parametrize("path", V1_STATES, ids=lambda p: p.stem)
def test_a_v1_state_compiles_to_the_priorities_v1_gave_it(path: Path) -> None:
    document, v1_priorities = _fixture(path)
    state, _ = decode_state(_v1_file(document))
    assert state.schema_version == "greentic.environment-state.v2"
    plan = compile_plan(state)
    priorities = {r.name: r.properties["priority"] for r in plan.resources if r.type == RULE}
    assert priorities == v1_priorities


def test_changing_a_migrated_environment_keeps_every_live_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "prod-eu")
    # Verbs only, nothing replayed: no AWS endpoint is needed.
    operator = Operator(tmp_path / "home", boto3.Session(region_name="eu-west-1"))
    document, v1_priorities = _fixture(
        next(p for p in V1_STATES if p.stem == "two-deployments-host-and-path-routing")
    )
    directory = operator.home / "environments" / document["environment"]["environment_id"]
    directory.mkdir(parents=True)
    (directory / "state.json").write_bytes(_v1_file(document))
    (operator.home / "store.json").write_text('{"store_schema": 1}\n', encoding="utf-8")
    env = "prod-eu"
    older = "01J9DEP0000000000000000001"

    staged = operator.stage(env, older, 9)  # a new revision in the oldest deployment
    assert staged.code == 0, staged.stderr
    added = operator.add_bundle(env, "shop.example.com", "/cart")
    assert added.code == 0, added.stderr

    state = operator.state(env)
    assert state.schema_version == "greentic.environment-state.v2"
    plan = compile_plan(state)
    priorities = {r.name: r.properties["priority"] for r in plan.resources if r.type == RULE}
    assert {name: priorities[name] for name in v1_priorities} == v1_priorities
    new_deployment = added.result["deployment_id"]
    low, high = weighted_band(state.deployments[new_deployment].route_binding)
    assert low <= state.allocations[new_deployment][PRIORITY] <= high
    assert len(set(priorities.values())) == len(priorities)
