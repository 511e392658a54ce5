"""Validation messages: every problem, one line each, the field named once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from greentic_iac.spec.errors import format_validation_error, problem_line
from greentic_iac.spec.traffic import TrafficEntryInput, TrafficSplit, entries_from_input

ULID = "01HZ0000000000000000000000"


def test_a_duplicate_entry_names_its_position_under_its_deployment() -> None:
    # set_traffic joins entries_from_input's message onto the deployment's field this way.
    entries = [TrafficEntryInput(revision_id=ULID, weight_bps=5000)] * 2
    with pytest.raises(ValueError, match="appears twice") as caught:
        entries_from_input(entries)
    line = problem_line("deployments[1].entries", str(caught.value))
    assert line == f"deployments[1].entries[1].revision_id: revision {ULID} appears twice"


def test_every_pydantic_problem_is_a_line() -> None:
    with pytest.raises(ValidationError) as caught:
        TrafficSplit.model_validate({"deployment_id": "x", "entries": "y", "extra": 1})
    lines = format_validation_error(caught.value, prefix="a.json: ").splitlines()
    assert [line.split(": ")[1] for line in lines] == ["deployment_id", "entries", "extra"]


@pytest.mark.parametrize(
    ("field", "message", "expected"),
    [
        ("deployments[1].entries", "entries[0].revision_id: twice", "deployments[1].entries[0]"),
        ("entries", "weights sum to 9000 bps", "entries: weights sum to 9000 bps"),
        ("settings", "entries[0]: x", "settings: entries[0]: x"),
    ],
)
def test_problem_line(field: str, message: str, expected: str) -> None:
    assert problem_line(field, message).startswith(expected)
