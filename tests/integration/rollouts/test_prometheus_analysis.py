"""Debian's ``prometheus`` scrapes the local router's /metrics; analysis queries it.

Skipped with a reason when the binary is missing (.ci/run installs it).
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.local import stop_runtime
from greentic_iac.local.record import read_record
from greentic_iac.operations.analysis import evaluate
from greentic_iac.prometheus_api import PrometheusQuerySource
from greentic_iac.spec.rollout import AnalysisStep, Rollout
from tests.support.cli_runner import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

PROMETHEUS = shutil.which("prometheus")


def _ok(home: Path, *argv: str, answers: dict[str, Any] | None = None) -> Any:
    if answers is not None:
        path = home / "answers.json"
        path.write_text(json.dumps(answers))
        argv = (*argv, "--answers", str(path))
    outcome = run_cli(home, *argv)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _setup(home: Path) -> tuple[str, str, str]:
    _ok(home, "env", "init")
    route = {"host": "app.local", "path_prefix": "/"}
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
        _ok(home, "revisions", "warm", answers={"environment_id": "local", "revision_id": revision})
        revisions.append(revision)
    entries = [{"revision_id": r, "weight_bps": 5000} for r in revisions]
    _ok(
        home,
        "traffic",
        "set",
        answers={"environment_id": "local", "deployment_id": deployment, "entries": entries},
    )
    return deployment, revisions[0], revisions[1]


@pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed")
def test_analysis_queries_prometheus_scraping_the_router(tmp_path: Path) -> None:
    assert PROMETHEUS is not None
    deployment, stable, canary = _setup(tmp_path)
    env_dir = tmp_path / "environments" / "local"
    prometheus: subprocess.Popen[bytes] | None = None
    try:
        port = int(_ok(tmp_path, "local", "up", "--detach", "--port", "0")["port"])
        record = read_record(env_dir / "runtime" / "supervisor.json")
        assert record is not None and record.control_url and record.token
        token = tmp_path / "scrape-token"
        token.write_text(record.token)
        token.chmod(0o600)
        config = tmp_path / "prometheus.yml"
        config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "greentic-router",
                            "static_configs": [
                                {"targets": [record.control_url.removeprefix("http://")]}
                            ],
                            "authorization": {"credentials_file": str(token)},
                        }
                    ],
                }
            )
        )
        web = _free_port()
        prometheus = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{web}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(40):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/", headers={"Host": "app.local"})
            connection.getresponse().read()
            connection.close()
        source = PrometheusQuerySource(f"http://127.0.0.1:{web}", timeout=2)
        expression = 'sum(greentic_router_requests_total{revision="$revision"})'
        deadline = time.monotonic() + 45
        while True:
            try:
                seen = source.query(expression.replace("$revision", canary))
            except Exception:  # not listening yet
                seen = None
            if seen is not None and seen > 0:
                break
            assert prometheus.poll() is None, "prometheus exited"
            assert time.monotonic() < deadline, "prometheus did not scrape the router in time"
            time.sleep(0.2)
        now = datetime.now(UTC)
        rollout = Rollout.model_validate(
            {
                "rollout_id": "01KDDDDDDDDDDDDDDDDDDDDDDD",
                "definition": {
                    "prometheus_url": source.base_url,
                    "steps": [
                        {
                            "kind": "analysis",
                            "window_seconds": 1,
                            "checks": [
                                {
                                    "metric": "prometheus",
                                    "query": expression,
                                    "min": 1,
                                    "min_requests": 0,
                                },
                                {
                                    "metric": "prometheus",
                                    "query": expression,
                                    "max": 0,
                                    "min_requests": 0,
                                },
                            ],
                        }
                    ],
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
        result = evaluate(rollout, step, {}, now, queries=source)
        first, second = result.figures
        assert first.passed and first.value is not None and 0 < first.value <= 40
        assert not second.passed and second.reason is not None and "above max 0" in second.reason
    finally:
        if prometheus is not None:
            prometheus.terminate()
            try:
                prometheus.wait(timeout=15)
            except subprocess.TimeoutExpired:
                prometheus.kill()
                prometheus.wait(timeout=5)
        stop_runtime(env_dir)
