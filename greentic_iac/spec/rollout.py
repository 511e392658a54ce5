"""Progressive rollouts as stored data (issue 19): a definition of steps and its progress.

A rollout lives in the environment state beside the splits it moves, so every step and
decision is one store transaction (locked, compare-and-swap, backed up, audited) and a
runner that was killed resumes from ``step_index`` without applying a step twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self

from pydantic import Field, model_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.ids import DeploymentId, RevisionId
from greentic_iac.spec.traffic import TOTAL_BPS

MAX_STEPS: Final = 64
MAX_WAIT_SECONDS: Final = 7 * 24 * 3600
BUILTIN_METRICS: Final = (
    "error_rate",
    "request_count",
    "latency_p50",
    "latency_p90",
    "latency_p95",
    "latency_p99",
)


class SetWeightStep(SpecModel):
    """Give every canary this share (the stable revision keeps the rest)."""

    kind: Literal["set_weight"]
    weight_bps: int = Field(ge=0, le=TOTAL_BPS)


class PauseStep(SpecModel):
    """Wait ``seconds``; without it, wait until ``rollout promote``."""

    kind: Literal["pause"]
    seconds: int | None = Field(default=None, ge=1, le=MAX_WAIT_SECONDS)


class AnalysisCheck(SpecModel):
    """One figure of the canary over the window, held to a bound.

    Built-in metrics come from the target's metric source (error_rate is 5xx/all in 0..1,
    latency_pNN in seconds, request_count a count). ``prometheus`` runs ``query`` through
    the Prometheus HTTP API and compares its single value. A check with fewer than
    ``min_requests`` canary requests in the window fails: no evidence is not a pass.
    """

    metric: Literal[
        "error_rate",
        "request_count",
        "latency_p50",
        "latency_p90",
        "latency_p95",
        "latency_p99",
        "prometheus",
    ]
    max: float | None = Field(default=None, ge=0)
    min: float | None = Field(default=None, ge=0)
    min_requests: int = Field(default=1, ge=0, le=10**9)
    query: str | None = Field(default=None, min_length=1, max_length=4096)

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.max is None and self.min is None:
            raise ValueError("give max or min (or both)")
        if (self.metric == "prometheus") != (self.query is not None):
            raise ValueError("query is required for metric prometheus and only for it")
        return self


class AnalysisStep(SpecModel):
    kind: Literal["analysis"]
    window_seconds: int = Field(ge=1, le=MAX_WAIT_SECONDS)
    checks: list[AnalysisCheck] = Field(min_length=1, max_length=32)


RolloutStep = Annotated[SetWeightStep | PauseStep | AnalysisStep, Field(discriminator="kind")]


class RolloutDefinition(SpecModel):
    """The steps; a per-environment default lives in the traffic policy."""

    steps: list[RolloutStep] = Field(min_length=1, max_length=MAX_STEPS)
    # The Prometheus server that ``prometheus`` checks query (http(s)://host:port).
    prometheus_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")


class RolloutTarget(SpecModel):
    deployment_id: DeploymentId
    stable_revision_id: RevisionId
    canary_revision_id: RevisionId

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.stable_revision_id == self.canary_revision_id:
            raise ValueError("canary_revision_id must differ from stable_revision_id")
        return self


class RolloutStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"

    @property
    def finished(self) -> bool:
        return self in {RolloutStatus.PROMOTED, RolloutStatus.ROLLED_BACK, RolloutStatus.ABORTED}


class AnalysisFigure(SpecModel):
    deployment_id: str
    revision_id: str
    metric: str
    value: float | None
    requests: int
    max: float | None = None
    min: float | None = None
    passed: bool
    reason: str | None = None


class AnalysisResult(SpecModel):
    step_index: int
    passed: bool
    at: datetime
    figures: list[AnalysisFigure]


class Rollout(SpecModel):
    rollout_id: str = Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")
    definition: RolloutDefinition
    targets: list[RolloutTarget] = Field(min_length=1, max_length=16)
    status: RolloutStatus = RolloutStatus.RUNNING
    # The step in progress (== len(steps): all done, the canaries take 100 %).
    step_index: int = Field(default=0, ge=0)
    # When the current pause or analysis began waiting (None: not begun).
    step_started_at: datetime | None = None
    # An analysis window's counters at its start, per revision (the source's own shape).
    window_baseline: dict[str, Any] | None = None
    # A pause without seconds was released by `rollout promote`.
    released_step: int | None = None
    last_analysis: AnalysisResult | None = None
    reason: str | None = Field(default=None, max_length=2048)
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.step_index > len(self.definition.steps):
            raise ValueError("step_index is past the last step")
        deployments = [t.deployment_id for t in self.targets]
        if len(set(deployments)) != len(deployments):
            raise ValueError("targets: a deployment appears twice")
        return self

    @property
    def current_step(self) -> SetWeightStep | PauseStep | AnalysisStep | None:
        steps = self.definition.steps
        return steps[self.step_index] if self.step_index < len(steps) else None

    def canary_weight(self) -> int:
        """The canary share the steps so far have set (0 before the first set_weight)."""
        weight = 0
        for step in self.definition.steps[: self.step_index]:
            if isinstance(step, SetWeightStep):
                weight = step.weight_bps
        return weight
