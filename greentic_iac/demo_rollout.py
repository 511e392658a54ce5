"""The end of ``make demo``: two short automatic rollouts on the local runtime (issue 19).

A canary that answers 500 to a quarter of its requests fails its first analysis and is
rolled back; then a good canary walks 10 % -> 50 % -> 100 % and is promoted. Requests flow
through the router the whole time (a background thread), analysis reads the router's
/metrics, and the status table is printed at every step.
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from greentic_iac.cli.tables import print_table

ROLLOUT_HOST = "rollout.localhost"
# Answers 500 to every fourth request; /healthz passes, so only analysis can catch it.
FLAKY_CANARY = """
import itertools, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
counter = itertools.count(1)
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        failing = self.path != "/healthz" and next(counter) % 4 == 0
        body = b'{"flaky": true}'
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""
STEPS: list[dict[str, Any]] = [
    {"kind": "set_weight", "weight_bps": 1000},
    {
        "kind": "analysis",
        "window_seconds": 2,
        "checks": [
            {"metric": "error_rate", "max": 0.05, "min_requests": 5},
            {"metric": "latency_p99", "max": 1.0, "min_requests": 5},
        ],
    },
    {"kind": "set_weight", "weight_bps": 5000},
    {
        "kind": "analysis",
        "window_seconds": 2,
        "checks": [{"metric": "error_rate", "max": 0.05, "min_requests": 20}],
    },
]


class _Traffic:
    """GETs through the router until stopped, counted by status (bounded per request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.statuses: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/cart", headers={"Host": ROLLOUT_HOST})
                response = connection.getresponse()
                response.read()
                self.statuses[response.status] += 1
            except OSError:
                self.statuses[0] += 1
            finally:
                connection.close()

    def __enter__(self) -> _Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _table(state: Any, rollout_id: str) -> None:
    from greentic_iac.operations.rollout_runner import status_row

    row = status_row(state.rollouts[rollout_id], state, datetime.now(UTC))
    analysis = row.pop("last_analysis")
    row.pop("weights")
    if analysis is not None:
        row["analysis"] = ", ".join(
            f"{f['metric']}={f['value'] if f['value'] is None else round(f['value'], 4)}"
            f" ({f['requests']} req, {'pass' if f['passed'] else 'FAIL'})"
            for f in analysis["figures"]
        )
    print_table("rollout", "status", row)
    sys.stdout.flush()


def _run(home: Path, port: int, rollout_id: str) -> str:
    from greentic_iac.local import metrics_text
    from greentic_iac.local.sources import LocalHealthSource, RouterMetricSource
    from greentic_iac.local.sync import push_state
    from greentic_iac.operations.rollout_runner import RolloutRunner
    from greentic_iac.store import open_store

    env_dir = home / "environments" / "local"
    store = open_store(None, home=home)
    shown: list[tuple[int, str]] = []

    def show(_: object) -> None:
        state = store.load("local")
        rollout = state.rollouts[rollout_id]
        key = (rollout.step_index, rollout.status.value)
        if not shown or shown[-1] != key:
            shown.append(key)
            _table(state, rollout_id)

    def apply(state: Any) -> None:
        push_state(env_dir, state)

    runner = RolloutRunner(
        store=store,
        environment_id="local",
        apply=apply,
        metrics=RouterMetricSource(fetch=lambda: metrics_text(env_dir)),
        clock=lambda: datetime.now(UTC),
        sleep=time.sleep,
        progress=show,
        healthy=LocalHealthSource(env_dir).is_healthy,
        poll_seconds=0.2,
    )
    with _Traffic(port) as traffic:
        finished = runner.run(rollout_id)
    print(f"requests during the rollout by status: {dict(sorted(traffic.statuses.items()))}")
    return finished.status.value


def _quiet(home: Path, argv: list[str], answers: dict[str, Any] | None = None) -> Any:
    """A verb whose output the demo does not show (it exits on failure)."""
    import contextlib
    import io
    import json

    from greentic_iac.cli.main import run

    extra: list[str] = []
    if answers is not None:
        path = home / "demo-answers" / "rollout-setup.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answers))
        extra = ["--answers", str(path)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--home", str(home), "--output", "json", *argv, *extra])
    if code != 0:
        print(err.getvalue(), file=sys.stderr)
        sys.exit(code)
    return json.loads(out.getvalue())["result"]


def rollout_section(home: Path, step: Any) -> None:
    """``step`` is demo.py's shown verb runner."""
    quiet = _quiet
    deployment = quiet(
        home,
        ["bundles", "add"],
        {
            "environment_id": "local",
            "bundle_id": "cart",
            "route_binding": {"host": ROLLOUT_HOST, "path_prefix": "/"},
        },
    )["deployment_id"]

    def revision(digest: str, command: list[str] | None = None) -> str:
        answers: dict[str, Any] = {
            "environment_id": "local",
            "deployment_id": deployment,
            "bundle_digest": digest,
        }
        if command:
            answers["command"] = command
        revision_id = str(quiet(home, ["revisions", "stage"], answers)["revision_id"])
        quiet(home, ["revisions", "warm"], {"environment_id": "local", "revision_id": revision_id})
        return revision_id

    stable = revision("sha256:ca0001")
    flaky = revision("sha256:ca0002", [sys.executable, "-c", FLAKY_CANARY])
    good = revision("sha256:ca0003")
    quiet(
        home,
        ["traffic", "set"],
        {
            "environment_id": "local",
            "deployment_id": deployment,
            "entries": [{"revision_id": stable, "weight_bps": 10000}],
        },
    )
    try:
        port = int(quiet(home, ["local", "up", "local", "--detach", "--port", "0"])["port"])
        for title, canary in (
            ("⑭ rollout of a canary that fails 25 % of its requests", flaky),
            ("⑮ rollout of a good canary", good),
        ):
            rollout_id = step(
                home,
                title,
                ["rollout", "start"],
                {
                    "environment_id": "local",
                    "targets": [
                        {
                            "deployment_id": deployment,
                            "stable_revision_id": stable,
                            "canary_revision_id": canary,
                        }
                    ],
                    "definition": {"steps": STEPS},
                },
            )["rollout_id"]
            print("$ greentic-iac rollout run local")
            outcome = _run(home, port, rollout_id)
            print(f"rollout {rollout_id}: {outcome}")
    finally:
        quiet(home, ["local", "down", "local"])
