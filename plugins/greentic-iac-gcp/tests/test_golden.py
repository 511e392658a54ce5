"""Golden plans for the Cloud Run target: one JSON file per case (state in, plan out).

Regenerate with ``make golden`` (GREENTIC_REGENERATE_GOLDEN=1) and review the diff. Every
case also runs through the core's Pulumi emitter under mocks (the typed pulumi-gcp classes
must take every top-level input) and through the nested typed-Args walk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from greentic_iac_gcp import compile_plan

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan
from greentic_iac.pulumi.testing import assert_registered_matches_plan

from .cases import CASES
from .typed_args import plan_problems, problems

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("GREENTIC_REGENERATE_GOLDEN") == "1"


def _document(case: str) -> dict[str, object]:
    state = CASES[case]()
    plan = compile_plan(state)
    return {"case": case, "state": state.to_json_dict(), "plan": json.loads(plan.to_pretty_json())}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_matches_golden(case: str) -> None:
    path = GOLDEN / f"{case}.json"
    document = _document(case)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: run `make golden`"
    assert json.loads(path.read_text(encoding="utf-8")) == document, (
        f"{path.name} is stale: run `make golden` and review the diff"
    )


def test_every_golden_file_has_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(CASES)


def test_golden_plans_load_back_as_plans() -> None:
    for path in sorted(GOLDEN.glob("*.json")):
        plan = Plan.model_validate(json.loads(path.read_text(encoding="utf-8"))["plan"])
        assert plan.target == "greentic.deployer.cloud-run"


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_nested_property_is_a_pulumi_gcp_field(case: str) -> None:
    assert plan_problems(compile_plan(CASES[case]())) == []


def test_the_typed_walk_catches_a_misspelt_nested_field() -> None:
    from .typed_args import args_class

    plan = compile_plan(CASES["one-revision-http"]())
    service = next(r for r in plan.resources if r.name.startswith("run-"))
    template = json.loads(json.dumps(service.properties))
    template["template"]["containers"][0]["resources"]["limit"] = {"cpu": "1"}
    template["scaling"]["minInstances"] = 1
    found = problems(template, args_class(service.type), service.name)
    assert any("resources.limit: not a field" in p for p in found), found
    assert any("scaling.minInstances: not a field" in p for p in found), found


@pytest.mark.parametrize("case", sorted(CASES))
def test_emitter_accepts_every_input(case: str) -> None:
    plan = compile_plan(CASES[case]())
    if plan.errors:
        # A refused plan never reaches Pulumi; its resources must still be well-typed.
        with pytest.raises(InvalidInputError, match=plan.errors[0].code):
            assert_registered_matches_plan(plan)
        plan = plan.model_copy(update={"findings": []})
    assert_registered_matches_plan(plan)
