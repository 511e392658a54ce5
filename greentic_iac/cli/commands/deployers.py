"""Deployer hooks the lifecycle verbs call after a state change: only the local target acts.

Cloud targets take a state change at the next ``up`` (their health checks belong to the
load balancer and readiness probes), so every hook is a no-op for them. For a
local-process environment whose runtime is up, the hooks write the new
``runtime-config.json``, make the supervisor apply it at once, and wait (bounded, with
progress on stderr) for what the verb promises: ``warm`` for the health check, ``drain``
for in-flight requests to finish, ``deactivate``/``archive`` for the process to stop.
When the runtime is not up they do nothing, so the verbs behave exactly as without it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import GreenticError, InvalidInputError, NotFoundError
from greentic_iac.spec import EnvironmentState

# Seconds; overridable for slow bundles (and for tests of the failure path).
WARM_TIMEOUT_ENV = "GREENTIC_WARM_TIMEOUT"
DEFAULT_WARM_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 40.0
# traffic set: how long to wait for revisions that just got weight to answer their health
# check (the split is already applied; a timeout is a warning, not a failure).
TRAFFIC_HEALTH_TIMEOUT_SECONDS = 15.0


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


def running_runtime(ctx: Context, state: EnvironmentState) -> Path | None:
    """The runtime directory when ``state``'s environment is local and its runtime is up."""
    from greentic_iac.local import is_running
    from greentic_iac.local.sync import environment_dir, uses_local_runtime

    if not uses_local_runtime(state):
        return None
    env_dir = environment_dir(ctx.greentic_home, state.environment.environment_id)
    return env_dir if is_running(env_dir) else None


def after_change(ctx: Context, state: EnvironmentState | None) -> dict[str, Any] | None:
    """Push a changed state to a running runtime; ``{"router_generation": n}`` or None."""
    if state is None:
        return None
    from greentic_iac.local.sync import push_state

    env_dir = running_runtime(ctx, state)
    if env_dir is None:
        return None
    generation = push_state(env_dir, state)
    return None if generation is None else {"router_generation": generation}


def _runs_in_runtime(state: EnvironmentState, revision_id: str) -> bool:
    from greentic_iac.spec import runtime_config_from_state

    config = runtime_config_from_state(state)
    return any(r.revision_id == revision_id for d in config.deployments for r in d.revisions)


def wait_until_healthy(ctx: Context, state: EnvironmentState, revision_id: str) -> dict[str, Any]:
    """Before ``warm`` reports ready: start the revision in a running runtime, wait for health.

    Returns what the verb adds to its result under ``runtime`` (empty when no runtime
    runs). Raises GreenticError (exit 1) when the health check does not pass in time: the
    revision then stays ``warming``.
    """
    from greentic_iac.local import wait_until_healthy as wait_healthy
    from greentic_iac.local.sync import push_state

    env_dir = running_runtime(ctx, state)
    if env_dir is None:
        return {}
    if not _runs_in_runtime(state, revision_id):
        # A deployment runs only once it has a split (weights must sum to 10000), so its
        # first revision starts, and is health-checked, when `traffic set` gives it weight.
        _progress(
            f"{revision_id}: its deployment has no traffic split yet, so the runtime does "
            "not run it; it is health-checked when `traffic set` gives it weight"
        )
        return {"health_checked": False}
    push_state(env_dir, state)
    timeout = warm_timeout()
    try:
        healthy = wait_healthy(env_dir, revision_id, timeout=timeout, progress=_progress)
    except NotFoundError:
        return {}  # the runtime went down meanwhile: nothing left to wait for
    if not healthy:
        raise GreenticError(
            f"revision {revision_id}: health check did not pass within {timeout:.0f}s; it "
            f"stays warming (see `greentic-iac local logs {env_dir.name} --revision "
            f"{revision_id}`)"
        )
    return {"health_checked": True}


def wait_until_drained(ctx: Context, state: EnvironmentState, revision_id: str) -> dict[str, Any]:
    """After ``drain``: the process stays until its in-flight requests finish (bounded)."""
    from greentic_iac.local import wait_until_drained as wait_drained
    from greentic_iac.local.sync import push_state

    env_dir = running_runtime(ctx, state)
    if env_dir is None:
        return {}
    generation = push_state(env_dir, state)
    try:
        drained = wait_drained(
            env_dir, revision_id, timeout=DRAIN_TIMEOUT_SECONDS, progress=_progress
        )
    except NotFoundError:
        return {}
    if not drained:
        raise GreenticError(
            f"revision {revision_id}: draining, but requests were still in flight after "
            f"{DRAIN_TIMEOUT_SECONDS:.0f}s (see `greentic-iac local status {env_dir.name}`)"
        )
    return {"router_generation": generation, "drained": True}


def wait_until_stopped(ctx: Context, state: EnvironmentState, revision_id: str) -> dict[str, Any]:
    """After ``deactivate``/``archive``: its process stops once in-flight requests finish."""
    from greentic_iac.local import wait_until_stopped as wait_stopped
    from greentic_iac.local.sync import push_state

    env_dir = running_runtime(ctx, state)
    if env_dir is None:
        return {}
    generation = push_state(env_dir, state)
    if not wait_stopped(env_dir, revision_id, timeout=STOP_TIMEOUT_SECONDS, progress=_progress):
        raise GreenticError(
            f"revision {revision_id}: its process was still running after "
            f"{STOP_TIMEOUT_SECONDS:.0f}s (see `greentic-iac local status {env_dir.name}`)"
        )
    return {"router_generation": generation, "process_stopped": True}


def after_traffic_change(ctx: Context, state: EnvironmentState | None) -> dict[str, Any] | None:
    """Push a new split; wait (bounded) for revisions that now carry weight to be healthy.

    A revision whose deployment just got its first split starts only now; until its health
    check passes the router answers 503 for that deployment, so the verb waits for it.
    """
    pushed = after_change(ctx, state)
    if pushed is None or state is None:
        return pushed
    from greentic_iac.local import runtime_status
    from greentic_iac.local import wait_until_healthy as wait_healthy
    from greentic_iac.local.sync import environment_dir

    env_dir = environment_dir(ctx.greentic_home, state.environment.environment_id)
    status = runtime_status(env_dir)
    unhealthy = [
        r["revision_id"]
        for d in status.get("deployments", [])
        for r in d["revisions"]
        if r["weight_bps"] > 0 and not (r["process"] and r["process"]["healthy"])
    ]
    late = []
    for revision_id in unhealthy:
        try:
            healthy = wait_healthy(
                env_dir, revision_id, timeout=TRAFFIC_HEALTH_TIMEOUT_SECONDS, progress=_progress
            )
        except NotFoundError:
            return pushed
        if not healthy:
            late.append(revision_id)
    if late:
        _progress(f"warning: not healthy yet, the router fails over around them: {late}")
        pushed["unhealthy"] = late
    return pushed
