"""Revision lifecycle (seed A5) as data: the transition matrix and one verdict function.

Main line: staged -> warming -> ready -> draining -> inactive -> archived.
Shortcuts, each for a real operator need:
- staged -> archived: abandon a revision that never ran;
- warming -> inactive: a warm-up that failed its health check or was cancelled;
- draining -> ready: cancel a drain (roll back a rollback) while pods are still up;
- inactive -> warming: bring an old revision back for a traffic rollback.
Traffic is a separate rule: a revision with weight > 0 may not leave ``ready``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RevisionLifecycle(StrEnum):
    STAGED = "staged"
    WARMING = "warming"
    READY = "ready"
    DRAINING = "draining"
    INACTIVE = "inactive"
    ARCHIVED = "archived"


_L = RevisionLifecycle

TRANSITIONS: dict[RevisionLifecycle, frozenset[RevisionLifecycle]] = {
    _L.STAGED: frozenset({_L.WARMING, _L.ARCHIVED}),
    _L.WARMING: frozenset({_L.READY, _L.INACTIVE}),
    _L.READY: frozenset({_L.DRAINING}),
    _L.DRAINING: frozenset({_L.INACTIVE, _L.READY}),
    _L.INACTIVE: frozenset({_L.ARCHIVED, _L.WARMING}),
    _L.ARCHIVED: frozenset(),
}

# States whose revision has processes/tasks/pods running (capacity follows lifecycle).
RUNNING_STATES = frozenset({_L.WARMING, _L.READY, _L.DRAINING})


@dataclass(frozen=True)
class TransitionVerdict:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def check_transition(
    current: RevisionLifecycle, target: RevisionLifecycle, weight_bps: int = 0
) -> TransitionVerdict:
    """Whether ``current -> target`` is allowed for a revision carrying ``weight_bps``."""
    if current == target:
        return TransitionVerdict(False, f"revision is already {current.value}")
    if current == _L.ARCHIVED:
        return TransitionVerdict(False, "an archived revision is final")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current]))
        return TransitionVerdict(
            False,
            f"{current.value} -> {target.value} is not allowed (from {current.value}: {allowed})",
        )
    if weight_bps > 0 and current == _L.READY:
        return TransitionVerdict(
            False,
            f"revision still carries {weight_bps} bps of traffic; move its weight to another "
            "revision with `traffic set` first",
        )
    return TransitionVerdict(True)
