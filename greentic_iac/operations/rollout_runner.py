"""The rollout runner: drives a stored rollout step by step, resumable at any point.

The runner keeps nothing of its own: it reads the rollout from the store, makes the next
decision as one transaction (rollout_steps.py), then applies the new state through the
target's applier. Killed between the two, a new runner applies the state it finds first,
so the target catches up with the last recorded decision and no step is applied twice.
Clock and sleep are injected (tests run hours of pauses in no time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from greentic_iac.errors import ConflictError
from greentic_iac.health.model import HealthSource
from greentic_iac.operations import rollout_steps as steps
from greentic_iac.operations.analysis import MetricSource, QuerySource, evaluate
from greentic_iac.spec import EnvironmentState
from greentic_iac.spec.rollout import AnalysisStep, PauseStep, Rollout, RolloutStatus


class _Store(Protocol):
    def load(self, environment_id: str) -> EnvironmentState: ...

    def mutate(
        self,
        environment_id: str,
        change: Callable[[EnvironmentState], tuple[EnvironmentState, dict[str, Any]]],
        *,
        verb: str,
        expected_generation: int | None = None,
        idempotency_key: str | None = None,
        payload: object = None,
    ) -> Any: ...


DEFAULT_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class RolloutEvent:
    """What the runner reports to ``progress``: a decision applied (``applied``, with the
    ``decision`` that led to it), an analysis recorded (``analysis``), a wait going on
    (``waiting``: ``remaining`` seconds, None until ``rollout promote``), a rollout held by
    ``rollout pause`` (``paused``) or a decision someone else made first (``conflict``).
    ``str()`` is the one-line status, for a sink that only prints."""

    kind: str
    rollout: Rollout
    state: EnvironmentState | None
    at: datetime
    message: str
    decision: str | None = None
    remaining: float | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class RolloutRunner:
    store: _Store
    environment_id: str
    # Makes the target serve a state (local: runtime reload; cloud: up or a CI command).
    apply: Callable[[EnvironmentState], None]
    metrics: MetricSource | None
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    # Receives every RolloutEvent (cli/rollout_progress.py formats them for a person).
    progress: Callable[[RolloutEvent], None]
    # Whether a revision is serving healthily (None: no health source on this target);
    # ``health`` (the target's source) also says why not, for the rollback's reason.
    healthy: Callable[[str], bool] | None = None
    health: HealthSource | None = None
    queries: QuerySource | None = None
    poll_seconds: float = DEFAULT_POLL_SECONDS

    def _decide(
        self,
        rollout: Rollout,
        decision: str,
        change: Callable[[EnvironmentState], steps.Result],
    ) -> EnvironmentState:
        mutation = self.store.mutate(
            self.environment_id,
            change,
            verb=f"rollout {decision}",
            payload={
                "rollout_id": rollout.rollout_id,
                "step_index": rollout.step_index,
                "decision": decision,
            },
        )
        state: EnvironmentState = (
            mutation.state if mutation.state is not None else self.store.load(self.environment_id)
        )
        return state

    def _apply(self, state: EnvironmentState, rollout_id: str, decision: str) -> None:
        self.apply(state)
        self._report("applied", state.rollouts[rollout_id], state, decision=decision)

    def _report(
        self,
        kind: str,
        rollout: Rollout,
        state: EnvironmentState | None,
        *,
        decision: str | None = None,
        remaining: float | None = None,
        message: str | None = None,
    ) -> None:
        now = self.clock()
        if message is None and state is not None:
            message = status_line(rollout, state, now)
        elif message is None:
            left = "" if remaining is None else f", {remaining:.0f}s left"
            message = f"rollout {rollout.rollout_id}: {kind} at step {rollout.step_index + 1}{left}"
        self.progress(RolloutEvent(kind, rollout, state, now, message, decision, remaining))

    @staticmethod
    def _canaries(rollout: Rollout) -> list[str]:
        return [t.canary_revision_id for t in rollout.targets]

    def _unhealthy(self, rollout: Rollout) -> list[str]:
        """The canaries not serving healthily, each with the source's reason."""
        if rollout.canary_weight() == 0:
            return []
        sick: list[str] = []
        for target in rollout.targets:
            canary = target.canary_revision_id
            if self.health is not None:
                answer = self.health.revision_health(canary)
                if not answer.healthy:
                    sick.append(f"{canary} ({answer.message})" if answer.message else canary)
            elif self.healthy is not None and not self.healthy(canary):
                sick.append(canary)
        return sick

    def run(self, rollout_id: str | None = None) -> Rollout:
        state = self.store.load(self.environment_id)
        rollout = steps.rollout_of(state, rollout_id)
        rid = rollout.rollout_id
        if not rollout.status.finished:
            state = self._decide(rollout, "run", lambda s: steps.claim(s, rid))
        # Resume: the target serves whatever the last recorded decision set.
        self._apply(state, rid, "run")
        rollout_id = rid
        while True:
            state = self.store.load(self.environment_id)
            rollout = state.rollouts[rollout_id]
            if rollout.status.finished:
                return rollout
            if rollout.status == RolloutStatus.PAUSED:
                self._report("paused", rollout, state)
                self.sleep(self.poll_seconds)
                continue
            try:
                self._step(rollout)
            except ConflictError as exc:
                # Someone moved it between our read and our decision (`rollout promote`,
                # `abort`, another runner): their decision stands; read it and go on.
                message = f"rollout {rollout_id}: {exc}; reading it again"
                self._report("conflict", rollout, None, message=message)

    def _step(self, rollout: Rollout) -> None:
        rid, index = rollout.rollout_id, rollout.step_index
        sick = self._unhealthy(rollout)
        if sick:
            reason = f"canary unhealthy: {', '.join(sick)}"
            state = self._decide(
                rollout,
                "rollback",
                lambda s: steps.roll_back_unhealthy(s, rid, index, reason),
            )
            self._apply(state, rid, "rollback")
            return
        step = rollout.current_step
        if step is None:
            state = self._decide(rollout, "promote", lambda s: steps.complete(s, rid, index))
            self._apply(state, rid, "promote")
            return
        if isinstance(step, (AnalysisStep, PauseStep)):
            self._wait_step(rollout, step)
            return
        state = self._decide(rollout, "step", lambda s: steps.apply_weight_step(s, rid, index))
        self._apply(state, rid, "step")

    def _wait_step(self, rollout: Rollout, step: AnalysisStep | PauseStep) -> None:
        rid, index = rollout.rollout_id, rollout.step_index
        now = self.clock()
        if rollout.step_started_at is None:
            baseline = (
                self.metrics.snapshot(self._canaries(rollout))
                if isinstance(step, AnalysisStep) and self.metrics is not None
                else None
            )
            state = self._decide(
                rollout, "wait", lambda s: steps.begin_wait(s, rid, index, now, baseline)
            )
            # The whole wait is ahead (None: a pause until `rollout promote`).
            seconds = step.seconds if isinstance(step, PauseStep) else step.window_seconds
            self._report("waiting", state.rollouts[rid], state, remaining=seconds)
            return
        if isinstance(step, PauseStep) and step.seconds is None:
            if rollout.released_step == index:
                self._decide(rollout, "step", lambda s: steps.end_pause(s, rid, index))
            else:
                self._report("waiting", rollout, None)
                self.sleep(self.poll_seconds)
            return
        seconds = step.seconds if isinstance(step, PauseStep) else step.window_seconds
        assert seconds is not None
        remaining = (rollout.step_started_at + timedelta(seconds=seconds) - now).total_seconds()
        if remaining > 0:
            self._report("waiting", rollout, None, remaining=remaining)
            self.sleep(min(self.poll_seconds, remaining))
            return
        if isinstance(step, PauseStep):
            self._decide(rollout, "step", lambda s: steps.end_pause(s, rid, index))
            return
        windows = (
            self.metrics.window(rollout.window_baseline or {}, self._canaries(rollout))
            if self.metrics is not None
            else {}
        )
        result = evaluate(rollout, step, windows, now, queries=self.queries)
        state = self._decide(
            rollout, "analysis", lambda s: steps.record_analysis(s, rid, index, result)
        )
        if state.rollouts[rid].status.finished:
            self._apply(state, rid, "analysis")  # rolled back: the stable revisions serve again
        else:
            self._report("analysis", state.rollouts[rid], state)


