"""Basis points to AWS ALB forward-action weights, and the ALB limits a plan must respect.

The state stores a split in basis points (sum 10000); an ALB forward action takes at most
five target groups, each with an integer weight 0-999 relative to the others. Neither
botocore nor moto enforces those limits, so every target that writes an ALB rule (the ECS
compiler, the Kubernetes AWS Load Balancer Controller annotations) converts and checks here.

Method (``alb-weight-0-999``, documented in docs/targets/aws-ecs.md):

1. Exact when possible: divide every weight by the greatest common divisor of the
   positive weights; if the largest quotient is <= 999 the split is expressed exactly
   (90 %/10 % -> 9/1; 95 %/5 % -> 19/1).
2. Otherwise try every scale that gives the largest revision a weight from 999 down to
   ``_SEARCH_FLOOR``; every other revision gets ``round(bps * scale)``, clamped to 1-999
   so a revision with weight > 0 never rounds to 0. Keep the scale with the smallest
   maximum error (ties: the smaller summed error, then the larger weights).

The effective share of revision i is ``weight_i / sum(weights) * 10000`` bps; the result
records it per revision with the error, for the plan's ``traffic`` section. The error stays
within 10 bps whenever every weighted revision asks for at least 10 bps; below that the
floor of weight 1 dominates (five revisions 9996/1/1/1/1 can at best be 999/1/1/1/1) and
the caller reports the error as a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from math import gcd
from typing import Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.weights import SplitWeights, split_weights, validate_split
from greentic_iac.spec.traffic import TOTAL_BPS

ALB_METHOD: Final = "alb-weight-0-999"
ALB_MAX_WEIGHT: Final = 999
# ELBv2 hard limits (not adjustable quotas).
ALB_MAX_WEIGHTED_TARGET_GROUPS: Final = 5
ALB_MAX_TARGET_GROUPS_PER_ALB: Final = 100
ALB_MAX_RULES_PER_LISTENER: Final = 100
# Larger weights give finer ratios; scales below this rarely win and cost time.
_SEARCH_FLOOR: Final = 800


class AlbLimitError(InvalidInputError):
    """A split or a load balancer exceeds an ALB hard limit; the message names the limit."""


def alb_limit_problems(
    requested: Mapping[str, int] | None = None,
    *,
    target_groups_on_alb: int | None = None,
    rules_on_listener: int | None = None,
) -> list[str]:
    """Every ALB hard limit the inputs exceed, one message each (empty when all fit)."""
    problems: list[str] = []
    if requested is not None:
        weighted = sum(1 for bps in requested.values() if bps > 0)
        if weighted > ALB_MAX_WEIGHTED_TARGET_GROUPS:
            problems.append(
                f"{weighted} revisions carry weight but an ALB forward action takes at most "
                f"{ALB_MAX_WEIGHTED_TARGET_GROUPS} weighted target groups (ALB hard limit); "
                "move traffic off some revisions first"
            )
    if target_groups_on_alb is not None and target_groups_on_alb > ALB_MAX_TARGET_GROUPS_PER_ALB:
        problems.append(
            f"{target_groups_on_alb} target groups on one load balancer exceed the ALB hard "
            f"limit of {ALB_MAX_TARGET_GROUPS_PER_ALB}; archive inactive revisions "
            "(`revisions archive`) to free target groups"
        )
    if rules_on_listener is not None and rules_on_listener > ALB_MAX_RULES_PER_LISTENER:
        problems.append(
            f"{rules_on_listener} listener rules exceed the ALB limit of "
            f"{ALB_MAX_RULES_PER_LISTENER} rules per listener (default rule not counted); "
            "split deployments across environments or remove deployments"
        )
    return problems


def check_alb_limits(
    requested: Mapping[str, int] | None = None,
    *,
    target_groups_on_alb: int | None = None,
    rules_on_listener: int | None = None,
) -> None:
    """Raise ``AlbLimitError`` naming the first ALB hard limit exceeded."""
    problems = alb_limit_problems(
        requested, target_groups_on_alb=target_groups_on_alb, rules_on_listener=rules_on_listener
    )
    if problems:
        raise AlbLimitError(problems[0])


def _errors(values: tuple[int, ...], weights: tuple[int, ...]) -> tuple[float, float]:
    total = sum(weights)
    errors = [abs(w * TOTAL_BPS / total - v) for v, w in zip(values, weights, strict=True)]
    return max(errors), sum(errors)


@lru_cache(maxsize=8192)
def _weights_for(values: tuple[int, ...]) -> tuple[int, ...]:
    """ALB weights for positive bps ``values`` sorted largest first (cached: splits repeat)."""
    divisor = 0
    for value in values:
        divisor = gcd(divisor, value)
    if values[0] // divisor <= ALB_MAX_WEIGHT:
        return tuple(v // divisor for v in values)
    largest = values[0]
    best: tuple[int, ...] = ()
    best_key = (float("inf"), float("inf"))
    for top in range(ALB_MAX_WEIGHT, _SEARCH_FLOOR - 1, -1):
        scale = top / largest
        candidate = tuple(
            [top] + [min(ALB_MAX_WEIGHT, max(1, round(v * scale))) for v in values[1:]]
        )
        key = _errors(values, candidate)
        if key < best_key:
            best, best_key = candidate, key
    return best


def alb_weights(requested: Mapping[str, int]) -> SplitWeights:
    """Convert ``{revision: bps}`` (sum 10000) to ALB weights; see the module docstring.

    Raises ``InvalidInputError`` for a malformed split and ``AlbLimitError`` when more than
    five revisions carry weight. Revisions at 0 bps get weight 0 (kept in the result so the
    plan records them); they do not belong in the forward action.
    """
    validate_split(requested)
    check_alb_limits(requested)
    positive = sorted(
        ((key, bps) for key, bps in requested.items() if bps > 0), key=lambda kv: (-kv[1], kv[0])
    )
    computed = _weights_for(tuple(bps for _, bps in positive))
    by_key = {key: weight for (key, _), weight in zip(positive, computed, strict=True)}
    return split_weights(requested, by_key, ALB_METHOD)
