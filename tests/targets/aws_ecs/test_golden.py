"""Golden plans for the AWS ECS target: one JSON file per case (state in, plan out).

Regenerate with ``make golden`` (sets GREENTIC_REGENERATE_GOLDEN=1) and review the diff.
Every case also runs through the Pulumi emitter under mocks: the typed pulumi_aws classes
must accept every input the plan carries.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan
from greentic_iac.pulumi.testing import assert_registered_matches_plan
from greentic_iac.targets.aws_ecs import compile_plan
from tests.targets.aws_ecs.cases import CASES

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("GREENTIC_REGENERATE_GOLDEN") == "1"


def _document(case: str) -> dict[str, object]:
    state = CASES[case]()
    plan = compile_plan(state)
    return {
        "case": case,
        "state": state.to_json_dict(),
        "plan": json.loads(plan.to_pretty_json()),
    }


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


@pytest.mark.parametrize("case", sorted(CASES))
def test_emitter_accepts_every_input(case: str) -> None:
    plan = compile_plan(CASES[case]())
    if plan.errors:
        # A refused plan never reaches Pulumi; its resources must still be well-typed.
        with pytest.raises(InvalidInputError, match=plan.errors[0].code):
            assert_registered_matches_plan(plan)
        plan = plan.model_copy(update={"findings": []})
    assert_registered_matches_plan(plan)


def test_golden_plans_load_back_as_plans() -> None:
    for path in sorted(GOLDEN.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        plan = Plan.model_validate(document["plan"])
        assert plan.target == "greentic.deployer.aws-ecs"
