"""Run the deployer's allocation hook after every state change (names no target).

A target that must choose values once per owner (listener-rule priorities) offers
``Target.reconcile_allocations(before, after, context) -> state``. Every mutation the CLI
makes passes through ``with_allocations``: the hook sees the state before and after the
change, the generation of the last applied plan (a freed value is reused only after that
plan deleted its old owner) and the store's shared claims. A target without the hook
allocates nothing. A change that moves traffic is then checked against the target's
limits (``split_limits``): a split it can't realise is refused in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.operations.split_limits import refuse_unrealisable_split
from greentic_iac.plan.target import AllocationHook
from greentic_iac.spec.allocations import AllocationContext, SharedClaims
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.store.model import Change

if TYPE_CHECKING:
    from greentic_iac.envpacks import EnvPackRegistry


def allocation_hook(
    state: EnvironmentState, registry: Callable[[], EnvPackRegistry] | None = None
) -> AllocationHook | None:
    """The hook of the state's deployer target, or None (no deployer, or it allocates
    nothing). ``registry`` gives the caller's registry (the CLI's, already discovered)."""
    from greentic_iac.targets import target_for

    if state.environment.deployer() is None:
        return None
    try:
        return target_for(state, registry).reconcile_allocations
    except InvalidInputError:
        return None  # an unresolvable deployer is refused where it is compiled


def with_allocations(
    change: Change,
    applied_generation: Callable[[str], int | None],
    claims: SharedClaims | None = None,
    registry: Callable[[], EnvPackRegistry] | None = None,
) -> Change:
    """``change`` followed by the deployer's allocation hook on its result."""

    def allocated(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        # Only a state never reconciled needs the state before the change (a v1 state: its
        # live values are computed from it); a copy per mutation otherwise costs for nothing.
        before = state.model_copy(deep=True) if not state.allocation_scopes else None
        traffic_before = {k: split.model_copy(deep=True) for k, split in state.traffic.items()}
        after, result = change(state)
        hook = allocation_hook(after, registry)
        if hook is not None:
            context = AllocationContext(
                applied_generation=applied_generation(after.environment.environment_id),
                claims=claims,
            )
            after = hook(before, after, context)
        if after.traffic != traffic_before:
            # A split the target can't realise is refused here, not first at preview.
            refuse_unrealisable_split(traffic_before, after, registry)
        return after, result

    return allocated
