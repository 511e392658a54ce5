"""The rollout definition's validation and its schema-additive place in the state."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from greentic_iac.spec import local_environment
from greentic_iac.spec.rollout import AnalysisCheck, RolloutDefinition
from greentic_iac.spec.state import EnvironmentState, TrafficPolicy


def test_a_state_without_rollouts_dumps_as_before() -> None:
    state = EnvironmentState(environment=local_environment())
    dumped = state.to_json_dict()
    assert "rollouts" not in dumped and "default_rollout" not in dumped["policy"]
    assert EnvironmentState.model_validate(dumped) == state


def test_a_default_rollout_round_trips() -> None:
    definition = RolloutDefinition.model_validate(
        {"steps": [{"kind": "set_weight", "weight_bps": 100}, {"kind": "pause"}]}
    )
    state = EnvironmentState(
        environment=local_environment(), policy=TrafficPolicy(default_rollout=definition)
    )
    again = EnvironmentState.model_validate_json(state.canonical_json())
    assert again.policy.default_rollout == definition


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"metric": "error_rate"}, "give max or min"),
        ({"metric": "prometheus", "max": 1}, "query is required"),
        ({"metric": "error_rate", "max": 1, "query": "up"}, "only for it"),
        ({"metric": "latency_p42", "max": 1}, "metric"),
    ],
)
def test_bad_checks_are_refused(check: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AnalysisCheck.model_validate(check)


def test_steps_are_discriminated_by_kind() -> None:
    with pytest.raises(ValidationError, match="kind"):
        RolloutDefinition.model_validate({"steps": [{"kind": "jump", "weight_bps": 1}]})
    with pytest.raises(ValidationError, match="less than or equal to 10000"):
        RolloutDefinition.model_validate({"steps": [{"kind": "set_weight", "weight_bps": 10001}]})
