"""``rollout run``'s progress for a person: a line per step with the elapsed time, a pause or
analysis countdown every few seconds, the analysis figures, and a closing summary.

It formats the runner's RolloutEvents (operations/rollout_runner.py) onto stderr, so stdout
stays the result; under ``--output json`` it prints nothing (the envelope is the whole
answer). Elapsed time and countdowns come from the runner's clock, the one tests inject.

    [00:00] rollout 01J… started: step 1/5 set_weight; shop@1 100% / shop@2 0%
    [00:00] step 1/5 set_weight shop@2=10% applied
    [00:10] step 2/5 analysis: 50s left of 1m00s
    [01:00] step 2/5 analysis passed: error_rate 0.0125 <= 0.05 (120 req) pass
    [11:00] rollout 01J… promoted after 11:00: shop@1 0% / shop@2 100%

A runner that takes over a rollout another one left mid-way says ``resumed`` instead of
``started``; its clock starts at ``[00:00]`` again.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from greentic_iac.operations.rollout_view import (
    duration_text,
    figure_text,
    rollout_summary,
    short_percent,
)
from greentic_iac.spec.rollout import AnalysisStep, PauseStep, SetWeightStep

if TYPE_CHECKING:
    from greentic_iac.cli.context import Context
    from greentic_iac.operations.rollout_runner import RolloutEvent
    from greentic_iac.spec import EnvironmentState
    from greentic_iac.spec.rollout import Rollout

# How often a wait says how long is left (seconds of the runner's clock).
COUNTDOWN_SECONDS = 10.0


def clock_text(seconds: float) -> str:
    """``[mm:ss]`` (``[h:mm:ss]`` past an hour)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class RolloutProgress:
    """The ``progress`` sink of a RolloutRunner (see the module docstring)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        quiet: bool = False,
        countdown_seconds: float = COUNTDOWN_SECONDS,
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.countdown_seconds = countdown_seconds
        self.started: datetime | None = None
        self._last_wait: tuple[int, str] | None = None
        self._last_wait_at: datetime | None = None

    def __call__(self, event: RolloutEvent) -> None:
        if self.started is None:
            self.started = event.at
        line = self._line(event)
        if line is not None and not self.quiet:
            stamp = f"[{clock_text((event.at - self.started).total_seconds())}]"
            for text in line.split("\n"):
                self.stream.write(f"{stamp} {text}\n")
            self.stream.flush()

    def _step(self, rollout: Rollout, index: int) -> str:
        steps = rollout.definition.steps
        kind = steps[index].kind if index < len(steps) else "done"
        return f"step {min(index + 1, len(steps))}/{len(steps)} {kind}"

    def _line(self, event: RolloutEvent) -> str | None:
        rollout, state = event.rollout, event.state
        if event.kind in ("waiting", "paused"):
            return self._countdown(event)
        self._last_wait = None
        if event.kind == "conflict":
            return event.message
        if state is None:
            return None
        if rollout.status.finished:
            return self._summary(event, rollout, state)
        summary = rollout_summary(rollout, state, event.at)
        if event.kind == "analysis":
            return self._analysis(rollout, summary)
        return self._applied(event, rollout, summary)

    def _applied(self, event: RolloutEvent, rollout: Rollout, summary: dict[str, Any]) -> str:
        if event.decision == "run":
            fresh = rollout.step_index == 0 and rollout.step_started_at is None
            return (
                f"rollout {rollout.rollout_id} {'started' if fresh else 'resumed'}: "
                f"{self._step(rollout, rollout.step_index)}; {summary['weights']}"
            )
        applied = rollout.step_index - 1
        step = rollout.definition.steps[applied] if applied >= 0 else None
        if isinstance(step, SetWeightStep):
            canaries = ", ".join(
                f"{t['canary']['name'] or t['canary']['revision_id']}="
                f"{short_percent(step.weight_bps)}"
                for t in summary["targets"]
            )
            return f"{self._step(rollout, applied)} {canaries} applied"
        return f"{self._step(rollout, rollout.step_index)}; {summary['weights']}"

    def _analysis(self, rollout: Rollout, summary: dict[str, Any]) -> str:
        analysis = summary["last_analysis"]
        if analysis is None:
            return f"{self._step(rollout, rollout.step_index)} analysis recorded"
        figures = "; ".join(figure_text(f) for f in analysis["figures"])
        index = analysis["step"] - 1
        return f"{self._step(rollout, index)} {analysis['verdict']}: {figures}"

    def _countdown(self, event: RolloutEvent) -> str | None:
        rollout = event.rollout
        key = (rollout.step_index, event.kind)
        due = (
            self._last_wait != key
            or self._last_wait_at is None
            or (event.at - self._last_wait_at).total_seconds() >= self.countdown_seconds
        )
        if not due:
            return None
        self._last_wait, self._last_wait_at = key, event.at
        where = self._step(rollout, rollout.step_index)
        if event.kind == "paused":
            return f"{where}: paused (`rollout resume` goes on)"
        step = rollout.current_step
        if isinstance(step, PauseStep) and step.seconds is None:
            return f"{where}: waiting for `rollout promote`"
        total = step.seconds if isinstance(step, PauseStep) else None
        if isinstance(step, AnalysisStep):
            total = step.window_seconds
        left = event.remaining if event.remaining is not None else total
        if left is None or total is None:
            return f"{where}: waiting"
        return f"{where}: {duration_text(left)} left of {duration_text(total)}"

    def _summary(self, event: RolloutEvent, rollout: Rollout, state: EnvironmentState) -> str:
        assert self.started is not None
        elapsed = clock_text((event.at - self.started).total_seconds())
        summary = rollout_summary(rollout, state, event.at)
        outcome = rollout.status.value.replace("_", " ")
        lines = []
        if event.kind == "applied" and event.decision == "analysis":
            analysis = self._analysis(rollout, summary)
            lines.append(analysis)
        line = f"rollout {rollout.rollout_id} {outcome} after {elapsed}: {summary['weights']}"
        if rollout.reason:
            line += f" ({rollout.reason})"
        lines.append(line)
        return "\n".join(lines)


def rollout_progress(ctx: Context) -> RolloutProgress:
    """The sink ``rollout run`` gives its runner: stderr, silent under ``--output json``
    (the events carry the runner's clock, so the elapsed times are on it)."""
    quiet = getattr(ctx.args, "output", None) == "json"
    return RolloutProgress(sys.stderr, quiet=quiet)
