"""``TrafficSplit``: the dial, in basis points, separate from deploying.

Input entries carry ``weight_bps`` (0-10000) or ``weight_percent`` (0-100, decimals to a
hundredth); percent converts exactly (1 % = 100 bps) or is refused, never rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Self

from pydantic import Field, field_validator, model_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.ids import DeploymentId, RevisionId

TOTAL_BPS = 10_000


def percent_to_bps(percent: Decimal | float | int | str) -> int:
    """Exact conversion; a value finer than one basis point (0.01 %) is refused."""
    try:
        value = Decimal(str(percent))
    except InvalidOperation:
        raise ValueError(f"{percent!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{percent!r} is not a finite number")
    bps = value * 100
    if bps != bps.to_integral_value():
        raise ValueError(f"{percent} % is finer than one basis point (0.01 %)")
    return int(bps)


def _format_percent(bps: int) -> str:
    return f"{Decimal(bps) / 100:f}".rstrip("0").rstrip(".") if bps % 100 else str(bps // 100)


class TrafficEntryInput(SpecModel):
    """An answers-file entry: exactly one of ``weight_bps`` or ``weight_percent``."""

    revision_id: RevisionId
    weight_bps: int | None = Field(default=None, ge=0, le=TOTAL_BPS)
    weight_percent: Decimal | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _exactly_one_weight(self) -> Self:
        if (self.weight_bps is None) == (self.weight_percent is None):
            raise ValueError("give exactly one of weight_bps or weight_percent")
        if self.weight_percent is not None:
            percent_to_bps(self.weight_percent)
        return self

    def bps(self) -> int:
        if self.weight_bps is not None:
            return self.weight_bps
        assert self.weight_percent is not None
        return percent_to_bps(self.weight_percent)


class TrafficEntry(SpecModel):
    revision_id: RevisionId
    weight_bps: int = Field(ge=0, le=TOTAL_BPS)


def entries_from_input(inputs: list[TrafficEntryInput]) -> list[TrafficEntry]:
    """Convert and check the sum, in the unit the caller used, naming the field."""
    if not inputs:
        raise ValueError("at least one entry is required")
    ids = [e.revision_id for e in inputs]
    for index, revision_id in enumerate(ids):
        if revision_id in ids[:index]:
            raise ValueError(f"entries[{index}].revision_id: revision {revision_id} appears twice")
    total = sum(e.bps() for e in inputs)
    if total != TOTAL_BPS:
        if all(e.weight_percent is not None for e in inputs):
            raise ValueError(f"weights sum to {_format_percent(total)}%, they must sum to 100%")
        raise ValueError(f"weights sum to {total} bps, they must sum to {TOTAL_BPS} bps (100%)")
    return [TrafficEntry(revision_id=e.revision_id, weight_bps=e.bps()) for e in inputs]


def check_entries(entries: list[TrafficEntry]) -> list[TrafficEntry]:
    if not entries:
        raise ValueError("at least one entry is required")
    seen: set[str] = set()
    for entry in entries:
        if entry.revision_id in seen:
            raise ValueError(f"revision {entry.revision_id} appears twice")
        seen.add(entry.revision_id)
    total = sum(e.weight_bps for e in entries)
    if total != TOTAL_BPS:
        raise ValueError(f"weights sum to {total} bps, they must sum to {TOTAL_BPS} bps (100%)")
    return entries


class TrafficSplit(SpecModel):
    deployment_id: DeploymentId
    entries: list[TrafficEntry]
    generation: int = Field(default=0, ge=0)
    previous: list[TrafficEntry] | None = None

    @field_validator("entries")
    @classmethod
    def _valid_entries(cls, entries: list[TrafficEntry]) -> list[TrafficEntry]:
        return check_entries(entries)

    @field_validator("previous")
    @classmethod
    def _valid_previous(cls, previous: list[TrafficEntry] | None) -> list[TrafficEntry] | None:
        return None if previous is None else check_entries(previous)

    def weight_of(self, revision_id: str) -> int:
        return next((e.weight_bps for e in self.entries if e.revision_id == revision_id), 0)

    @property
    def has_previous(self) -> bool:
        return self.previous is not None

    def replaced_by(self, entries: list[TrafficEntry]) -> TrafficSplit:
        """The next split: generation bumped, this one kept for one-step rollback."""
        return TrafficSplit(
            deployment_id=self.deployment_id,
            entries=entries,
            generation=self.generation + 1,
            previous=list(self.entries),
        )
