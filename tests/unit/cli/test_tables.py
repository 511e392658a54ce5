"""Terminal tables: nested outcome lists become rows, not JSON inside a cell."""

from __future__ import annotations

from greentic_iac.cli.tables import _explode


def test_nested_outcomes_become_one_row_each_with_the_parent_columns() -> None:
    rows = [
        {"slot": "deployer", "outcomes": [{"check": "tool:pulumi"}, {"check": "tool:aws"}]},
        {"slot": "telemetry", "outcomes": []},
    ]
    assert _explode(rows) == [
        {"slot": "deployer", "check": "tool:pulumi"},
        {"slot": "deployer", "check": "tool:aws"},
        {"slot": "telemetry"},
    ]


def test_rows_without_a_nested_list_of_objects_are_left_alone() -> None:
    rows = [{"slot": "deployer", "tags": ["a", "b"]}, {"slot": "secrets", "tags": []}]
    assert _explode(rows) == rows
