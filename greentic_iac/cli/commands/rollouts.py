"""``rollout`` verbs: progressive rollouts with analysis and automatic rollback (issue 19).

The state changes live in operations/rollout_steps.py and the loop in rollout_runner.py;
this module wires them to the store, the target's applier (a ``local`` engine: the
runtime reload, as `traffic set` does; a Pulumi one: `up` through the Automation API, or
``--apply-command``), and the environment's Target for the canary's health
(``Target.health``) and the built-in metrics (``Target.metrics``). No target is named
here: a rollout of built-in metrics on a target offering no metric source is refused.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from greentic_iac.cli.commands import deployers
from greentic_iac.cli.context import Context
from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.operations import rollout_steps as steps
from greentic_iac.spec import EnvironmentState
from greentic_iac.spec.answers import RolloutActionPayload, RolloutStartPayload

if TYPE_CHECKING:
    from greentic_iac.plan.target import MetricSource, Target, TargetContext
    from greentic_iac.spec.rollout import Rollout

APPLY_COMMAND_TIMEOUT_SECONDS: Final = 1800.0
# Seconds one health check or one metric query may take (a cloud API call, kubectl).
SOURCE_TIMEOUT_SECONDS: Final = 10.0


def _now() -> datetime:
    return datetime.now(UTC)


# The runner's wall clock and sleep; the metric sources read the same clock. Replaced by
# tests so that minutes of steps run without a real wait.
CLOCK: Callable[[], datetime] = _now
SLEEP: Callable[[float], None] = time.sleep


def _after(ctx: Context, state: EnvironmentState | None) -> dict[str, Any] | None:
    return deployers.after_traffic_change(ctx, state)


def _target(ctx: Context, state: EnvironmentState) -> Target:
    from greentic_iac.targets import target_for

    return target_for(state, lambda: ctx.registry)


def _context(ctx: Context, rollout: Rollout) -> TargetContext:
    from greentic_iac.plan.target import TargetContext

    url = rollout.definition.prometheus_url
    return TargetContext(
        greentic_home=ctx.greentic_home,
        timeout=SOURCE_TIMEOUT_SECONDS,
        options={"prometheus_url": url} if url else {},
        now=CLOCK,
    )


def _metric_source(
    target: Target, state: EnvironmentState, rollout: Rollout, context: TargetContext
) -> MetricSource | None:
    """The target's source of the built-in metrics the rollout's analyses check (None
    when they check none); InvalidInputError naming the first such metric when the target
    offers no source, or the factory's own when it lacks a setting (a Prometheus URL), and
    the URL a ``prometheus`` check needs."""
    from greentic_iac.operations.analysis import analysis_checks, builtin_metrics
    from greentic_iac.plan.target import no_member_message

    queries = [w for w, metric in analysis_checks(rollout.definition) if metric == "prometheus"]
    if queries and rollout.definition.prometheus_url is None:
        raise InvalidInputError(
            f"definition.prometheus_url: {queries[0]} is a prometheus check; give the server's URL"
        )
    needed = builtin_metrics(rollout.definition)
    if not needed:
        return None
    if target.metrics is None:
        where, metric = needed[0]
        raise InvalidInputError(
            f"{where}: {metric} is a built-in metric and "
            f"{no_member_message(target, 'metrics source')} (use a prometheus check)"
        )
    return target.metrics(state, context)


def rollout_start(ctx: Context, payload: RolloutStartPayload) -> dict[str, Any]:
    def start(state: EnvironmentState) -> steps.Result:
        new, view = steps.start_rollout(state, payload)
        rollout = new.rollouts[view["rollout_id"]]
        # Refused before it is stored: its analyses must have a source to read.
        _metric_source(_target(ctx, new), new, rollout, _context(ctx, rollout))
        return new, view

    mutation = ctx.mutate(payload, "rollout start", start)
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
    now = CLOCK()
    return {"rollouts": [status_row(r, state, now) for r in chosen]}


def _stderr_file() -> Any:
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None
    return sys.stderr


def _command_applier(ctx: Context, command: str) -> Callable[[EnvironmentState], None]:
    argv = shlex.split(command)
    if not argv:
        raise InvalidInputError("--apply-command: empty command")

    def apply(state: EnvironmentState) -> None:
        environment = {
            **os.environ,
            "GREENTIC_ENVIRONMENT": state.environment.environment_id,
            "GREENTIC_STATE_GENERATION": str(state.generation),
        }
        # Its output is progress: stdout carries only the verb's JSON. Streamed to our
        # stderr when that is a file; relayed afterwards when it is not (a library caller).
        streams = _stderr_file()
        try:
            done = subprocess.run(
                argv,
                env=environment,
                timeout=APPLY_COMMAND_TIMEOUT_SECONDS,
                check=False,
                stdout=streams if streams is not None else subprocess.PIPE,
                stderr=None if streams is not None else subprocess.STDOUT,
                text=streams is None,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GreenticError(f"--apply-command: {exc}") from None
        if streams is None and done.stdout:
            print(done.stdout, end="", file=sys.stderr, flush=True)
        if done.returncode != 0:
            raise GreenticError(f"--apply-command: exited {done.returncode}")

    return apply


def _up_applier(ctx: Context) -> Callable[[EnvironmentState], None]:
    from greentic_iac.cli.commands import apply as apply_verbs

    # Starting `rollout run` approved its steps: `up` asks nobody for each one.
    ctx.args.yes = True

    def apply(_: EnvironmentState) -> None:
        apply_verbs.up(ctx, None)

    return apply


def _applier(ctx: Context, target: Target) -> Callable[[EnvironmentState], Any]:
    command = getattr(ctx.args, "apply_command", None)
    if command:
        return _command_applier(ctx, command)
    if target.engine == "local":
        return lambda s: _after(ctx, s)
    return _up_applier(ctx)


def rollout_run(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.cli.rollout_progress import rollout_progress
    from greentic_iac.operations.rollout_runner import RolloutRunner, status_row
    from greentic_iac.prometheus_api import PrometheusQuerySource

    state = ctx.environment_state()
    rollout = steps.rollout_of(state, ctx.args.rollout_id)
    environment_id = state.environment.environment_id
    target = _target(ctx, state)
    context = _context(ctx, rollout)
    metrics = None if rollout.status.finished else _metric_source(target, state, rollout, context)
    url = rollout.definition.prometheus_url
    runner = RolloutRunner(
        store=ctx.store,
        environment_id=environment_id,
        apply=_applier(ctx, target),
        metrics=metrics,
        clock=CLOCK,
        sleep=SLEEP,
        progress=rollout_progress(ctx),
        health=target.health(state, context) if target.health is not None else None,
        queries=PrometheusQuerySource(url) if url else None,
        poll_seconds=float(getattr(ctx.args, "poll", None) or 1.0),
    )
    finished = runner.run(rollout.rollout_id)
    after = ctx.store.load(environment_id)
    return {"rollout": status_row(finished, after, CLOCK())}
