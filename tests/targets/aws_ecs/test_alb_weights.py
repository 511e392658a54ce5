"""Basis points to ALB weights: exactness, the error bound, the no-zero rule and the limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greentic_iac.errors import InvalidInputError
from greentic_iac.targets.alb_weights import (
    ALB_MAX_WEIGHT,
    AlbLimitError,
    alb_weights,
    check_alb_limits,
)


@st.composite
def splits(draw: st.DrawFn) -> dict[str, int]:
    """1-5 revisions, each >= 10 bps (below that the weight floor of 1 dominates)."""
    count = draw(st.integers(1, 5))
    cuts = sorted(draw(st.sets(st.integers(1, 999), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 1000]
    return {f"r{i}": (bounds[i + 1] - bounds[i]) * 10 for i in range(count)}


@settings(max_examples=300, deadline=None)
@given(splits())
def test_effective_split_is_within_10_bps_sums_to_100_and_never_zeroes(
    requested: dict[str, int],
) -> None:
    result = alb_weights(requested)
    total = sum(result.weights.values())
    for key, bps in requested.items():
        weight = result.weights[key]
        assert 1 <= weight <= ALB_MAX_WEIGHT
        assert abs(weight * 10_000 / total - bps) <= 10
    assert abs(sum(result.effective_bps.values()) - 10_000) < 0.05
    assert result.max_error_bps <= 10


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=5))
def test_any_positive_split_keeps_every_weighted_revision(raw: list[int]) -> None:
    total = sum(raw)
    bps = [r * 10_000 // total for r in raw]
    bps[0] += 10_000 - sum(bps)
    requested = {f"r{i}": b for i, b in enumerate(bps)}
    result = alb_weights(requested)
    assert all((result.weights[k] > 0) == (b > 0) for k, b in requested.items())
    assert all(0 <= w <= ALB_MAX_WEIGHT for w in result.weights.values())


def test_exact_splits_reduce_by_the_common_divisor() -> None:
    assert alb_weights({"a": 9_000, "b": 1_000}).weights == {"a": 9, "b": 1}
    assert alb_weights({"a": 10_000}).weights == {"a": 1}
    result = alb_weights({"a": 4_000, "b": 3_000, "c": 1_500, "d": 1_000, "e": 500})
    assert result.weights == {"a": 8, "b": 6, "c": 3, "d": 2, "e": 1}
    assert result.max_error_bps == 0


def test_inexact_split_reports_its_error() -> None:
    result = alb_weights({"a": 3_333, "b": 3_333, "c": 3_334})
    assert result.weights == {"a": 999, "b": 999, "c": 999}
    assert result.max_error_bps == pytest.approx(0.67)


def test_tiny_weight_is_not_rounded_to_zero_and_error_is_reported() -> None:
    result = alb_weights({"a": 9_996, "b": 1, "c": 1, "d": 1, "e": 1})
    assert result.weights == {"a": 999, "b": 1, "c": 1, "d": 1, "e": 1}
    assert result.max_error_bps > 10  # can't be expressed: the compiler warns


def test_zero_weight_revisions_are_recorded_but_not_forwarded() -> None:
    result = alb_weights({"old": 0, "new": 10_000})
    assert result.weighted() == {"new": 1}
    traffic = result.deployment_traffic("dep").revisions
    assert [(t.revision_id, t.applied_weight, t.effective_bps) for t in traffic] == [
        ("old", 0, 0.0),
        ("new", 1, 10_000.0),
    ]


def test_six_weighted_revisions_name_the_limit() -> None:
    with pytest.raises(AlbLimitError, match="at most 5 weighted target groups"):
        alb_weights({f"r{i}": w for i, w in enumerate([5_000, 1_000, 1_000, 1_000, 1_000, 1_000])})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_groups_on_alb": 101}, "limit of 100; archive inactive revisions"),
        ({"rules_on_listener": 101}, "100 rules per listener"),
    ],
)
def test_load_balancer_limits(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(AlbLimitError, match=message):
        check_alb_limits(**kwargs)
    check_alb_limits(target_groups_on_alb=100, rules_on_listener=100)


@pytest.mark.parametrize(
    "requested", [{}, {"a": 5_000}, {"a": -1, "b": 10_001}, {"a": 10_000, "b": True}]
)
def test_malformed_splits_are_invalid_input(requested: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError):
        alb_weights(requested)
