"""Environments from before per-environment namespaces stay where they are (issue 16).

The state migration pins ``greentic-<tenant>`` into the settings of a k8s deployer that left
``namespace`` unset; the pinned state compiles to the namespace the old default gave, still
owned, so the first ``up`` after the upgrade renames and replaces nothing.
"""

from __future__ import annotations

import json
from typing import Any

from greentic_iac.plan import logical_name
from greentic_iac.spec import EnvironmentState
from greentic_iac.targets.k8s import compile_plan
from greentic_iac.targets.k8s.legacy import legacy_namespace, pin_legacy_k8s_namespace
from tests.targets.k8s.k8s_cases import NGINX, DeploymentSpec, L, make_state


def _document(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    spec = DeploymentSpec(1, "shop", "shop.example.com", [(L.READY, 10_000)])
    return make_state([spec], routing=NGINX, settings=settings).to_json_dict()


def _namespaces(document: dict[str, Any]) -> set[str]:
    plan = compile_plan(EnvironmentState.model_validate(document))
    return {r.properties["metadata"].get("namespace") or r.properties["metadata"]["name"]
            for r in plan.resources}  # fmt: skip


def test_an_unset_namespace_is_pinned_to_the_tenant_namespace_and_stays_owned() -> None:
    document = _document()
    assert _namespaces(document) == {"greentic-acme-zain-prod"}  # the new default
    pinned = pin_legacy_k8s_namespace(document)
    assert _namespaces(pinned) == {"greentic-acme"}
    plan = compile_plan(EnvironmentState.model_validate(pinned))
    assert plan.resource("k8s-namespace").properties["metadata"]["name"] == "greentic-acme"
    assert document != pinned  # the input is not mutated
    assert pin_legacy_k8s_namespace(pinned) == pinned


def test_a_configured_namespace_and_other_deployers_are_untouched() -> None:
    configured = _document({"namespace": "shop"})
    assert pin_legacy_k8s_namespace(configured) == configured
    other = _document()
    other["environment"]["packs"][0]["kind"] = "greentic.deployer.aws-ecs@1.0.0"
    assert pin_legacy_k8s_namespace(other) == other


def test_the_rollback_snapshot_is_pinned_too() -> None:
    document = _document()
    pack = document["environment"]["packs"][0]
    pack["previous"] = {
        "kind": pack["kind"],
        "pack_ref": pack["pack_ref"],
        "settings": {**pack["settings"], "replicas": 1},
        "generation": 0,
    }
    pinned = pin_legacy_k8s_namespace(document)
    assert pinned["environment"]["packs"][0]["previous"]["settings"]["namespace"] == "greentic-acme"
    EnvironmentState.model_validate(pinned)


def test_the_legacy_name_is_the_old_rule_for_every_tenant() -> None:
    for tenant in ("acme", "a.b_c", "x" * 60, "t-" + "y" * 62):
        assert legacy_namespace(tenant) == logical_name("greentic", tenant)


def test_a_v1_state_file_read_by_the_store_keeps_its_namespace() -> None:
    from greentic_iac.store.codec import canonical_json, decode_state, sha256_hex

    state = _document()
    state["schema_version"] = "greentic.environment-state.v1"
    for key in ("allocations", "allocation_scopes", "released", "frozen_config"):
        state.pop(key, None)
    data = json.dumps(
        {
            "format": "greentic.store.state-file.v1",
            "sha256": sha256_hex(canonical_json(state)),
            "state": state,
        }
    ).encode()
    upgraded, _ = decode_state(data)
    assert upgraded.schema_version == "greentic.environment-state.v2"
    assert _namespaces(upgraded.to_json_dict()) == {"greentic-acme"}
