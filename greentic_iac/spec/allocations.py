"""Values a target chooses once per resource and keeps for the resource's life.

A listener-rule priority is the first example: if a compiler recomputed it on every run, a
rule could move into the slot of another rule Pulumi deletes only at the end of the same
update (``PriorityInUse``). So targets allocate such values when their owner (a deployment,
a revision) is created, the environment state keeps them, and compilers only read them.

The shapes are target-neutral: ``allocations[owner_key][kind] = value``; ``scopes[kind]``
names the space a kind's values are unique in (one environment's listener, or a listener
several environments share, then held in a store claim); a freed value waits in
``released`` until the plan that deletes its old owner has been applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import Field

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec.base import SpecModel


class ReleasedValue(SpecModel):
    """A value whose owner is gone; reusable once a plan of this generation is applied."""

    kind: str = Field(min_length=1, max_length=100)
    value: int
    scope: str = Field(min_length=1, max_length=400)
    # The state generation whose plan no longer has the old owner's resource.
    released_at_generation: int = Field(ge=0)
    owner_key: str = Field(min_length=1, max_length=200)


def reusable(released: ReleasedValue, applied_generation: int | None) -> bool:
    """Whether the resource that held ``released`` is gone from the applied infrastructure."""
    return applied_generation is not None and applied_generation >= released.released_at_generation


def lowest_free(low: int, high: int, taken: Iterable[int]) -> int | None:
    """The smallest value in ``[low, high]`` not in ``taken`` (None when the range is full)."""
    used = {v for v in taken if low <= v <= high}
    for candidate in range(low, high + 1):
        if candidate not in used:
            return candidate
    return None


@dataclass(frozen=True)
class WantedValue:
    """One owner's need: a value in ``[low, high]``, ``preferred`` kept when it is free (a
    migration keeps today's value), and the quotas the owner's resources count against."""

    low: int
    high: int
    preferred: int | None = None
    counts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimRequest:
    """What one environment holds in a shared space after a change."""

    scope: str
    kind: str
    environment_id: str
    wanted: Mapping[str, WantedValue]
    # The generation of the environment's applied plan (None: never applied) and the
    # generation the change produces (what a value released now waits for).
    applied_generation: int | None
    released_at_generation: int
    # Quota name -> limit, counted over every environment holding values in the scope.
    quotas: Mapping[str, int] = field(default_factory=dict)


class QuotaExceededError(InvalidInputError):
    """Holding a new owner's value would exceed a quota counted over the scope."""

    def __init__(
        self,
        message: str,
        *,
        quota: str,
        count: int,
        owners: list[str],
        environments: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.quota = quota
        self.count = count
        self.owners = owners
        # Every environment whose holdings count in the scope (the requester included).
        self.environments = environments or []


@dataclass(frozen=True)
class AllocationContext:
    """What an allocation hook may know beyond the state: the generation of the plan last
    applied (None: never applied) and the store's shared claims (None: in memory only)."""

    applied_generation: int | None = None
    claims: SharedClaims | None = None


class SharedClaims(Protocol):
    """A store's shared-claim records (``greentic_iac.store.claims``), seen from a target."""

    def hold(self, request: ClaimRequest) -> dict[str, int]:
        """Hold exactly ``request.wanted``'s owners for the environment; returns owner -> value.

        Owners the environment held before and no longer wants are released. Raises
        ``InvalidInputError`` (naming the quota) when a quota counted over the scope would
        be exceeded, or when a range is full.
        """
        ...
