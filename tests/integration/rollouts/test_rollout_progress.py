"""``rollout run``'s progress lines: per step with the elapsed time, a countdown while a pause
or an analysis window runs, the analysis figures and a closing summary, on stderr; nothing
but the envelope under ``--output json``.

The runner drives a real local store; its clock is injected and moves only when it sleeps,
so the elapsed times and countdowns are exact.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.cli.rollout_progress import RolloutProgress
from greentic_iac.operations.rollout_runner import RolloutRunner
from greentic_iac.plan.metrics import Counters, CounterSource
from greentic_iac.store import open_store
from tests.support.cli_runner import run_cli

pytestmark = pytest.mark.timeout(60)

START = datetime(2026, 1, 1, tzinfo=UTC)


def _ok(home: Path, *argv: str, answers: dict[str, Any] | None = None) -> Any:
    if answers is not None:
        path = home.parent / f"answers-{len(list(home.parent.glob('answers-*')))}.json"
        path.write_text(json.dumps({"environment_id": "local", **answers}))
        argv = (*argv, "--answers", str(path))
    outcome = run_cli(home, *argv)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.result


def _shop(home: Path) -> str:
    _ok(home, "env", "init")
    _ok(home, "bundles", "add",
        answers={"bundle_id": "shop", "route_binding": {"host": "shop.localhost"}})  # fmt: skip
    for digit in "12":
        _ok(home, "revisions", "stage", answers={
            "deployment_id": "shop", "bundle_digest": "sha256:" + digit * 64})  # fmt: skip
        _ok(home, "revisions", "warm", answers={"revision_id": f"shop@{digit}"})
    _ok(home, "traffic", "set", "local", "--deployment", "shop", "--weight", "shop@1=100")
    [canary] = [r["revision_id"] for r in _ok(home, "revisions", "list", "local")["revisions"]
                if r["name"] == "shop@2"]  # fmt: skip
    return str(canary)


def _start(home: Path, steps: list[dict[str, Any]]) -> str:
    targets = [{"deployment_id": "shop", "stable_revision_id": "shop@1",
                "canary_revision_id": "shop@2"}]  # fmt: skip
    return str(_ok(home, "rollout", "start",
                   answers={"targets": targets, "definition": {"steps": steps}})["rollout_id"])  # fmt: skip


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Steady(CounterSource):
    """The canary serves 2 requests a second, 1 % of them errors, all fast."""

    clock: Clock
    canary: str
    seen: list[str] = field(default_factory=list)

    def counters(self, revision_ids: list[str]) -> dict[str, Counters]:
        requests = 2.0 * (self.clock.now - START).total_seconds()
        return {
            revision_id: Counters(
                requests=requests if revision_id == self.canary else 0.0,
                errors=requests * 0.01 if revision_id == self.canary else 0.0,
                buckets={0.1: requests, float("inf"): requests},
            )
            for revision_id in revision_ids
        }


def test_each_step_prints_elapsed_time_countdowns_figures_and_a_summary(tmp_path: Path) -> None:
    home = tmp_path / "home"
    canary = _shop(home)
    rollout_id = _start(home, [
        {"kind": "set_weight", "weight_bps": 1000},
        {"kind": "analysis", "window_seconds": 60,
         "checks": [{"metric": "error_rate", "max": 0.05, "min_requests": 10}]},
        {"kind": "pause", "seconds": 30},
        {"kind": "set_weight", "weight_bps": 5000},
    ])  # fmt: skip
    clock = Clock()
    stream = io.StringIO()
    runner = RolloutRunner(
        store=open_store(None, home=home),
        environment_id="local",
        apply=lambda _: None,
        metrics=Steady(clock, canary),
        clock=clock,
        sleep=clock.sleep,
        progress=RolloutProgress(stream, countdown_seconds=20),
        poll_seconds=5.0,
    )
    assert runner.run().status.value == "promoted"
    lines = stream.getvalue().splitlines()
    assert lines[:3] == [
        f"[00:00] rollout {rollout_id} started: step 1/4 set_weight; shop@1 100% / shop@2 0%",
        "[00:00] step 1/4 set_weight shop@2=10% applied",
        "[00:00] step 2/4 analysis: 1m00s left of 1m00s",
    ]
    # A countdown every 20 s of the runner's clock while the window runs, not every poll.
    assert lines[3:5] == [
        "[00:20] step 2/4 analysis: 40s left of 1m00s",
        "[00:40] step 2/4 analysis: 20s left of 1m00s",
    ]
    assert lines[5] == ("[01:00] step 2/4 analysis passed: error_rate 0.01 <= 0.05 (120 req) pass")
    assert lines[6:8] == [
        "[01:00] step 3/4 pause: 30s left of 30s",
        "[01:20] step 3/4 pause: 10s left of 30s",
    ]
    assert lines[8:] == [
        "[01:30] step 4/4 set_weight shop@2=50% applied",
        f"[01:30] rollout {rollout_id} promoted after 01:30: shop@1 0% / shop@2 100%",
    ]


def test_a_failed_analysis_prints_its_figures_then_the_rollback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    canary = _shop(home)
    rollout_id = _start(home, [
        {"kind": "set_weight", "weight_bps": 1000},
        {"kind": "analysis", "window_seconds": 30,
         "checks": [{"metric": "error_rate", "max": 0.001, "min_requests": 10}]},
    ])  # fmt: skip
    clock = Clock()
    stream = io.StringIO()
    RolloutRunner(
        store=open_store(None, home=home), environment_id="local", apply=lambda _: None,
        metrics=Steady(clock, canary), clock=clock, sleep=clock.sleep,
        progress=RolloutProgress(stream), poll_seconds=5.0,
    ).run()  # fmt: skip
    *_, figures, summary = stream.getvalue().splitlines()
    assert figures == "[00:30] step 2/2 analysis failed: error_rate 0.01 <= 0.001 (60 req) FAIL"
    assert summary.startswith(f"[00:30] rollout {rollout_id} rolled back after 00:30: ")
    assert "shop@1 100% / shop@2 0%" in summary and "analysis failed" in summary


STAMPED = re.compile(r"^\[\d\d:\d\d\] ")


def test_rollout_run_prints_progress_on_stderr_and_nothing_under_output_json(
    tmp_path: Path,
) -> None:
    """Through the CLI (real clock): the runtime is not up, so the canary is unhealthy and
    the rollout rolls back at once, which is enough to see where each line goes."""
    home = tmp_path / "home"
    _shop(home)
    steps = [{"kind": "set_weight", "weight_bps": 1000}]
    _start(home, steps)
    quiet = run_cli(home, "rollout", "run", "local", "--poll", "0.1")
    assert quiet.code == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.json["op"] == "run" and quiet.result["rollout"]["status"] == "rolled_back"

    _start(home, steps)
    shown = run_cli(home, "rollout", "run", "local", "--poll", "0.1", output="table")
    assert shown.code == 0, shown.stderr
    lines = shown.stderr.splitlines()
    assert lines and all(STAMPED.match(line) for line in lines), lines
    assert "step 1/1 set_weight shop@2=10% applied" in lines[1]
    assert "rolled back after" in lines[-1] and "shop@1 100% / shop@2 0%" in lines[-1]
    assert "[00:" not in shown.stdout  # stdout is the result, not progress


class Killed(Exception):
    """The runner's process dying in a wait."""


