"""A split in basis points turned into a target's integer weights: the shared half.

Each target has its own method for choosing integer weights (the ALB's 0-999, a URL map's
0-1000); what they share is here: the check that a split is well formed, and the report of
what the chosen weights really give (effective bps per revision and the worst error), which
becomes the plan's ``traffic`` section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import DeploymentTraffic, RevisionTraffic
from greentic_iac.spec.traffic import TOTAL_BPS


def validate_split(requested: Mapping[str, int]) -> None:
    """At least one revision, each 0-10000 bps, summing to 10000 (``InvalidInputError``)."""
    if not requested:
        raise InvalidInputError("traffic split: at least one revision is required")
    for key, bps in requested.items():
        if not isinstance(bps, int) or isinstance(bps, bool) or not 0 <= bps <= TOTAL_BPS:
            raise InvalidInputError(f"traffic split: {key}: weight {bps!r} is not 0-10000 bps")
    total = sum(requested.values())
    if total != TOTAL_BPS:
        raise InvalidInputError(
            f"traffic split: weights sum to {total} bps, they must sum to {TOTAL_BPS} bps"
        )


@dataclass(frozen=True)
class SplitWeights:
    """The converted split: per revision the requested bps, weight and effective bps."""

    requested_bps: dict[str, int]
    weights: dict[str, int]
    effective_bps: dict[str, float]
    method: str
    max_error_bps: float = 0.0

    def weighted(self) -> dict[str, int]:
        """Only the revisions with weight > 0, in the split's order (the route action)."""
        return {key: weight for key, weight in self.weights.items() if weight > 0}

    def revision_traffic(self) -> list[RevisionTraffic]:
        """The plan's per-revision traffic records, in the split's order."""
        return [
            RevisionTraffic(
                revision_id=key,
                requested_bps=self.requested_bps[key],
                applied_weight=self.weights[key],
                effective_bps=self.effective_bps[key],
            )
            for key in self.requested_bps
        ]

    def deployment_traffic(self, deployment_id: str) -> DeploymentTraffic:
        return DeploymentTraffic(
            deployment_id=deployment_id, method=self.method, revisions=self.revision_traffic()
        )


def split_weights(
    requested: Mapping[str, int], chosen: Mapping[str, int], method: str
) -> SplitWeights:
    """The report of ``chosen`` weights (revisions absent from it get 0) for ``requested``."""
    total = sum(chosen.values())
    weights: dict[str, int] = {}
    effective: dict[str, float] = {}
    worst = 0.0
    for key, bps in requested.items():
        weight = chosen.get(key, 0)
        share = weight * TOTAL_BPS / total
        weights[key] = weight
        effective[key] = round(share, 2)
        worst = max(worst, abs(share - bps))
    return SplitWeights(
        requested_bps=dict(requested),
        weights=weights,
        effective_bps=effective,
        method=method,
        max_error_bps=round(worst, 2),
    )
