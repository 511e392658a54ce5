"""Run the deployer's allocation hook after every state change (names no target).

A target that must choose values once per owner (listener-rule priorities) exposes
``reconcile_allocations(before, after, context) -> state`` in the module its deployer pack
names as compiler. Every mutation the CLI makes passes through ``with_allocations``: the
hook sees the state before and after the change, the generation of the last applied plan
(a freed value is reused only after that plan deleted its old owner) and the store's
shared claims. A target without the hook allocates nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec.allocations import AllocationContext, SharedClaims
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.store.model import Change

if TYPE_CHECKING:
    from greentic_iac.envpacks import EnvPackRegistry

HOOK_NAME = "reconcile_allocations"


class AllocationHook(Protocol):
    def __call__(
        self,
        before: EnvironmentState | None,
        after: EnvironmentState,
        context: AllocationContext | None = None,
    ) -> EnvironmentState: ...


_HOOKS: dict[str, AllocationHook | None] = {}


def allocation_hook(
    state: EnvironmentState, registry: Callable[[], EnvPackRegistry] | None = None
) -> AllocationHook | None:
    """The hook of the state's deployer, or None (no deployer, or it allocates nothing).

    ``registry`` gives the caller's registry (the CLI's, already discovered); a fresh one
    is discovered otherwise. The answer is cached per deployer descriptor.
    """
    deployer = state.environment.deployer()
    if deployer is None:
        return None
    key = str(deployer.kind)
    if key not in _HOOKS:
        from greentic_iac.envpacks import EnvPackRegistry, compiler_path_of

        try:
            found = registry() if registry is not None else EnvPackRegistry.discover()
            handler = found.resolve(deployer.kind)
        except InvalidInputError:
            return None  # an unresolvable deployer is refused where it is compiled
        path = compiler_path_of(handler)
        module = importlib.import_module(path.split(":")[0]) if path else None
        _HOOKS[key] = getattr(module, HOOK_NAME, None) if module is not None else None
    return _HOOKS[key]


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
        after, result = change(state)
        hook = allocation_hook(after, registry)
        if hook is None:
            return after, result
        context = AllocationContext(
            applied_generation=applied_generation(after.environment.environment_id),
            claims=claims,
        )
        return hook(before, after, context), result

    return allocated
