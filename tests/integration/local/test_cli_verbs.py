"""``local up | status | logs | down`` edge cases through the installed CLI.

A taken port, a second ``up``, ``down`` with nothing running, bad input (unknown or
non-local environment), a failing health check during ``warm``, and the foreground
``local up`` stopped by SIGTERM. Every subprocess is bounded; the ``teardown`` fixture
stops the runtime and checks that no process it saw survives.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from greentic_iac.local import runtime_status

from .conftest import alive, child_pids
from .test_cli_acceptance import SUBPROCESS_TIMEOUT, Cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _deployment_with_one_revision(cli: Cli) -> tuple[str, str]:
    cli.ok("env", "init")
    deployment = cli.add_bundle("demo", "app.local", "/")
    revision = cli.stage(deployment, "sha256:01")
    cli.revision("warm", revision)
    cli.split(deployment, {revision: 100})
    return deployment, revision


def test_taken_port_is_a_conflict(tmp_path: Path, env_dir: Path, teardown: list[int]) -> None:
    cli = Cli(tmp_path)
    _deployment_with_one_revision(cli)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli.call("local", "up", "--detach", "--port", str(port))
    assert done.returncode == 4, done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in _one_line_error(done)
    assert json.loads(done.stdout)["error"]["type"] == "ConflictError"
    assert runtime_status(env_dir)["running"] is False


def test_up_twice_returns_the_running_router_and_down_is_idempotent(
    tmp_path: Path, env_dir: Path, teardown: list[int]
) -> None:
    cli = Cli(tmp_path)
    _deployment_with_one_revision(cli)
    assert cli.ok("local", "down") == {
        "environment_id": "local",
        "stopped": False,
        "pid": None,
        "orphans_killed": [],
    }
    assert cli.ok("local", "status")["running"] is False
    first = cli.ok("local", "up", "--detach", "--port", "0")
    teardown.append(first["pid"])
    second = cli.ok("local", "up", "--detach", "--port", "0")
    assert second["already_running"] is True
    assert (second["router_url"], second["pid"]) == (first["router_url"], first["pid"])
    # Asking for a different fixed port while it runs is refused, not silently ignored.
    moved = cli.call("local", "up", "--detach", "--port", str(first["port"] + 1))
    assert moved.returncode == 4
    assert "already runs on port" in _one_line_error(moved)
    pids = [*child_pids(cli.ok("local", "status")), first["pid"]]
    assert cli.ok("local", "down")["stopped"] is True
    assert [pid for pid in pids if alive(pid)] == []


def test_bad_input_exits_2(tmp_path: Path) -> None:
    cli = Cli(tmp_path, GREENTIC_GRANT="zain-prod")
    cli.ok("env", "init")
    cli.ok("env", "create", answers=json.loads((EXAMPLES / "k8s" / "environment.json").read_text()))
    for verb in ("up", "status", "logs", "down"):
        unknown = cli.call("local", verb, "nope")
        assert unknown.returncode == 2, (verb, unknown.stderr)
        assert "nope" in _one_line_error(unknown)
        cloud = cli.call("local", verb, "zain-prod")
        assert cloud.returncode == 2, (verb, cloud.stderr)
        assert "greentic.deployer.local-process" in _one_line_error(cloud)
    bad_id = cli.call("local", "status", "Not_An_Id")
    assert bad_id.returncode == 2
    assert not (tmp_path / "environments" / "zain-prod" / "runtime-config.json").exists()


def test_warm_fails_when_the_health_check_does_not_pass(
    tmp_path: Path, env_dir: Path, teardown: list[int]
) -> None:
    cli = Cli(tmp_path)
    deployment, _ = _deployment_with_one_revision(cli)
    up = cli.ok("local", "up", "--detach", "--port", "0")
    teardown.append(up["pid"])
    broken = cli.stage(deployment, "sha256:0b", [sys.executable, "-c", "raise SystemExit(3)"])
    done = cli.call(
        "revisions",
        "warm",
        answers={"environment_id": "local", "revision_id": broken},
        env={"GREENTIC_WARM_TIMEOUT": "3"},
    )
    assert done.returncode == 1, done.stderr
    message = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(message) == 1 and "health check did not pass within 3s" in message[0]
    assert "stays warming" in message[0]
    revisions = {r["revision_id"]: r for r in cli.ok("revisions", "list", "local")["revisions"]}
    assert revisions[broken]["lifecycle"] == "warming"
    # Deactivating it stops its crash-looping process.
    stopped = cli.revision("deactivate", broken)
    assert stopped["runtime"]["process_stopped"] is True


def test_foreground_up_stops_everything_on_sigterm(
    tmp_path: Path, env_dir: Path, teardown: list[int]
) -> None:
    cli = Cli(tmp_path)
    _deployment_with_one_revision(cli)
    foreground = subprocess.Popen(
        cli.argv("local", "up", "--port", "0"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert foreground.stderr is not None
        # The verb prints one line on stderr once the router answers.
        banner = foreground.stderr.readline()
        assert banner.startswith("local runtime up at http://127.0.0.1:"), banner
        status = runtime_status(env_dir)
        pids = [*child_pids(status), int(status["pid"])]
        assert len(pids) == 2
        foreground.send_signal(signal.SIGTERM)
        out, _ = foreground.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        if foreground.poll() is None:
            foreground.kill()
            foreground.wait(timeout=10)
    assert foreground.returncode == 0
    result = json.loads(out)["result"]
    assert result["stopped"] is True and result["detached"] is False
    assert [pid for pid in pids if alive(pid)] == []
    assert runtime_status(env_dir)["running"] is False
