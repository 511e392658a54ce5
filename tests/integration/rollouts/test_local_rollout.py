"""Rollouts on the local target, end to end: real runtime, router, /metrics and CLI.

`local up` starts the supervisor and router; `rollout run` runs as the installed console
script in a bounded subprocess; a load thread sends requests through the router the whole
time, as anonymous clients and as clients that keep their sticky cookie. Analysis reads
the router's Prometheus metrics over real (short) windows.
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.local import runtime_status, stop_runtime
from greentic_iac.store import open_store
from tests.support.cli_runner import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

GREENTIC = Path(sys.executable).parent / "greentic-iac"
TIMEOUT = 60

# Answers 500 to every fifth request (20 %); /healthz always passes.
FLAKY_SERVER = """
import itertools, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
counter = itertools.count(1)
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        failing = self.path != "/healthz" and next(counter) % 5 == 0
        body = b'{"flaky": true}'
        self.send_response(500 if failing else 200)
        self.send_header("x-greentic-revision", os.environ["GREENTIC_REVISION_ID"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


class Cli:
    def __init__(self, home: Path) -> None:
        self.home = home

    def argv(self, *argv: str) -> list[str]:
        return [str(GREENTIC), "--home", str(self.home), "--output", "json", *argv]

    def ok(self, *argv: str, answers: dict[str, Any] | None = None) -> Any:
        # Verbs other than `rollout run` run in this process: a Python start-up per verb
        # would dominate the test's time.
        if answers is not None:
            path = self.home / "answers.json"
            path.write_text(json.dumps(answers))
            argv = (*argv, "--answers", str(path))
        outcome = run_cli(self.home, *argv)
        assert outcome.code == 0, (argv, outcome.stderr)
        return outcome.result

    def deployment(self, host: str, canary_command: list[str] | None = None) -> tuple[str, ...]:
        route = {"host": host, "path_prefix": "/"}
        deployment = self.ok(
            "bundles",
            "add",
            answers={"environment_id": "local", "bundle_id": "demo", "route_binding": route},
        )["deployment_id"]
        revisions = []
        for digest, command in (("sha256:01", None), ("sha256:02", canary_command)):
            stage: dict[str, Any] = {
                "environment_id": "local",
                "deployment_id": deployment,
                "bundle_digest": digest,
            }
            if command:
                stage["command"] = command
            revision = self.ok("revisions", "stage", answers=stage)["revision_id"]
            revisions.append(revision)
        self.ok(
            "revisions", "warm", answers={"environment_id": "local", "revision_id": revisions[0]}
        )
        entries = [{"revision_id": revisions[0], "weight_bps": 10000}]
        self.ok(
            "traffic",
            "set",
            answers={"environment_id": "local", "deployment_id": deployment, "entries": entries},
        )
        return deployment, revisions[0], revisions[1]

    def start(self, targets: list[tuple[str, ...]], steps: list[dict[str, Any]]) -> str:
        answers = {
            "environment_id": "local",
            "targets": [
                {"deployment_id": d, "stable_revision_id": s, "canary_revision_id": c}
                for d, s, c in targets
            ],
            "definition": {"steps": steps},
        }
        return str(self.ok("rollout", "start", answers=answers)["rollout_id"])

    def run(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv("rollout", "run", "local", "--poll", "0.1"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@dataclass
class Load:
    """Requests through the router until stopped: anonymous and cookie-keeping clients."""

    port: int
    host: str
    cookie_clients: int = 2
    anonymous_per_round: int = 3
    stop: threading.Event = field(default_factory=threading.Event)
    anonymous: Counter[tuple[str, int]] = field(default_factory=Counter)
    sticky: dict[int, list[tuple[str, int]]] = field(default_factory=dict)

    def _get(self, cookie: str | None) -> tuple[str, int, str | None]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = {"Host": self.host, **({"Cookie": cookie} if cookie else {})}
            connection.request("GET", "/", headers=headers)
            response = connection.getresponse()
            response.read()
            set_cookie = response.getheader("Set-Cookie")
            revision = response.getheader("x-greentic-revision") or ""
            return revision, response.status, set_cookie.split(";")[0] if set_cookie else None
        finally:
            connection.close()

    def _loop(self) -> None:
        cookies: dict[int, str | None] = dict.fromkeys(range(self.cookie_clients))
        while not self.stop.is_set():
            for _ in range(self.anonymous_per_round):
                revision, status, _ = self._get(None)
                self.anonymous[(revision, status)] += 1
            for client in range(self.cookie_clients):
                revision, status, given = self._get(cookies[client])
                cookies[client] = cookies[client] or given
                self.sticky.setdefault(client, []).append((revision, status))

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self._thread.join(timeout=15)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Cli]:
    cli = Cli(tmp_path)
    cli.ok("env", "init")
    yield cli
    env_dir = tmp_path / "environments" / "local"
    if env_dir.exists():
        stop_runtime(env_dir)
        assert runtime_status(env_dir)["running"] is False


def _up(cli: Cli) -> int:
    up = cli.ok("local", "up", "--detach", "--port", "0")
    return int(up["port"])


def _finish(runner: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = runner.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        runner.kill()
        out, err = runner.communicate(timeout=10)
    return runner.returncode, out, err


def _wait_for(predicate: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def _analysis(window: float, min_requests: int) -> dict[str, Any]:
    return {
        "kind": "analysis",
        "window_seconds": window,
        "checks": [
            {"metric": "error_rate", "max": 0.05, "min_requests": min_requests},
            {"metric": "latency_p99", "max": 2.0, "min_requests": min_requests},
        ],
    }


def test_a_good_canary_is_promoted_while_cookie_clients_keep_their_revision(
    runtime: Cli,
) -> None:
    cli = runtime
    deployment, stable, canary = cli.deployment("app.local")
    cli.ok("revisions", "warm", answers={"environment_id": "local", "revision_id": canary})
    port = _up(cli)
    steps = [
        {"kind": "set_weight", "weight_bps": 100},
        _analysis(1, 0),
        {"kind": "set_weight", "weight_bps": 1000},
        _analysis(1, 1),
        {"kind": "set_weight", "weight_bps": 5000},
        _analysis(1, 5),
        {"kind": "pause"},
    ]
    rollout_id = cli.start([(deployment, stable, canary)], steps)
    store = open_store(None, home=cli.home)
    with Load(port, "app.local") as load:
        runner = cli.run()
        _wait_for(lambda: store.load("local").rollouts[rollout_id].step_index == 6)
    # Held at the indefinite pause at 50 %: every cookie client stayed on its first revision.
    for client, answers in load.sticky.items():
        assert {status for _, status in answers} == {200}, client
        assert len({revision for revision, _ in answers}) == 1, client
    assert {status for _, status in load.anonymous} == {200}
    assert load.anonymous[(canary, 200)] > 0
    status = cli.ok("rollout", "status", "local")["rollouts"][0]
    assert status["step_kind"] == "pause" and status["canary_bps"] == 5000
    assert status["last_analysis"]["passed"] is True
    cli.ok("rollout", "promote", answers={"environment_id": "local"})
    code, out, err = _finish(runner)
    assert code == 0, err
    assert json.loads(out)["result"]["rollout"]["status"] == "promoted"
    served = runtime_status(cli.home / "environments" / "local")["deployments"][0]["revisions"]
    assert {r["revision_id"]: r["weight_bps"] for r in served}[canary] == 10000


def test_a_canary_failing_20_percent_is_rolled_back_at_the_first_analysis(
    runtime: Cli,
) -> None:
    cli = runtime
    deployment, stable, canary = cli.deployment("app.local", [sys.executable, "-c", FLAKY_SERVER])
    cli.ok("revisions", "warm", answers={"environment_id": "local", "revision_id": canary})
    port = _up(cli)
    steps = [
        {"kind": "set_weight", "weight_bps": 2000},
        _analysis(2, 10),
        {"kind": "set_weight", "weight_bps": 5000},
    ]
    cli.start([(deployment, stable, canary)], steps)
    with Load(port, "app.local") as load:
        code, out, err = _finish(cli.run())
        assert code == 0, err
    rollout = json.loads(out)["result"]["rollout"]
    assert rollout["status"] == "rolled_back"
    assert rollout["step_index"] == 1  # the first analysis
    failing = next(f for f in rollout["last_analysis"]["figures"] if f["metric"] == "error_rate")
    assert failing["passed"] is False and failing["value"] > 0.1 and failing["requests"] >= 10
    assert "error_rate" in rollout["reason"]
    # Clients on the stable revision never saw a failed request.
    for answers in load.sticky.values():
        on_stable = [s for r, s in answers if r == stable]
        assert on_stable and set(on_stable) == {200}
    assert load.anonymous[(stable, 500)] == 0
    served = runtime_status(cli.home / "environments" / "local")["deployments"][0]["revisions"]
    assert {r["revision_id"]: r["weight_bps"] for r in served}[stable] == 10000


def test_a_killed_runner_resumes_and_two_deployments_move_in_lockstep(
    runtime: Cli,
) -> None:
    cli = runtime
    first = cli.deployment("a.local")
    second = cli.deployment("b.local")
    for _, _, canary in (first, second):
        cli.ok("revisions", "warm", answers={"environment_id": "local", "revision_id": canary})
    _up(cli)
    steps = [
        {"kind": "set_weight", "weight_bps": 1000},
        {"kind": "pause", "seconds": 3},
        {"kind": "set_weight", "weight_bps": 3000},
    ]
    rollout_id = cli.start([first, second], steps)
    store = open_store(None, home=cli.home)
    runner = cli.run()
    _wait_for(lambda: store.load("local").rollouts[rollout_id].step_started_at is not None)
    runner.send_signal(signal.SIGKILL)
    runner.communicate(timeout=10)
    state = store.load("local")
    assert state.rollouts[rollout_id].step_index == 1
    for deployment, _, canary in (first, second):
        assert state.traffic[deployment].weight_of(canary) == 1000
    code, out, err = _finish(cli.run())
    assert code == 0, err
    assert json.loads(out)["result"]["rollout"]["status"] == "promoted"
    served = runtime_status(cli.home / "environments" / "local")["deployments"]
    for deployment in served:
        weights = {r["revision_id"]: r["weight_bps"] for r in deployment["revisions"]}
        assert sorted(weights.values()) == [0, 10000]
    changes = [
        e.model_dump(mode="json") if hasattr(e, "model_dump") else dict(e)
        for e in store.audit_events("local")
    ]
    splits = [
        c["result"]["splits"]
        for c in changes
        if c.get("phase") == "done" and (c.get("result") or {}).get("splits")
    ]
    # 10 %, 30 %, 100 %: each once, each one transaction over both deployments.
    assert [len(s) for s in splits] == [2, 2, 2]
