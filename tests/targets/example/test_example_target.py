"""The example target against the conformance kit: emitter, exported program, golden plan.

Regenerate the golden file after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/targets/example`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from greentic_iac.plan.model import Plan
from greentic_iac.plan.type_tokens import unsupported_types
from greentic_iac.pulumi.export import export_pulumi_python
from greentic_iac.pulumi.testing import (
    assert_registered_matches_plan,
    emit_under_mocks,
    run_source_under_mocks,
)
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets import load_compiler
from greentic_iac.targets.example import compile_plan

from .conftest import DEPLOYMENT, REVISION_1, REVISION_2, example_state

GOLDEN = Path(__file__).parent / "golden" / "one-deployment.json"


def test_golden_plan_is_unchanged(state: EnvironmentState) -> None:
    plan = compile_plan(state)
    if os.environ.get("UPDATE_GOLDEN"):
        plan.save(GOLDEN)
    assert plan.to_pretty_json() == GOLDEN.read_text(encoding="utf-8")
    assert Plan.load(GOLDEN).content_hash() == plan.content_hash()


def test_every_type_token_is_supported(state: EnvironmentState) -> None:
    assert unsupported_types(compile_plan(state)) == []


def test_emitted_resources_match_the_plan(state: EnvironmentState) -> None:
    plan = compile_plan(state)
    capture = assert_registered_matches_plan(plan)
    # The kit really looked: refs arrived as the referenced resource's outputs.
    policy = capture.registrations["bucket-policy-demo"]
    assert policy.inputs["bucket"] == "bucket-demo-id"
    assert policy.dependencies == ["bucket-demo"]
    config = capture.registrations[f"cm-{DEPLOYMENT.lower()}"]
    assert config.parent == "ns-demo"
    assert config.inputs["metadata"]["namespace"] == "greentic-demo"
    assert capture.registrations["ns-demo"].protect is True
    assert config.protect is False  # not inherited from the protected parent
    route = capture.registrations[f"route-{DEPLOYMENT.lower()}"]
    assert route.type == "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    deployments = capture.stack_outputs.pop("deployments")
    assert capture.stack_outputs == {
        "bucketArn": "mock://bucket-demo/arn",
        "namespace": "greentic-demo",
    }
    assert deployments[DEPLOYMENT]["traffic"]["revisions"] == {
        "01JAAAAAAAAAAAAAAAAAAAAAR1": {"bps": 10000, "weight": 10000, "effectiveBps": 10000}
    }
    # The route moved under the deployment's component; the namespace's child stayed put.
    assert route.parent == f"deployment-{DEPLOYMENT.lower()}"


def test_exported_program_registers_the_same_resources(state: EnvironmentState) -> None:
    plan = compile_plan(state)
    source = export_pulumi_python(plan)
    assert "import greentic_iac" not in source
    assert_registered_matches_plan(plan, run_source_under_mocks(source, plan))


def test_staging_a_revision_adds_resources_and_renames_none() -> None:
    before = compile_plan(example_state())
    after = compile_plan(example_state(with_second_revision=True))
    before_names = {r.name for r in before.resources}
    after_names = {r.name for r in after.resources}
    assert before_names < after_names
    added = after_names - before_names
    assert added == {f"cm-{DEPLOYMENT.lower()}-{REVISION_2.lower()}"}
    # Untouched resources keep their properties too (only the route gains a backend).
    for resource in before.resources:
        if not resource.name.startswith("route-"):
            assert after.resource(resource.name) == resource


def test_new_revision_plan_still_conforms() -> None:
    plan = compile_plan(example_state(with_second_revision=True))
    assert_registered_matches_plan(plan)


def test_traffic_is_reported_per_revision(state: EnvironmentState) -> None:
    (traffic,) = compile_plan(state).traffic
    assert traffic.deployment_id == DEPLOYMENT
    assert [(r.revision_id, r.requested_bps) for r in traffic.revisions] == [(REVISION_1, 10_000)]
    assert traffic.max_error_bps == 0


def test_compile_is_deterministic(state: EnvironmentState) -> None:
    assert compile_plan(state).canonical_json() == compile_plan(state).canonical_json()


def test_load_compiler_finds_the_example() -> None:
    assert load_compiler("greentic_iac.targets.example:compile_plan") is compile_plan


@pytest.mark.parametrize("renamed", ["ns-demo", f"cm-{DEPLOYMENT.lower()}"])
def test_kit_reports_a_renamed_resource(state: EnvironmentState, renamed: str) -> None:
    plan = compile_plan(state)
    capture = emit_under_mocks(plan)
    capture.registrations["renamed"] = capture.registrations.pop(renamed)
    with pytest.raises(AssertionError, match="not registered"):
        assert_registered_matches_plan(plan, capture)
