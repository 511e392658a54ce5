"""Application config on Kubernetes: a hash-named ConfigMap per deployment through envFrom,
deployment keys over environment keys, greentic-iac's own keys never in it, and a draining
revision keeping the map it served with while a config change rolls the others."""

from __future__ import annotations

from typing import Any

from greentic_iac.operations.environments import set_config
from greentic_iac.operations.rollout import transition_revision
from greentic_iac.plan import Plan
from greentic_iac.spec import EnvironmentState, RevisionLifecycle
from greentic_iac.spec.answers import ConfigSetPayload
from greentic_iac.targets.k8s import compile_plan
from greentic_iac.targets.k8s.credentials import rbac_role_for_plan
from tests.targets.k8s.k8s_cases import DeploymentSpec, deployment_id, make_state, revision_id

READY, INACTIVE = RevisionLifecycle.READY, RevisionLifecycle.INACTIVE


def _state() -> EnvironmentState:
    spec = DeploymentSpec(1, "fast2flow", "app.acme.example.org", [(READY, 10_000), (READY, 0)])
    return make_state([spec])


def _set(state: EnvironmentState, key: str, value: str, deployment: str | None = None) -> Any:
    payload = ConfigSetPayload(
        environment_id="zain-prod", key=key, value=value, deployment_id=deployment
    )
    new, _ = set_config(state, payload)
    return new


def _config_maps(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        r.name: r.properties for r in plan.resources if r.type == "kubernetes:core/v1:ConfigMap"
    }


def _env_from(plan: Plan, revision: str) -> str | None:
    for resource in plan.resources:
        labels = resource.properties["metadata"].get("labels", {})
        if (
            resource.properties["kind"] == "Deployment"
            and labels.get("greentic.ai/revision") == revision
        ):
            container = resource.properties["spec"]["template"]["spec"]["containers"][0]
            refs = container.get("envFrom")
            return str(refs[0]["configMapRef"]["name"]) if refs else None
    raise AssertionError(f"no Deployment for {revision}")


def test_no_config_no_config_map() -> None:
    plan = compile_plan(_state())
    assert _config_maps(plan) == {}
    assert _env_from(plan, revision_id(1, 1)) is None


def test_config_reaches_the_pods_through_a_hash_named_map_without_tool_keys() -> None:
    state = _set(_state(), "LOG_LEVEL", "info")
    state = _set(state, "FEATURE_X", "on")
    state = _set(state, "pulumi.backend_url", "s3://acme-pulumi-state")
    state = _set(state, "LOG_LEVEL", "debug", deployment_id(1))
    plan = compile_plan(state)
    (config_map,) = _config_maps(plan).values()
    assert config_map["data"] == {"FEATURE_X": "on", "LOG_LEVEL": "debug"}
    assert config_map["immutable"] is True
    name = config_map["metadata"]["name"]
    assert _env_from(plan, revision_id(1, 1)) == name == _env_from(plan, revision_id(1, 2))
    assert "acme-pulumi-state" not in str([r.properties for r in plan.resources])
    deployment = next(r for r in plan.resources if r.properties["kind"] == "Deployment")
    assert any("configmap" in dep for dep in deployment.depends_on)
    # The deployer may manage what the plan now holds.
    assert "configmaps" in rbac_role_for_plan(plan)


def test_a_config_change_renames_the_map_but_a_draining_revision_keeps_its_own() -> None:
    state = _set(_state(), "LOG_LEVEL", "info")
    before = compile_plan(state)
    (old_name,) = (m["metadata"]["name"] for m in _config_maps(before).values())
    # Revision 2 took the traffic; revision 1 drains with the config it served with.
    state.traffic[deployment_id(1)].entries[0].revision_id = revision_id(1, 2)
    state, _ = transition_revision(state, revision_id(1, 1), RevisionLifecycle.DRAINING)
    state = _set(state, "LOG_LEVEL", "debug")
    after = compile_plan(state)
    maps = {m["metadata"]["name"]: m["data"] for m in _config_maps(after).values()}
    assert maps[old_name] == {"LOG_LEVEL": "info"}
    (new_name,) = set(maps) - {old_name}
    assert maps[new_name] == {"LOG_LEVEL": "debug"}
    assert _env_from(after, revision_id(1, 1)) == old_name
    assert _env_from(after, revision_id(1, 2)) == new_name
    # Inactive (no pods) it still names its frozen map; archived, only the new one stays.
    state, _ = transition_revision(state, revision_id(1, 1), INACTIVE)
    assert _env_from(compile_plan(state), revision_id(1, 1)) == old_name
    state, _ = transition_revision(state, revision_id(1, 1), RevisionLifecycle.ARCHIVED)
    assert {m["metadata"]["name"] for m in _config_maps(compile_plan(state)).values()} == {new_name}
