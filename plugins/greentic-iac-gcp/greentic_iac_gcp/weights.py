"""Basis points to URL map ``weightedBackendServices`` weights (integers 0-1000).

The state stores a split in basis points (sum 10000). A URL map route action sends each
weighted backend service ``weight / sum(weights)`` of the requests, with integer weights
from 0 to 1000. Method (``gcp-urlmap-weight-0-1000``, documented in docs/cloud-run.md):

1. Exact when possible: divide every weight by the greatest common divisor of the positive
   weights; if the largest quotient is <= 1000 the split is expressed exactly
   (90 %/10 % -> 9/1; 33.35 %/33.35 %/33.3 % -> 667/667/666).
2. Otherwise apportion 1000 units by largest remainder: every revision gets
   ``floor(bps / 10)`` units, at least 1 when it asks for more than 0 bps, and the units
   left go to the largest remainders (ties: the earlier revision in the split). When the
   floors of 1 use more than 1000 units, the weights sum past 1000 (they are relative).

A revision with weight > 0 never gets weight 0, a revision at 0 bps never gets traffic.
Each unit is 10 bps, so the error stays below 10 bps unless tiny revisions (< 10 bps) had
to be raised to 1 unit at the others' expense; the compiler reports a larger error as a
warning. ``effective_bps`` is what the weights really give, for the plan's ``traffic``.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import gcd
from typing import Final

from greentic_iac.plan.weights import SplitWeights, split_weights, validate_split
from greentic_iac.spec.traffic import TOTAL_BPS

URLMAP_METHOD: Final = "gcp-urlmap-weight-0-1000"
MAX_WEIGHT: Final = 1000
BPS_PER_UNIT: Final = TOTAL_BPS // MAX_WEIGHT


def _exact(positive: dict[str, int]) -> dict[str, int] | None:
    divisor = 0
    for bps in positive.values():
        divisor = gcd(divisor, bps)
    if max(positive.values()) // divisor > MAX_WEIGHT:
        return None
    return {key: bps // divisor for key, bps in positive.items()}


def _apportioned(positive: dict[str, int]) -> dict[str, int]:
    order = list(positive)
    weights = {key: max(1, bps // BPS_PER_UNIT) for key, bps in positive.items()}

    def remainder(key: str) -> float:
        return positive[key] / BPS_PER_UNIT - weights[key]

    left = MAX_WEIGHT - sum(weights.values())
    # Largest remainder first; the split's order breaks ties (deterministic). When floors
    # of 1 leave nothing (left <= 0) the weights sum past 1000, which a route action takes:
    # weights are relative, only each one is capped at 1000.
    for key in sorted(order, key=lambda k: (-remainder(k), order.index(k)))[: max(0, left)]:
        weights[key] += 1
    return weights


def urlmap_weights(requested: Mapping[str, int]) -> SplitWeights:
    """Convert ``{revision: bps}`` (sum 10000) to URL map weights (module docstring)."""
    validate_split(requested)
    positive = {key: bps for key, bps in requested.items() if bps > 0}
    computed = _exact(positive) or _apportioned(positive)
    return split_weights(requested, computed, URLMAP_METHOD)
