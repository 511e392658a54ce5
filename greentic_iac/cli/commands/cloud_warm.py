"""``revisions warm`` on a target whose health lives in the cloud (ECS, Kubernetes, ...).

The revision is already ``warming``, so its plan runs it at its configured capacity. With
``--apply`` (or the environment's ``policy.warm_apply``) that plan is applied through the
same path as ``up`` (preflight gate, grant, audit), then the verb waits, bounded and with
progress on stderr, until the deployer's health source reports the revision healthy; a
timeout leaves it ``warming`` (exit 1, the source's last message in the error). Without
an apply the source is asked once: healthy (someone, say CI, applied it) means ``ready``;
otherwise it stays ``warming`` and a later ``revisions warm`` asks again.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.cli.context import Context
from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.spec import EnvironmentState

# Seconds the wait after an apply may take (ECS tasks and pods take minutes to pass checks).
DEFAULT_CLOUD_WARM_TIMEOUT_SECONDS: Final = 900.0
WARM_TIMEOUT_ENV: Final = "GREENTIC_WARM_TIMEOUT"
POLL_SECONDS: Final = 5.0
MAX_TIMEOUT_SECONDS: Final = 7200.0
# Replaced by tests so that a long wait runs without real pauses.
CLOCK: Callable[[], float] = time.monotonic
SLEEP: Callable[[float], None] = time.sleep


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _timeout(ctx: Context) -> float:
    requested = getattr(ctx.args, "health_timeout", None)
    if requested is not None:
        value = float(requested)
        where = "--health-timeout"
    else:
        raw = os.environ.get(WARM_TIMEOUT_ENV)
        if raw is None:
            return DEFAULT_CLOUD_WARM_TIMEOUT_SECONDS
        where = WARM_TIMEOUT_ENV
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInputError(f"{where}: {raw!r} is not a number of seconds") from None
    if not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise InvalidInputError(
            f"{where}: {value:g} must be in (0, {MAX_TIMEOUT_SECONDS:g}] seconds"
        )
    return value


@dataclass(frozen=True)
class WarmOptions:
    """The verb's flags, checked before any state changes (bad input leaves it untouched)."""

    apply: bool
    skip_health_check: bool
    timeout: float


def options(ctx: Context) -> WarmOptions:
    apply = bool(getattr(ctx.args, "apply", False))
    skip = bool(getattr(ctx.args, "skip_health_check", False))
    if apply and skip:
        raise InvalidInputError("--skip-health-check: can't be combined with --apply")
    return WarmOptions(apply, skip, _timeout(ctx))


@dataclass
class CloudWarm:
    """What the verb learnt: whether the revision may become ready, and what to report."""

    ready: bool
    report: dict[str, Any] = field(default_factory=dict)


def _health_view(health: Any, waited: float | None = None) -> dict[str, Any]:
    view = {
        "healthy": health.healthy,
        "ready_replicas": health.ready_replicas,
        "desired_replicas": health.desired_replicas,
        "message": health.message,
    }
    if waited is not None:
        view["waited_seconds"] = round(waited, 3)
    return view


def warm_on_cloud(
    ctx: Context, state: EnvironmentState, revision_id: str, chosen: WarmOptions
) -> CloudWarm:
    """Apply (when asked) and check health; raises GreenticError when the wait times out."""
    from greentic_iac.health.sources import health_source_for
    from greentic_iac.health.wait import wait_until_healthy

    environment_id = state.environment.environment_id
    apply = chosen.apply or (state.policy.warm_apply and not chosen.skip_health_check)
    timeout = chosen.timeout if apply else 0.0
    if chosen.skip_health_check:
        ctx.store.record(
            environment_id,
            "revisions warm",
            {"revision_id": revision_id, "skip_health_check": True},
        )
        return CloudWarm(True, {"health_checked": False, "skip_health_check": True})
    source = health_source_for(state, greentic_home=ctx.greentic_home)
    if source is None:
        _progress(f"{revision_id}: the deployer declares no health source; ready without a check")
        return CloudWarm(True, {"health_checked": False})
    report: dict[str, Any] = {"health_checked": True}
    if apply:
        from greentic_iac.cli.commands.apply import up_state

        _progress(f"{revision_id}: applying {environment_id} (the revision at its capacity)")
        applied = up_state(ctx, state)
        report["apply"] = {"changes": applied.get("changes"), "preflight": applied.get("preflight")}
    waited = wait_until_healthy(
        source,
        revision_id,
        timeout=timeout,
        poll_seconds=POLL_SECONDS,
        clock=CLOCK,
        sleep=SLEEP,
        progress=_progress,
    )
    report["health"] = _health_view(waited.health, waited.waited_seconds)
    if waited.healthy:
        return CloudWarm(True, report)
    if apply:
        raise GreenticError(
            f"revision {revision_id}: not healthy within {timeout:g}s after the apply "
            f"({waited.health.message or 'no detail'}); it stays warming: run `revisions warm` "
            "again to re-check"
        )
    report["hint"] = (
        f"not healthy yet ({waited.health.message or 'no detail'}); it stays warming: apply "
        f"the plan (`greentic-iac up {environment_id}` or your CI), then run `revisions warm` "
        "again, or run `revisions warm --apply`"
    )
    _progress(f"{revision_id}: {report['hint']}")
    return CloudWarm(False, report)
