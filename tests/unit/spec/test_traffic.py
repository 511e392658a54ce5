"""Traffic splits: percent <-> bps conversion and the sum rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from greentic_iac.spec import (
    TrafficEntryInput,
    TrafficSplit,
    format_validation_error,
    new_ulid,
    percent_to_bps,
)
from greentic_iac.spec.traffic import entries_from_input


@given(bps=st.integers(min_value=0, max_value=10_000))
def test_percent_bps_round_trip(bps: int) -> None:
    percent = Decimal(bps) / 100
    assert percent_to_bps(percent) == bps
    assert percent_to_bps(str(percent)) == bps


@given(st.decimals(min_value=0, max_value=100, places=4, allow_nan=False))
def test_finer_than_a_basis_point_is_refused(value: Decimal) -> None:
    if (value * 100) == (value * 100).to_integral_value():
        assert percent_to_bps(value) == int(value * 100)
    else:
        with pytest.raises(ValueError, match="finer than one basis point"):
            percent_to_bps(value)


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6))
def test_sum_rule(weights: list[int]) -> None:
    inputs = [TrafficEntryInput(revision_id=new_ulid(), weight_bps=w) for w in weights]
    if sum(weights) == 10_000:
        entries = entries_from_input(inputs)
        assert [e.weight_bps for e in entries] == weights
    else:
        with pytest.raises(ValueError, match=f"sum to {sum(weights)} bps"):
            entries_from_input(inputs)


def test_percent_sum_error_speaks_percent() -> None:
    inputs = [
        TrafficEntryInput(revision_id=new_ulid(), weight_percent=Decimal("99")),
        TrafficEntryInput(revision_id=new_ulid(), weight_percent=Decimal("0.5")),
    ]
    with pytest.raises(ValueError, match=r"weights sum to 99\.5%, they must sum to 100%"):
        entries_from_input(inputs)


def test_seed_example_100_percent() -> None:
    rev = new_ulid()
    entries = entries_from_input(
        [TrafficEntryInput.model_validate({"revision_id": rev, "weight_percent": 100})]
    )
    assert entries[0].weight_bps == 10_000


def test_exactly_one_weight_field() -> None:
    with pytest.raises(ValidationError) as info:
        TrafficEntryInput.model_validate(
            {"revision_id": new_ulid(), "weight_bps": 1, "weight_percent": 1}
        )
    assert "exactly one of weight_bps or weight_percent" in format_validation_error(info.value)


def test_duplicate_revision_is_refused() -> None:
    rev = new_ulid()
    inputs = [
        TrafficEntryInput(revision_id=rev, weight_bps=5000),
        TrafficEntryInput(revision_id=rev, weight_bps=5000),
    ]
    with pytest.raises(ValueError, match=r"entries\[1\].revision_id: .* appears twice"):
        entries_from_input(inputs)


def test_split_generation_and_previous() -> None:
    a, b = new_ulid(), new_ulid()
    split = TrafficSplit.model_validate(
        {"deployment_id": new_ulid(), "entries": [{"revision_id": a, "weight_bps": 10_000}]}
    )
    assert split.generation == 0 and not split.has_previous
    nxt = split.replaced_by(
        entries_from_input(
            [
                TrafficEntryInput(revision_id=a, weight_bps=9900),
                TrafficEntryInput(revision_id=b, weight_bps=100),
            ]
        )
    )
    assert nxt.generation == 1 and nxt.has_previous
    assert nxt.weight_of(b) == 100 and nxt.weight_of(new_ulid()) == 0


def test_validation_error_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        TrafficEntryInput.model_validate({"revision_id": new_ulid(), "weight_percent": 101})
    line = format_validation_error(info.value)
    assert line.startswith("weight_percent: ")
    assert "\n" not in line


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        TrafficEntryInput.model_validate({"revision_id": new_ulid(), "weight_bps": 1, "wieght": 2})
    assert format_validation_error(info.value) == "wieght: unknown field (not allowed here)"
