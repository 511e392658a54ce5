"""The figures a metric source answers, as plain data a target package can build.

Every target's metric source (``Target.metrics``, see ``greentic_iac.plan.target``) answers
an analysis window per revision as a ``MetricWindow``. Two shapes cover the sources we
have: ``Counters`` for cumulative counters (the local router's ``/metrics``), whose window
is the difference between two snapshots, and ``SummaryWindow`` for sources that aggregate
a window themselves (CloudWatch statistics, a PromQL ``increase`` over a range). They live
here, below the targets, so a target builds them without importing the operations layer
that judges them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.plan.target import MetricWindow

# The latency percentiles the built-in checks name (latency_p50 ... latency_p99).
PERCENTILES: Final = (0.5, 0.9, 0.95, 0.99)


def _bound_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


@dataclass
class Counters:
    """Cumulative figures of one revision; ``buckets`` maps an upper bound to its count
    (a cumulative latency histogram, as Prometheus exposes it)."""

    requests: float = 0.0
    errors: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)

    def minus(self, earlier: Counters) -> Counters:
        # A counter that went down was reset (the router restarted): count from zero.
        if self.requests < earlier.requests:
            return self
        return Counters(
            self.requests - earlier.requests,
            self.errors - earlier.errors,
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "buckets": [[_bound_text(le), n] for le, n in sorted(self.buckets.items())],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Counters:
        return cls(
            float(data["requests"]),
            float(data["errors"]),
            {float(le): float(n) for le, n in data["buckets"]},
        )

    def quantile(self, q: float) -> float | None:
        """Interpolated linearly inside the bucket holding rank ``q``, as Prometheus'
        ``histogram_quantile`` does."""
        if self.requests <= 0 or not self.buckets:
            return None
        bounds = sorted(self.buckets.items())
        total = bounds[-1][1]
        if total <= 0:
            return None
        rank = q * total
        lower, below = 0.0, 0.0
        for upper, count in bounds:
            if count >= rank:
                if math.isinf(upper):
                    return lower  # beyond the last finite bucket: its bound is all we know
                if count == below:
                    return upper
                return lower + (upper - lower) * (rank - below) / (count - below)
            lower, below = upper, count
        return lower


@dataclass(frozen=True)
class SummaryWindow:
    """Figures a source reports per window already; ``quantiles`` maps q to seconds."""

    requests: float
    errors: float
    quantiles: Mapping[float, float] = field(default_factory=dict)

    def quantile(self, q: float) -> float | None:
        return self.quantiles.get(q)


EMPTY_WINDOW: Final = SummaryWindow(0.0, 0.0)


class CounterSource:
    """A metric source over cumulative counters: the snapshot stores them, a window is the
    difference between now and that snapshot. Subclasses answer ``counters``."""

    def counters(self, revision_ids: list[str]) -> dict[str, Counters]:
        raise NotImplementedError

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]:
        return {r: c.to_json() for r, c in self.counters(revision_ids).items()}

    def window(self, start: dict[str, Any], revision_ids: list[str]) -> dict[str, MetricWindow]:
        now = self.counters(revision_ids)
        return {
            r: now.get(r, Counters()).minus(
                Counters.from_json(start[r]) if r in start else Counters()
            )
            for r in revision_ids
        }
