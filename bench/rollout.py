"""Rollout step and analysis costs (issue 19 budgets: step <= 1 s, analysis <= 50 ms).

1. Step decision -> router serving the new split: a real local runtime in a temporary home;
   each sample is the rollout's set_weight transaction plus the runtime reload, timed until
   the router's route table carries the new generation. The baseline is a plain
   `traffic set` transaction plus reload in the same run.
2. One analysis over 10,000 recorded requests: the router's metrics after 10,000
   observations, fetched as exposition text, parsed, differenced against the window's
   start and held to two checks. The baseline is prometheus-client writing the exposition.

    python bench/rollout.py
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STEP_BUDGET_SECONDS = 1.0
ANALYSIS_BUDGET_SECONDS = 0.050


def _cli(home: Path, *argv: str, answers: dict[str, Any] | None = None) -> Any:
    from greentic_iac.cli.main import run

    if answers is not None:
        path = home / "answers.json"
        path.write_text(json.dumps(answers))
        argv = (*argv, "--answers", str(path))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--home", str(home), "--output", "json", *argv])
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {err.getvalue()}")
    return json.loads(out.getvalue())["result"]


def _setup(home: Path) -> tuple[str, str, str]:
    _cli(home, "env", "init")
    route = {"host": "bench.local", "path_prefix": "/"}
    deployment = _cli(
        home,
        "bundles",
        "add",
        answers={"environment_id": "local", "bundle_id": "bench", "route_binding": route},
    )["deployment_id"]
    revisions = []
    for digest in ("sha256:01", "sha256:02"):
        stage = {"environment_id": "local", "deployment_id": deployment, "bundle_digest": digest}
        revision = _cli(home, "revisions", "stage", answers=stage)["revision_id"]
        _cli(
            home, "revisions", "warm", answers={"environment_id": "local", "revision_id": revision}
        )
        revisions.append(revision)
    entries = [{"revision_id": revisions[0], "weight_bps": 10000}]
    _cli(
        home,
        "traffic",
        "set",
        answers={"environment_id": "local", "deployment_id": deployment, "entries": entries},
    )
    return deployment, revisions[0], revisions[1]


def _served_generation(env_dir: Path) -> int:
    from greentic_iac.local import runtime_status

    return int(runtime_status(env_dir)["generation"])


def step_latency() -> tuple[list[float], list[float]]:
    from greentic_iac.local import stop_runtime
    from greentic_iac.local.sync import push_state
    from greentic_iac.operations import rollout_steps as steps
    from greentic_iac.operations.rollout import set_traffic
    from greentic_iac.spec.answers import TrafficSetPayload
    from greentic_iac.store import open_store

    with tempfile.TemporaryDirectory(prefix="greentic-bench-rollout-") as raw:
        home = Path(raw)
        deployment, stable, canary = _setup(home)
        env_dir = home / "environments" / "local"
        _cli(home, "local", "up", "--detach", "--port", "0")
        store = open_store(None, home=home)
        try:
            rollout_times: list[float] = []
            baseline_times: list[float] = []
            for sample in range(5):
                weights = [1000 + 1000 * sample, 10000 - 1000 - 1000 * sample]
                payload = TrafficSetPayload.model_validate(
                    {
                        "environment_id": "local",
                        "deployment_id": deployment,
                        "entries": [
                            {"revision_id": canary, "weight_bps": weights[0]},
                            {"revision_id": stable, "weight_bps": weights[1]},
                        ],
                    }
                )
                started = time.perf_counter()
                mutation = store.mutate(
                    "local", lambda s, p=payload: set_traffic(s, p), verb="traffic set"
                )
                generation = push_state(env_dir, mutation.state)
                assert generation is not None and _served_generation(env_dir) >= generation
                baseline_times.append(time.perf_counter() - started)
            entries = [{"revision_id": stable, "weight_bps": 10000}]
            _cli(
                home,
                "traffic",
                "set",
                answers={
                    "environment_id": "local",
                    "deployment_id": deployment,
                    "entries": entries,
                },
            )
            definition = {
                "steps": [{"kind": "set_weight", "weight_bps": 1000 * (i + 1)} for i in range(5)]
            }
            target = {
                "deployment_id": deployment,
                "stable_revision_id": stable,
                "canary_revision_id": canary,
            }
            rollout_id = _cli(
                home,
                "rollout",
                "start",
                answers={"environment_id": "local", "targets": [target], "definition": definition},
            )["rollout_id"]
            for index in range(5):
                started = time.perf_counter()
                mutation = store.mutate(
                    "local",
                    lambda s, i=index: steps.apply_weight_step(s, rollout_id, i),
                    verb="rollout step",
                )
                generation = push_state(env_dir, mutation.state)
                assert generation is not None and _served_generation(env_dir) >= generation
                rollout_times.append(time.perf_counter() - started)
            return rollout_times, baseline_times
        finally:
            stop_runtime(env_dir)


def analysis_cost() -> tuple[float, float]:
    from greentic_iac.local.metrics import RouterMetrics
    from greentic_iac.local.sources import RouterMetricSource
    from greentic_iac.operations.analysis import evaluate
    from greentic_iac.spec.rollout import AnalysisStep, Rollout

    deployment, stable, canary = (
        "01J0000000000000000000D001",
        "01J0000000000000000000R001",
        "01J0000000000000000000R002",
    )
    metrics = RouterMetrics()
    source = RouterMetricSource(fetch=lambda: metrics.exposition().decode())
    start = source.snapshot([canary])
    for i in range(10_000):
        revision = canary if i % 10 == 0 else stable
        metrics.observe(deployment, revision, 500 if i % 97 == 0 else 200, 0.001 * (i % 40))
    now = datetime.now(UTC)
    rollout = Rollout.model_validate(
        {
            "rollout_id": "01J0000000000000000000X001",
            "definition": {
                "steps": [
                    {
                        "kind": "analysis",
                        "window_seconds": 60,
                        "checks": [
                            {"metric": "error_rate", "max": 0.05},
                            {"metric": "latency_p99", "max": 1.0},
                        ],
                    }
                ]
            },
            "targets": [
                {
                    "deployment_id": deployment,
                    "stable_revision_id": stable,
                    "canary_revision_id": canary,
                }
            ],
            "created_at": now,
            "updated_at": now,
        }
    )
    step = rollout.definition.steps[0]
    assert isinstance(step, AnalysisStep)
    analysis: list[float] = []
    baseline: list[float] = []
    for _ in range(20):
        started = time.perf_counter()
        metrics.exposition()
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = evaluate(rollout, step, source.window(start, [canary]), now)
        analysis.append(time.perf_counter() - started)
        assert result.figures[0].requests == 1000
    return statistics.median(analysis), statistics.median(baseline)


def main() -> int:
    rollout_times, baseline_times = step_latency()
    worst = max(rollout_times)
    median = statistics.median(rollout_times)
    ratio = median / statistics.median(baseline_times)
    print(
        f"step decision -> router serving the split: median {median * 1000:.1f} ms, "
        f"max {worst * 1000:.1f} ms (budget {STEP_BUDGET_SECONDS * 1000:.0f} ms); "
        f"ratio to a traffic set + reload {ratio:.2f}x"
    )
    analysis, exposition = analysis_cost()
    print(
        f"one analysis over 10,000 recorded requests: {analysis * 1000:.2f} ms "
        f"(budget {ANALYSIS_BUDGET_SECONDS * 1000:.0f} ms); "
        f"ratio to writing the exposition {analysis / exposition:.1f}x"
    )
    ok = worst <= STEP_BUDGET_SECONDS and analysis <= ANALYSIS_BUDGET_SECONDS
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
