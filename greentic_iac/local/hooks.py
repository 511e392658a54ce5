"""The local target's lifecycle hooks: keep a running runtime in step with the store.

A cloud target takes a state change at the next ``up``; the local runtime applies it at
once. For a local environment whose runtime is up, each hook writes the new
``runtime-config.json``, makes the supervisor apply it, and waits (bounded by the
context's timeout, with progress through the context) for what the verb promises:
``warm`` for the health check, ``drain`` for in-flight requests to finish,
``deactivate``/``archive`` for the process to stop. When the runtime is not up every hook
does nothing, so the verbs behave exactly as without it. The runtime modules are imported
inside the hooks: loading the target (every ``plan`` of a local environment does) must not
pay for the supervisor and aiohttp.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from greentic_iac.errors import GreenticError, NotFoundError
from greentic_iac.plan.target import TargetContext
from greentic_iac.spec import EnvironmentState


def running_runtime(home: Path, state: EnvironmentState) -> Path | None:
    """The runtime directory when ``state``'s environment is local and its runtime is up."""
    from greentic_iac.local.runtime import is_running
    from greentic_iac.local.sync import environment_dir, uses_local_runtime

    if not uses_local_runtime(state):
        return None
    env_dir = environment_dir(home, state.environment.environment_id)
    return env_dir if is_running(env_dir) else None


def _runs_in_runtime(state: EnvironmentState, revision_id: str) -> bool:
    from greentic_iac.spec import runtime_config_from_state

    config = runtime_config_from_state(state)
    return any(r.revision_id == revision_id for d in config.deployments for r in d.revisions)


class LocalHooks:
    """``greentic_iac.plan.target.LifecycleHooks`` for the local runtime."""

    def after_change(
        self, state: EnvironmentState, context: TargetContext
    ) -> dict[str, Any] | None:
        """Push a changed state to a running runtime; ``{"router_generation": n}`` or None."""
        from greentic_iac.local.sync import push_state

        env_dir = running_runtime(context.greentic_home, state)
        if env_dir is None:
            return None
        generation = push_state(env_dir, state)
        return None if generation is None else {"router_generation": generation}

    def after_traffic_change(
        self, state: EnvironmentState, context: TargetContext
    ) -> dict[str, Any] | None:
        """Push a new split; wait (bounded) for revisions that now carry weight to be healthy.

        A revision whose deployment just got its first split starts only now; until its
        health check passes the router answers 503 for that deployment, so the verb waits.
        The split is already applied, so a revision still unhealthy is a warning.
        """
        pushed = self.after_change(state, context)
        if pushed is None:
            return None
        from greentic_iac.local.runtime import runtime_status, wait_until_healthy
        from greentic_iac.local.sync import environment_dir

        env_dir = environment_dir(context.greentic_home, state.environment.environment_id)
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
                healthy = wait_until_healthy(
                    env_dir, revision_id, timeout=context.timeout, progress=context.progress
                )
            except NotFoundError:
                return pushed
            if not healthy:
                late.append(revision_id)
        if late:
            context.progress(f"warning: not healthy yet, the router fails over around them: {late}")
            pushed["unhealthy"] = late
        return pushed

    def after_warm(
        self, state: EnvironmentState, revision_id: str, context: TargetContext
    ) -> dict[str, Any] | None:
        """Before ``warm`` reports ready: start the revision in a running runtime, wait for
        its health check. Raises GreenticError (exit 1) when it does not pass in time: the
        revision then stays ``warming``."""
        from greentic_iac.local.runtime import wait_until_healthy
        from greentic_iac.local.sync import push_state

        env_dir = running_runtime(context.greentic_home, state)
        if env_dir is None:
            return None
        if not _runs_in_runtime(state, revision_id):
            # A deployment runs only once it has a split (weights must sum to 10000), so its
            # first revision starts, and is health-checked, when `traffic set` gives it weight.
            context.progress(
                f"{revision_id}: its deployment has no traffic split yet, so the runtime does "
                "not run it; it is health-checked when `traffic set` gives it weight"
            )
            return {"health_checked": False}
        push_state(env_dir, state)
        try:
            healthy = wait_until_healthy(
                env_dir, revision_id, timeout=context.timeout, progress=context.progress
            )
        except NotFoundError:
            return None  # the runtime went down meanwhile: nothing left to wait for
        if not healthy:
            raise GreenticError(
                f"revision {revision_id}: health check did not pass within "
                f"{context.timeout:.0f}s; it stays warming (see `greentic-iac local logs "
                f"{env_dir.name} --revision {revision_id}`)"
            )
        return {"health_checked": True}

    def after_drain(
        self, state: EnvironmentState, revision_id: str, context: TargetContext
    ) -> dict[str, Any] | None:
        """After ``drain``: the process stays until its in-flight requests finish (bounded)."""
        from greentic_iac.local.runtime import wait_until_drained
        from greentic_iac.local.sync import push_state

        env_dir = running_runtime(context.greentic_home, state)
        if env_dir is None:
            return None
        generation = push_state(env_dir, state)
        try:
            drained = wait_until_drained(
                env_dir, revision_id, timeout=context.timeout, progress=context.progress
            )
        except NotFoundError:
            return None
        if not drained:
            raise GreenticError(
                f"revision {revision_id}: draining, but requests were still in flight after "
                f"{context.timeout:.0f}s (see `greentic-iac local status {env_dir.name}`)"
            )
        return {"router_generation": generation, "drained": True}

    def after_stop(
        self, state: EnvironmentState, revision_id: str, context: TargetContext
    ) -> dict[str, Any] | None:
        """After ``deactivate``/``archive``: its process stops once in-flight requests finish."""
        from greentic_iac.local.runtime import wait_until_stopped
        from greentic_iac.local.sync import push_state

        env_dir = running_runtime(context.greentic_home, state)
        if env_dir is None:
            return None
        generation = push_state(env_dir, state)
        stopped = wait_until_stopped(
            env_dir, revision_id, timeout=context.timeout, progress=context.progress
        )
        if not stopped:
            raise GreenticError(
                f"revision {revision_id}: its process was still running after "
                f"{context.timeout:.0f}s (see `greentic-iac local status {env_dir.name}`)"
            )
        return {"router_generation": generation, "process_stopped": True}
