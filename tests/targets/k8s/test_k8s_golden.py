"""Golden plans of the Kubernetes target: one JSON file per case in golden/.

Regenerate with `make golden` (GREENTIC_REGENERATE_GOLDEN=1) and review the diff. Each case
also runs through the Pulumi emitter under mocks (conformance: what registers is the plan).
"""

from __future__ import annotations

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan
from greentic_iac.pulumi.testing import assert_registered_matches_plan
from greentic_iac.targets.k8s import compile_plan
from tests.targets.k8s.k8s_cases import CASES, GOLDEN_DIR, REGENERATE


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_matches_golden(case: str) -> None:
    plan = compile_plan(CASES[case]())
    path = GOLDEN_DIR / f"{case}.json"
    if REGENERATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        plan.save(path)
    assert path.is_file(), f"missing golden file {path.name}: run `make golden`"
    assert plan.to_pretty_json() == path.read_text(encoding="utf-8")
    # The golden file round-trips to the same plan.
    assert Plan.load(path).content_hash() == plan.content_hash()


def test_every_golden_file_has_a_case() -> None:
    stale = sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem not in CASES)
    assert stale == [], f"golden files without a case (delete them): {stale}"


def test_compile_is_deterministic() -> None:
    for build in CASES.values():
        assert compile_plan(build()).canonical_json() == compile_plan(build()).canonical_json()


@pytest.mark.parametrize("case", sorted(CASES))
def test_emitter_registers_exactly_the_plan(case: str) -> None:
    plan = compile_plan(CASES[case]())
    if plan.errors:
        # A refused plan never reaches Pulumi.
        with pytest.raises(InvalidInputError, match=plan.errors[0].code):
            assert_registered_matches_plan(plan)
        return
    assert_registered_matches_plan(plan)
