"""``status [ENV]``: what is deployed, what is applied and whether it drifted.

Against the fake pulumi: ``up`` records the generation it applied, a later state change
puts the environment one generation behind, ``drift`` records its result; the terminal view
is read through a real pseudo-terminal (ids whole, names beside them).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import FakePulumi

pytestmark = pytest.mark.integration


def _answers(tmp_path: Path, payload: dict[str, Any]) -> str:
    path = tmp_path / f"answers-{len(list(tmp_path.glob('answers-*')))}.json"
    path.write_text(json.dumps(payload))
    return str(path)


def _with_shop(cli: Any, environment: str, tmp_path: Path) -> None:
    """Deploy ``shop`` with two revisions, the first ready and taking all traffic (named
    shop@1 in the answers files, as a person writes them)."""
    add = {"environment_id": environment, "bundle_id": "shop",
           "route_binding": {"host": "shop.example.com", "path_prefix": "/"}}  # fmt: skip
    outcome = cli("bundles", "add", "--answers", _answers(tmp_path, add))
    assert outcome.code == 0, outcome.stderr
    for digit in "12":
        stage = {"environment_id": environment, "deployment_id": "shop",
                 "bundle_digest": "sha256:" + digit * 64}  # fmt: skip
        assert cli("revisions", "stage", "--answers", _answers(tmp_path, stage)).code == 0
    warm = {"environment_id": environment, "revision_id": "shop@1"}
    assert (
        cli("revisions", "warm", "--skip-health-check", "--answers", _answers(tmp_path, warm)).code
        == 0
    )
    split = {"environment_id": environment, "deployment_id": "shop",
             "entries": [{"revision_id": "shop@1", "weight_percent": 100}]}  # fmt: skip
    outcome = cli("traffic", "set", "--answers", _answers(tmp_path, split))
    assert outcome.code == 0, outcome.stderr


def _status(cli: Any, *env: str) -> dict[str, Any]:
    outcome = cli("status", *env)
    assert outcome.code == 0, outcome.stderr
    result: dict[str, Any] = outcome.result
    return result


def test_status_follows_up_state_changes_and_drift(
    k8s_env: str, cli: Any, fake: FakePulumi, tmp_path: Path
) -> None:
    _with_shop(cli, k8s_env, tmp_path)
    [environment] = _status(cli, k8s_env)["environments"]
    assert environment["applied"]["state"] == "never applied"
    assert environment["drift"] is None
    [shop] = environment["deployments"]
    assert shop["bundle_id"] == "shop" and shop["route"] == "shop.example.com/"
    assert [(r["name"], r["lifecycle"], r["weight_bps"]) for r in shop["revisions"]] == [
        ("shop@1", "ready", 10_000),
        ("shop@2", "staged", 0),
    ]

    assert cli("up", k8s_env, "--yes").code == 0
    [environment] = _status(cli, k8s_env)["environments"]
    applied = environment["applied"]
    assert applied["state"] == "up to date" and applied["behind"] == 0
    assert applied["generation"] == environment["generation"] and applied["at"]

    config = {"environment_id": k8s_env, "key": "LOG_LEVEL", "value": "debug"}
    assert cli("config", "set", "--answers", _answers(tmp_path, config)).code == 0
    [environment] = _status(cli, k8s_env)["environments"]
    assert environment["applied"]["behind"] == 1
    assert environment["applied"]["state"] == "1 generation behind"

    assert cli("drift", k8s_env).code == 0
    drift = _status(cli, k8s_env)["environments"][0]["drift"]
    assert drift is not None and drift["drift"] in (True, False) and drift["at"]

    assert cli("destroy", k8s_env, "--yes").code == 0
    assert _status(cli, k8s_env)["environments"][0]["applied"]["state"] == "destroyed"


def test_status_without_env_lists_every_environment(k8s_env: str, cli: Any) -> None:
    assert cli("env", "init", "local").code == 0
    ids = [e["environment_id"] for e in _status(cli)["environments"]]
    assert sorted(ids) == sorted(["local", k8s_env])


def test_status_of_an_unknown_environment_is_one_line(k8s_env: str, cli: Any) -> None:
    outcome = cli("status", "nope")
    assert outcome.code != 0 and "Traceback" not in outcome.stderr
    assert len(outcome.stderr.splitlines()) == 1


def read_terminal(argv: list[str], env: dict[str, str], columns: int = 100) -> str:
    """Run ``argv`` with its stdout on a real pseudo-terminal; everything it wrote."""
    leader, follower = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert process.returncode == 0, process.stderr.read().decode() if process.stderr else ""
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("no_color", [False, True])
def test_the_terminal_view_shows_names_and_whole_ids(
    k8s_env: str, cli: Any, home: Path, no_color: bool, tmp_path: Path
) -> None:
    _with_shop(cli, k8s_env, tmp_path)
    [environment] = _status(cli, k8s_env)["environments"]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    if no_color:
        env["NO_COLOR"] = "1"
    script = Path(sys.executable).parent / "greentic-iac"
    screen = read_terminal([str(script), "--home", str(home), "status", k8s_env], env, 72)

    assert not screen.lstrip().startswith("{"), "a terminal gets a table, not JSON"
    assert ("\x1b[" in screen) is not no_color, "colour only on a terminal without NO_COLOR"
    plain = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    assert k8s_env in plain and "never applied" in plain
    for deployment in environment["deployments"]:
        assert deployment["bundle_id"] in plain
        for revision in deployment["revisions"]:
            assert revision["name"] in plain
    # 72 columns: an id may wrap inside its cell, but every character of it is on screen.
    cells = "".join(
        line.split("│")[-2].strip() for line in plain.splitlines() if line.count("│") >= 6
    )
    for deployment in environment["deployments"]:
        assert deployment["deployment_id"] in cells
        for revision in deployment["revisions"]:
            assert revision["revision_id"] in cells
    assert "…" not in plain
