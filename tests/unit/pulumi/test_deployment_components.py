"""Deployment components, their aliases and the per-deployment stack outputs, under mocks.

The aliases are checked the way an existing stack would meet them: emit the plan the old
way (flat, ``group_deployments=False``) and the new way, and require every resource's old
URN to be its new URN or one of its aliases (as the engine resolves them), so ``pulumi up``
after the upgrade finds every resource where it was and replaces none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan, PlanResource
from greentic_iac.pulumi.deployments import (
    COMPONENT_TYPE,
    component_name,
    deployment_of,
    deployment_outputs,
)
from greentic_iac.pulumi.emitter import emit
from greentic_iac.pulumi.testing import (
    Capture,
    assert_registered_matches_plan,
    emit_under_mocks,
    run_under_mocks,
    wanted_outputs,
)

TARGETS = Path(__file__).resolve().parents[2] / "targets"
AWS_GOLDEN = TARGETS / "aws_ecs" / "golden" / "two-deployments-host-and-path-routing.json"
K8S_GOLDEN = TARGETS / "k8s" / "golden" / "two-deployments-one-namespace-gateway.json"
AWS_CANARY = "01J9DEP0000000000000000003"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def golden_plan(path: Path) -> Plan:
    document = json.loads(path.read_text(encoding="utf-8"))
    return Plan.model_validate(document.get("plan", document))


def flat_run(plan: Plan) -> Capture:
    """The program as it was before components: every resource at the root."""
    return run_under_mocks(
        lambda: emit(plan, group_deployments=False),
        stack=plan.environment_id,
        outputs_wanted=wanted_outputs(plan),
    )


def assert_old_urns_reached_through_aliases(plan: Plan) -> tuple[Capture, Capture]:
    old, new = flat_run(plan), emit_under_mocks(plan)
    assert set(old.registrations) == set(new.registrations)
    for name, before in old.registrations.items():
        after = new.registrations[name]
        assert before.urn == after.urn or before.urn in after.aliases, (
            f"{name}: old URN {before.urn} is neither its URN {after.urn} nor an alias "
            f"{after.aliases}: an existing stack would replace it"
        )
    return old, new


@pytest.mark.parametrize("golden", [AWS_GOLDEN, K8S_GOLDEN], ids=["aws-ecs", "k8s"])
def test_each_deployment_is_a_component_and_old_stacks_see_no_replace(golden: Path) -> None:
    plan = golden_plan(golden)
    old, new = assert_old_urns_reached_through_aliases(plan)
    assert_registered_matches_plan(plan, new)
    deployments = sorted({d for r in plan.resources if (d := deployment_of(r))})
    assert sorted(new.components) == [component_name(d) for d in deployments]
    assert {c.type for c in new.components.values()} == {COMPONENT_TYPE}
    moved = [n for n in new.registrations if new.registrations[n].urn != old.registrations[n].urn]
    # The check above has teeth: most resources really changed URN ...
    assert len(moved) >= len(deployments) * 2
    for name in moved:
        registered = new.registrations[name]
        assert registered.parent in new.components
        assert f"::{COMPONENT_TYPE}$" in registered.urn
    # ... and shared infrastructure (no deployment tag) stayed at the root, unaliased.
    shared = [r.name for r in plan.resources if deployment_of(r) is None]
    assert shared
    for name in shared:
        assert new.registrations[name].urn == old.registrations[name].urn
        assert new.registrations[name].parent is None


def test_a_child_of_a_moved_resource_is_aliased_to_its_whole_old_urn() -> None:
    labels = {"greentic.ai/deployment": "01JDEP00000000000000000009"}
    plan = Plan(
        environment_id="demo",
        target="test",
        resources=[
            PlanResource(
                type=CONFIG_MAP, name="parent-cm", properties={"metadata": {"labels": labels}}
            ),
            PlanResource(
                type=CONFIG_MAP,
                name="child-cm",
                properties={"data": {"a": "b"}},
                parent="parent-cm",
            ),
            PlanResource(type=CONFIG_MAP, name="grandchild-cm", properties={}, parent="child-cm"),
        ],
    )
    old, new = assert_old_urns_reached_through_aliases(plan)
    grandchild = new.registrations["grandchild-cm"]
    assert grandchild.parent == "child-cm"
    chain = f"{COMPONENT_TYPE}${CONFIG_MAP}${CONFIG_MAP}${CONFIG_MAP}"
    assert grandchild.urn == f"urn:pulumi:demo::greentic-iac::{chain}::grandchild-cm"
    assert old.registrations["grandchild-cm"].urn in grandchild.aliases
    assert_registered_matches_plan(plan, new)


def test_the_mock_engine_would_catch_a_missing_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the aliases the comparison fails: the test above is not vacuous."""
    from greentic_iac.pulumi import emitter

    monkeypatch.setattr(emitter, "_aliases", lambda *_: None)
    with pytest.raises(AssertionError, match="would replace it"):
        assert_old_urns_reached_through_aliases(golden_plan(K8S_GOLDEN))


def test_stack_outputs_carry_each_deployments_split_and_endpoints() -> None:
    plan = golden_plan(AWS_GOLDEN)
    outputs = emit_under_mocks(plan).stack_outputs["deployments"]
    assert sorted(outputs) == sorted(t.deployment_id for t in plan.traffic)
    canary = outputs[AWS_CANARY]
    assert canary["traffic"] == {
        "method": "alb-weight-0-999",
        "revisions": {
            "01J9REV0000000030000000001": {"bps": 7000, "weight": 7, "effectiveBps": 7000},
            "01J9REV0000000030000000002": {"bps": 3000, "weight": 3, "effectiveBps": 3000},
        },
    }
    # The URL of this deployment and the ALB's DNS name (a resource output, resolved).
    assert canary["endpoints"] == {
        "urls": "https://*.tenants.example.com/",
        "albDnsName": "mock://alb/dnsName",
    }


def test_kubernetes_outputs_name_the_host() -> None:
    plan = golden_plan(K8S_GOLDEN)
    outputs = emit_under_mocks(plan).stack_outputs["deployments"]
    first = outputs["01JDEP00000000000000000001"]
    assert first["endpoints"] == {"host": "hello.acme.example.com", "path_prefix": "/"}
    assert first["traffic"]["method"] == "gateway-bps"
    assert {r["bps"] for r in first["traffic"]["revisions"].values()} <= set(range(10_001))
    assert sum(r["bps"] for r in first["traffic"]["revisions"].values()) == 10_000


def test_a_deployment_without_a_split_still_has_an_entry_and_the_name_is_reserved() -> None:
    labels = {"greentic.ai/deployment": "01JDEP00000000000000000009"}
    resource = PlanResource(type=CONFIG_MAP, name="cm", properties={"metadata": {"labels": labels}})
    plan = Plan(environment_id="demo", target="test", resources=[resource])
    expected: dict[str, Any] = {
        "01JDEP00000000000000000009": {"traffic": {"revisions": {}}, "endpoints": {}}
    }
    assert deployment_outputs(plan) == expected
    clash = plan.model_copy(update={"outputs": {"deployments": "mine"}})
    with pytest.raises(InvalidInputError, match=r"outputs\.deployments"):
        deployment_outputs(clash)
