"""``rollout`` verbs: progressive rollouts with analysis and automatic rollback (issue 19).

The state changes live in operations/rollout_steps.py and the loop in rollout_runner.py;
this module wires them to the store, the target's applier (local: the runtime reload, as
`traffic set` does; cloud: `up` through the Automation API, or ``--apply-command``) and
the metric source (local: the router's /metrics).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from greentic_iac.cli.commands import deployers
from greentic_iac.cli.context import Context
from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.operations import rollout_steps as steps
from greentic_iac.spec import EnvironmentState
from greentic_iac.spec.answers import RolloutActionPayload, RolloutStartPayload

APPLY_COMMAND_TIMEOUT_SECONDS = 1800.0


def _now() -> datetime:
    return datetime.now(UTC)


def _after(ctx: Context, state: EnvironmentState | None) -> dict[str, Any] | None:
    return deployers.after_traffic_change(ctx, state)


def rollout_start(ctx: Context, payload: RolloutStartPayload) -> dict[str, Any]:
    mutation = ctx.mutate(payload, "rollout start", lambda s: steps.start_rollout(s, payload))
    return mutation.result


def _action(ctx: Context, payload: RolloutActionPayload, verb: str, change: Any) -> dict[str, Any]:
    mutation = ctx.mutate(payload, f"rollout {verb}", lambda s: change(s, payload))
    result: dict[str, Any] = mutation.result
    if "splits" in result:
        runtime = _after(ctx, mutation.state)
        if runtime:
            result = {**result, "runtime": runtime}
    return result


def rollout_pause(ctx: Context, payload: RolloutActionPayload) -> dict[str, Any]:
    return _action(ctx, payload, "pause", steps.pause_rollout)


def rollout_resume(ctx: Context, payload: RolloutActionPayload) -> dict[str, Any]:
    return _action(ctx, payload, "resume", steps.resume_rollout)


def rollout_promote(ctx: Context, payload: RolloutActionPayload) -> dict[str, Any]:
    return _action(ctx, payload, "promote", steps.promote_rollout)


def rollout_abort(ctx: Context, payload: RolloutActionPayload) -> dict[str, Any]:
    return _action(ctx, payload, "abort", steps.abort_rollout)


def rollout_status(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.operations.rollout_runner import status_row

    state = ctx.environment_state()
    every = getattr(ctx.args, "all", False)
    chosen = state.rollouts.values() if every else state.active_rollouts()
    now = _now()
    return {"rollouts": [status_row(r, state, now) for r in chosen]}


def _command_applier(ctx: Context, command: str) -> Any:
    argv = shlex.split(command)
    if not argv:
        raise InvalidInputError("--apply-command: empty command")

    def apply(state: EnvironmentState) -> None:
        environment = {
            **os.environ,
            "GREENTIC_ENVIRONMENT": state.environment.environment_id,
            "GREENTIC_STATE_GENERATION": str(state.generation),
        }
        try:
            done = subprocess.run(
                argv,
                env=environment,
                timeout=APPLY_COMMAND_TIMEOUT_SECONDS,
                check=False,
                stdout=sys.stderr,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GreenticError(f"--apply-command: {exc}") from None
        if done.returncode != 0:
            raise GreenticError(f"--apply-command: exited {done.returncode}")

    return apply


def _up_applier(ctx: Context) -> Any:
    from greentic_iac.cli.commands import apply as apply_verbs

    # Starting `rollout run` approved its steps: `up` asks nobody for each one.
    ctx.args.yes = True

    def apply(_: EnvironmentState) -> None:
        apply_verbs.up(ctx, None)

    return apply


def rollout_run(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.cli.rollout_progress import rollout_progress
    from greentic_iac.local.sync import environment_dir, uses_local_runtime
    from greentic_iac.operations.analysis import PrometheusQuerySource, RouterMetricSource
    from greentic_iac.operations.rollout_runner import RolloutRunner, status_row

    state = ctx.environment_state()
    rollout = steps.rollout_of(state, ctx.args.rollout_id)
    environment_id = state.environment.environment_id
    metrics = None
    healthy = None
    command = getattr(ctx.args, "apply_command", None)
    if command:
        applier = _command_applier(ctx, command)
    elif uses_local_runtime(state):
        applier = lambda s: _after(ctx, s)  # noqa: E731
    else:
        applier = _up_applier(ctx)
    if uses_local_runtime(state):
        from greentic_iac.health.local import LocalHealthSource
        from greentic_iac.local import metrics_text

        env_dir = environment_dir(ctx.greentic_home, environment_id)
        metrics = RouterMetricSource(fetch=lambda: metrics_text(env_dir))
        healthy = LocalHealthSource(env_dir).is_healthy
    url = rollout.definition.prometheus_url
    runner = RolloutRunner(
        store=ctx.store,
        environment_id=environment_id,
        apply=applier,
        metrics=metrics,
        clock=_now,
        sleep=time.sleep,
        progress=rollout_progress(ctx),
        healthy=healthy,
        queries=PrometheusQuerySource(url) if url else None,
        poll_seconds=float(getattr(ctx.args, "poll", None) or 1.0),
    )
    finished = runner.run(rollout.rollout_id)
    after = ctx.store.load(environment_id)
    return {"rollout": status_row(finished, after, _now())}
