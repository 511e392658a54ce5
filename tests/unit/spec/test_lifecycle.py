"""The transition matrix, exhaustively: every pair is allowed or refused with a reason."""

from __future__ import annotations

import itertools

import pytest

from greentic_iac.spec import TRANSITIONS, RevisionLifecycle, check_transition

L = RevisionLifecycle

ALLOWED = {
    (L.STAGED, L.WARMING),
    (L.STAGED, L.ARCHIVED),
    (L.WARMING, L.READY),
    (L.WARMING, L.INACTIVE),
    (L.READY, L.DRAINING),
    (L.DRAINING, L.INACTIVE),
    (L.DRAINING, L.READY),
    (L.INACTIVE, L.ARCHIVED),
    (L.INACTIVE, L.WARMING),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(L, L)))
def test_every_pair(current: RevisionLifecycle, target: RevisionLifecycle) -> None:
    verdict = check_transition(current, target)
    assert verdict.allowed is ((current, target) in ALLOWED)
    if not verdict.allowed:
        assert verdict.reason, "a refusal always says why"
        assert "\n" not in verdict.reason


def test_matrix_data_matches_the_documented_table() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize("target", [L.DRAINING])
def test_a_revision_with_weight_cannot_leave_ready(target: RevisionLifecycle) -> None:
    verdict = check_transition(L.READY, target, weight_bps=100)
    assert not verdict
    assert "100 bps" in verdict.reason


def test_weight_does_not_block_other_transitions() -> None:
    assert check_transition(L.STAGED, L.WARMING, weight_bps=0)


def test_archived_is_final() -> None:
    for target in L:
        verdict = check_transition(L.ARCHIVED, target)
        assert not verdict