def time_to_next_step(rollout: Rollout, now: datetime) -> float | None:
    """Seconds until the current wait ends (None: not waiting, or until promote)."""
    step = rollout.current_step
    if rollout.step_started_at is None or step is None:
        return None
    seconds = step.seconds if isinstance(step, PauseStep) else getattr(step, "window_seconds", None)
    if seconds is None:
        return None
    end = rollout.step_started_at + timedelta(seconds=seconds)
    return max(0.0, (end - now).total_seconds())


def status_row(rollout: Rollout, state: EnvironmentState, now: datetime) -> dict[str, Any]:
    # Imported here: rollout_view reads time_to_next_step from this module.
    from greentic_iac.operations.rollout_view import rollout_targets, weights_text

    step = rollout.current_step
    weights = {
        t.deployment_id: {
            "stable": state.traffic[t.deployment_id].weight_of(t.stable_revision_id)
            if t.deployment_id in state.traffic
            else 0,
            "canary": state.traffic[t.deployment_id].weight_of(t.canary_revision_id)
            if t.deployment_id in state.traffic
            else 0,
        }
        for t in rollout.targets
    }
    analysis = rollout.last_analysis
    return {
        "rollout_id": rollout.rollout_id,
        "status": rollout.status.value,
        "step": f"{min(rollout.step_index + 1, len(rollout.definition.steps))}"
        f"/{len(rollout.definition.steps)}",
        "step_index": rollout.step_index,
        "step_kind": step.kind if step is not None else "done",
        "canary_bps": sum(w["canary"] for w in weights.values()) // max(1, len(weights)),
        "weights": weights,
        # The same weights by revision name: ``shop@1 90% / shop@2 10%``.
        "weights_by_name": weights_text(rollout_targets(rollout, state)),
        "next_step_in_seconds": time_to_next_step(rollout, now),
        "last_analysis": None
        if analysis is None
        else {
            "passed": analysis.passed,
            "figures": [
                {
                    "revision_id": f.revision_id,
                    "metric": f.metric,
                    "value": f.value,
                    "requests": f.requests,
                    "passed": f.passed,
                }
                for f in analysis.figures
            ],
        },
        "reason": rollout.reason,
    }


def status_line(rollout: Rollout, state: EnvironmentState, now: datetime) -> str:
    row = status_row(rollout, state, now)
    return (
        f"rollout {rollout.rollout_id}: {row['status']} step {row['step']} "
        f"({row['step_kind']}), canary {row['canary_bps']} bps"
        + (f", {row['reason']}" if row["reason"] else "")
    )