def test_a_resumed_runner_says_it_resumed_where_the_last_one_stopped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    canary = _shop(home)
    rollout_id = _start(home, [
        {"kind": "set_weight", "weight_bps": 1000}, {"kind": "pause", "seconds": 30},
    ])  # fmt: skip
    clock = Clock()

    def die(_: float) -> None:
        raise Killed

    first = io.StringIO()
    with pytest.raises(Killed):
        RolloutRunner(
            store=open_store(None, home=home), environment_id="local", apply=lambda _: None,
            metrics=Steady(clock, canary), clock=clock, sleep=die,
            progress=RolloutProgress(first), poll_seconds=5.0,
        ).run()  # fmt: skip
    assert first.getvalue().splitlines()[-1] == "[00:00] step 2/2 pause: 30s left of 30s"
    clock.sleep(12)
    second = io.StringIO()
    RolloutRunner(
        store=open_store(None, home=home), environment_id="local", apply=lambda _: None,
        metrics=Steady(clock, canary), clock=clock, sleep=clock.sleep,
        progress=RolloutProgress(second), poll_seconds=5.0,
    ).run()  # fmt: skip
    lines = second.getvalue().splitlines()
    assert lines[0] == (
        f"[00:00] rollout {rollout_id} resumed: step 2/2 pause; shop@1 90% / shop@2 10%"
    )
    assert lines[1] == "[00:00] step 2/2 pause: 18s left of 30s"
    assert lines[-1].startswith(f"[00:18] rollout {rollout_id} promoted after 00:18")
