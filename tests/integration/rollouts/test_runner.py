"""The rollout runner over a real local store with an injected clock and metric source.

The store, its lock, backups and audit log are real; the clock advances only when the
runner sleeps, so hours of pauses and analysis windows take no time. The metric source
plays back counters the test writes, as the router's /metrics would report them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.errors import ConflictError, InvalidInputError
from greentic_iac.operations import rollout_steps as steps
from greentic_iac.operations.rollout_runner import RolloutRunner, status_row
from greentic_iac.plan.metrics import Counters, CounterSource
from greentic_iac.spec import EnvironmentState
from greentic_iac.store import open_store
from tests.support.cli_runner import run_cli

pytestmark = pytest.mark.timeout(60)

EXAMPLE_STEPS: list[dict[str, Any]] = [
    {"kind": "set_weight", "weight_bps": 100},
    {
        "kind": "analysis",
        "window_seconds": 60,
        "checks": [
            {"metric": "error_rate", "max": 0.05, "min_requests": 10},
            {"metric": "latency_p99", "max": 0.5, "min_requests": 10},
        ],
    },
    {"kind": "set_weight", "weight_bps": 1000},
    {"kind": "pause", "seconds": 600},
    {"kind": "set_weight", "weight_bps": 5000},
]


def _ok(home: Path, *argv: str, answers: dict[str, Any] | None = None) -> Any:
    if answers is not None:
        path = home / "answers.json"
        path.write_text(json.dumps(answers))
        argv = (*argv, "--answers", str(path))
    outcome = run_cli(home, *argv)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.result


def _deployment(home: Path, host: str) -> tuple[str, str, str]:
    route = {"host": host, "path_prefix": "/"}
    deployment = _ok(
        home,
        "bundles",
        "add",
        answers={"environment_id": "local", "bundle_id": "demo", "route_binding": route},
    )["deployment_id"]
    revisions = []
    for digest in ("sha256:01", "sha256:02"):
        stage = {"environment_id": "local", "deployment_id": deployment, "bundle_digest": digest}
        revision = _ok(home, "revisions", "stage", answers=stage)["revision_id"]
        _ok(
            home,
            "revisions",
            "warm",
            answers={"environment_id": "local", "revision_id": revision},
        )
        revisions.append(revision)
    entries = [{"revision_id": revisions[0], "weight_bps": 10000}]
    _ok(
        home,
        "traffic",
        "set",
        answers={"environment_id": "local", "deployment_id": deployment, "entries": entries},
    )
    return deployment, revisions[0], revisions[1]


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    slept: float = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


@dataclass
class Recorded(CounterSource):
    """Counters the test sets; ``per_second`` adds canary traffic as the clock moves."""

    clock: Clock
    per_second: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def counters(self, revision_ids: list[str]) -> dict[str, Counters]:
        elapsed = (self.clock.now - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds()
        result = {}
        for revision_id in revision_ids:
            rate, error_share, latency = self.per_second.get(revision_id, (0.0, 0.0, 0.0))
            requests = rate * elapsed
            bucket = 0.1 if latency <= 0.1 else float("inf")
            result[revision_id] = Counters(
                requests=requests,
                errors=requests * error_share,
                buckets={bucket: requests, float("inf"): requests},
            )
        return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    _ok(tmp_path, "env", "init")
    return tmp_path


def _runner(home: Path, clock: Clock, source: Recorded, applied: list[int]) -> RolloutRunner:
    def apply(state: EnvironmentState) -> None:
        applied.append(state.generation)

    return RolloutRunner(
        store=open_store(None, home=home),
        environment_id="local",
        apply=apply,
        metrics=source,
        clock=clock,
        sleep=clock.sleep,
        progress=lambda _: None,
        poll_seconds=5.0,
    )


def _start(home: Path, targets: list[dict[str, str]], definition: Any = None) -> str:
    answers: dict[str, Any] = {"environment_id": "local", "targets": targets}
    if definition is not None:
        answers["definition"] = definition
    return str(_ok(home, "rollout", "start", answers=answers)["rollout_id"])


def _target(deployment: str, stable: str, canary: str) -> dict[str, str]:
    return {"deployment_id": deployment, "stable_revision_id": stable, "canary_revision_id": canary}


def _rollout_events(home: Path) -> list[dict[str, Any]]:
    store = open_store(None, home=home)
    events = []
    for event in store.audit_events("local"):
        data = event.model_dump(mode="json") if hasattr(event, "model_dump") else dict(event)
        if str(data.get("verb", "")).startswith("rollout") and data.get("phase") == "done":
            events.append(data)
    return events


def test_a_good_canary_walks_every_step_and_is_promoted(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    clock = Clock()
    source = Recorded(clock, {canary: (2.0, 0.01, 0.05)})
    applied: list[int] = []
    finished = _runner(home, clock, source, applied).run()
    assert finished.status.value == "promoted"
    state = open_store(None, home=home).load("local")
    assert state.traffic[deployment].weight_of(canary) == 10000
    analysis = finished.last_analysis
    assert analysis is not None and analysis.passed
    error_rate = next(f for f in analysis.figures if f.metric == "error_rate")
    assert error_rate.requests == 120 and error_rate.value == pytest.approx(0.01)
    # The analysis window (60 s) and the pause (600 s) were waited on the injected clock.
    assert clock.slept == pytest.approx(660.0)
    weights = [
        e["result"]["splits"][0]["entries"]
        for e in _rollout_events(home)
        if e["result"] and "splits" in e["result"]
    ]
    assert [next(x["weight_bps"] for x in w if x["revision_id"] == canary) for w in weights] == [
        100,
        1000,
        5000,
        10000,
    ]


def test_a_failing_analysis_rolls_back_with_its_figures(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    clock = Clock()
    source = Recorded(clock, {canary: (2.0, 0.2, 0.05)})
    finished = _runner(home, clock, source, []).run()
    assert finished.status.value == "rolled_back"
    assert finished.reason is not None and "error_rate: 0.2 is above max 0.05" in finished.reason
    state = open_store(None, home=home).load("local")
    assert state.traffic[deployment].weight_of(stable) == 10000
    assert state.traffic[deployment].weight_of(canary) == 0
    row = status_row(state.rollouts[finished.rollout_id], state, clock())
    assert row["last_analysis"]["passed"] is False


def test_too_few_requests_is_not_a_pass(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    clock = Clock()
    finished = _runner(home, clock, Recorded(clock, {canary: (0.1, 0.0, 0.01)}), []).run()
    assert finished.status.value == "rolled_back"
    assert "fewer than min_requests" in (finished.reason or "")


def test_a_killed_runner_resumes_at_the_recorded_step(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    clock = Clock()
    source = Recorded(clock, {canary: (2.0, 0.0, 0.01)})

    class Killed(Exception):
        pass

    calls = {"n": 0}

    def dies_on_the_second_step(state: EnvironmentState) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # 1: resume apply, 2: 1 %, 3: 10 % (recorded, not yet applied)
            raise Killed

    first = _runner(home, clock, source, [])
    first.apply = dies_on_the_second_step
    with pytest.raises(Killed):
        first.run()
    stored = open_store(None, home=home).load("local")
    assert stored.traffic[deployment].weight_of(canary) == 1000
    applied: list[int] = []
    finished = _runner(home, clock, source, applied).run()
    assert finished.status.value == "promoted"
    # The resumed runner claimed the rollout (one audited transaction) and then applied
    # the recorded state: the 10 % step's split.
    assert applied[0] == stored.generation + 1
    splits = [e for e in _rollout_events(home) if e["result"] and "splits" in e["result"]]
    assert len(splits) == 4  # 1 %, 10 %, 50 %, 100 %: none twice


def test_a_stale_decision_is_a_conflict(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    rollout_id = _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    store = open_store(None, home=home)
    store.mutate("local", lambda s: steps.apply_weight_step(s, rollout_id, 0), verb="rollout step")
    with pytest.raises(ConflictError, match="at step 1, not 0"):
        store.mutate(
            "local", lambda s: steps.apply_weight_step(s, rollout_id, 0), verb="rollout step"
        )


def test_two_deployments_move_in_lockstep(home: Path) -> None:
    first = _deployment(home, "a.local")
    second = _deployment(home, "b.local")
    definition = {
        "steps": [{"kind": "set_weight", "weight_bps": 2500}, {"kind": "pause"}],
    }
    rollout_id = _start(home, [_target(*first), _target(*second)], definition)
    clock = Clock()
    source = Recorded(clock)
    runner = _runner(home, clock, source, [])
    store = open_store(None, home=home)
    original_sleep = runner.sleep

    def promote_when_paused(seconds: float) -> None:
        original_sleep(seconds)
        state = store.load("local")
        if state.rollouts[rollout_id].step_index == 1:
            assert state.traffic[first[0]].weight_of(first[2]) == 2500
            assert state.traffic[second[0]].weight_of(second[2]) == 2500
            from greentic_iac.spec.answers import RolloutActionPayload

            payload = RolloutActionPayload(environment_id="local", rollout_id=rollout_id)
            store.mutate(
                "local", lambda s: steps.promote_rollout(s, payload), verb="rollout promote"
            )

    runner.sleep = promote_when_paused
    finished = runner.run(rollout_id)
    assert finished.status.value == "promoted"
    # Each step was one transaction carrying both deployments' splits.
    splits = [e["result"]["splits"] for e in _rollout_events(home) if "splits" in e["result"]]
    assert [len(s) for s in splits] == [2, 2]
    state = store.load("local")
    assert state.traffic[first[0]].weight_of(first[2]) == 10000
    assert state.traffic[second[0]].weight_of(second[2]) == 10000


def test_an_unhealthy_canary_is_rolled_back(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    clock = Clock()
    runner = _runner(home, clock, Recorded(clock, {canary: (2.0, 0.0, 0.01)}), [])
    runner.healthy = lambda revision_id: revision_id != canary
    finished = runner.run()
    assert finished.status.value == "rolled_back"
    assert finished.reason == f"canary unhealthy: {canary}"
    assert open_store(None, home=home).load("local").traffic[deployment].weight_of(stable) == 10000


def test_the_max_step_policy_holds_for_a_rollout(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    _ok(
        home,
        "env",
        "policy",
        answers={"environment_id": "local", "policy": {"max_step_bps": 500}},
    )
    _start(
        home,
        [_target(deployment, stable, canary)],
        {"steps": [{"kind": "set_weight", "weight_bps": 1000}]},
    )
    clock = Clock()
    with pytest.raises(InvalidInputError, match="max_step_bps of 500"):
        _runner(home, clock, Recorded(clock), []).run()
    assert open_store(None, home=home).load("local").traffic[deployment].weight_of(canary) == 0


def test_the_environment_default_definition_is_used(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    answers = home / "no-steps.json"
    answers.write_text(
        json.dumps({"environment_id": "local", "targets": [_target(deployment, stable, canary)]})
    )
    missing = run_cli(home, "rollout", "start", "--answers", str(answers))
    assert missing.code == 2
    assert missing.stderr.strip().splitlines()[-1].startswith("error: definition:")
    assert open_store(None, home=home).load("local").rollouts == {}
    policy = {"default_rollout": {"steps": [{"kind": "set_weight", "weight_bps": 300}]}}
    _ok(home, "env", "policy", answers={"environment_id": "local", "policy": policy})
    rollout_id = _start(home, [_target(deployment, stable, canary)])
    state = open_store(None, home=home).load("local")
    assert state.rollouts[rollout_id].definition.steps[0].kind == "set_weight"


def test_a_decision_overtaken_by_an_operator_is_read_again(home: Path) -> None:
    deployment, stable, canary = _deployment(home, "app.local")
    rollout_id = _start(home, [_target(deployment, stable, canary)], {"steps": EXAMPLE_STEPS})
    clock = Clock()
    runner = _runner(home, clock, Recorded(clock, {canary: (2.0, 0.0, 0.01)}), [])
    real = runner.store

    class Overtaken:
        """The store, but `rollout promote --full` lands just before the analysis decision."""

        def load(self, environment_id: str) -> EnvironmentState:
            return real.load(environment_id)

        def mutate(self, environment_id: str, change: Any, **kwargs: Any) -> Any:
            if kwargs["verb"] == "rollout analysis":
                from greentic_iac.spec.answers import RolloutActionPayload

                payload = RolloutActionPayload(
                    environment_id="local", rollout_id=rollout_id, full=True
                )
                real.mutate(
                    "local", lambda s: steps.promote_rollout(s, payload), verb="rollout promote"
                )
            return real.mutate(environment_id, change, **kwargs)

    runner.store = Overtaken()
    finished = runner.run()
    assert finished.status.value == "promoted" and finished.last_analysis is None
    assert real.load("local").traffic[deployment].weight_of(canary) == 10000


def test_only_the_last_finished_rollouts_are_kept(home: Path) -> None:
    from greentic_iac.spec.answers import RolloutActionPayload, RolloutStartPayload

    deployment, stable, canary = _deployment(home, "app.local")
    state = open_store(None, home=home).load("local")
    start = RolloutStartPayload.model_validate(
        {
            "environment_id": "local",
            "targets": [_target(deployment, stable, canary)],
            "definition": {"steps": EXAMPLE_STEPS},
        }
    )
    started = []
    for _ in range(steps.KEEP_FINISHED + 3):
        state, view = steps.start_rollout(state, start)
        started.append(view["rollout_id"])
        state, _ = steps.abort_rollout(
            state, RolloutActionPayload(environment_id="local", rollout_id=view["rollout_id"])
        )
    assert sorted(state.rollouts) == sorted(started)[-steps.KEEP_FINISHED :]
    assert EnvironmentState.model_validate(state.to_json_dict()) == state
