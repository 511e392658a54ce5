"""The lifecycle verbs' calls into the deployer after a state change: its ``Target.hooks``.

A cloud target takes a state change at the next ``up`` (its health checks belong to the
load balancer and readiness probes) and offers no hooks, so every call here is a no-op for
it. A target whose hooks act (the local runtime's) gets the new state with a
``TargetContext``: the home directory, the verb's time bound and a progress printer on
stderr. The bounds are the verb's promise, so they live here: ``warm`` waits for the
health check (``$GREENTIC_WARM_TIMEOUT``), ``drain`` for in-flight requests to finish,
``deactivate``/``archive`` for the process to stop, ``traffic set`` for revisions that
just got weight to answer their health check (a warning when late, the split stands).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import EnvironmentState

if TYPE_CHECKING:
    from greentic_iac.plan.target import LifecycleHooks, TargetContext

# Seconds; overridable for slow bundles (and for tests of the failure path).
WARM_TIMEOUT_ENV = "GREENTIC_WARM_TIMEOUT"
DEFAULT_WARM_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 40.0
TRAFFIC_HEALTH_TIMEOUT_SECONDS = 15.0
# A change that only reaches the deployer (nothing to wait for) still gets a bound.
CHANGE_TIMEOUT_SECONDS = 10.0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warm_timeout() -> float:
    raw = os.environ.get(WARM_TIMEOUT_ENV)
    if raw is None:
        return DEFAULT_WARM_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInputError(f"{WARM_TIMEOUT_ENV}: {raw!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise InvalidInputError(f"{WARM_TIMEOUT_ENV}: {raw!r} must be in (0, 3600] seconds")
    return value


def _hooks(ctx: Context, state: EnvironmentState | None) -> LifecycleHooks | None:
    if state is None or state.environment.deployer() is None:
        return None
    from greentic_iac.targets import target_for

    return target_for(state, lambda: ctx.registry).hooks


def _context(ctx: Context, timeout: float) -> TargetContext:
    from greentic_iac.plan.target import TargetContext

    return TargetContext(greentic_home=ctx.greentic_home, timeout=timeout, progress=_progress)


def applies_state_at_once(ctx: Context, state: EnvironmentState) -> bool:
    """Whether the deployer applies a state change on this machine at once (the ``local``
    engine): ``warm`` then waits through its hooks, not a cloud health source after ``up``."""
    if state.environment.deployer() is None:
        return False
    from greentic_iac.targets import target_for

    return target_for(state, lambda: ctx.registry).engine == "local"


def after_change(ctx: Context, state: EnvironmentState | None) -> dict[str, Any] | None:
    """Tell the deployer about a changed state; what it did (``router_generation``) or None."""
    hooks = _hooks(ctx, state)
    if hooks is None or state is None:
        return None
    return hooks.after_change(state, _context(ctx, CHANGE_TIMEOUT_SECONDS))


def after_traffic_change(ctx: Context, state: EnvironmentState | None) -> dict[str, Any] | None:
    """A new split: the deployer applies it and waits (bounded) for revisions now carrying
    weight to be healthy."""
    hooks = _hooks(ctx, state)
    if hooks is None or state is None:
        return None
    return hooks.after_traffic_change(state, _context(ctx, TRAFFIC_HEALTH_TIMEOUT_SECONDS))


def wait_until_healthy(ctx: Context, state: EnvironmentState, revision_id: str) -> dict[str, Any]:
    """Before ``warm`` reports ready: what the verb adds under ``runtime`` (empty when the
    deployer did nothing). Raises GreenticError (exit 1) when the revision's health check
    does not pass in time: it then stays ``warming``."""
    hooks = _hooks(ctx, state)
    if hooks is None:
        return {}
    return hooks.after_warm(state, revision_id, _context(ctx, warm_timeout())) or {}


def wait_until_drained(ctx: Context, state: EnvironmentState, revision_id: str) -> dict[str, Any]:
    """After ``drain``: the revision keeps serving its in-flight requests (bounded)."""
    hooks = _hooks(ctx, state)
    if hooks is None:
        return {}
    return hooks.after_drain(state, revision_id, _context(ctx, DRAIN_TIMEOUT_SECONDS)) or {}


def wait_until_stopped(ctx: Context, state: EnvironmentState, revision_id: str) -> dict[str, Any]:
    """After ``deactivate``/``archive``: the revision stops once in-flight requests finish."""
    hooks = _hooks(ctx, state)
    if hooks is None:
        return {}
    return hooks.after_stop(state, revision_id, _context(ctx, STOP_TIMEOUT_SECONDS)) or {}
