"""Issue 17: a used store home inside a repository could be committed by mistake:
``git add .greentic/`` staged ``secrets/local.json`` and ``runtime/cookie.key``. The store
writes a ``.gitignore`` into the home, and keeps one the user already has."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ConsoleScript

pytestmark = [
    pytest.mark.integration,
    pytest.mark.reliability,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def test_git_add_of_a_used_home_stages_state_but_no_secret(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    home = repo / ".greentic"
    script = ConsoleScript(home, tmp_path)
    assert script("env", "init", "local").code == 0
    put = script.in_process(
        "secrets", "put", answers={"environment_id": "local", "name": "db", "value": "pw"}
    )
    assert put.code == 0, put.stderr
    # What the local runtime, a crash log and `up` leave in a used home.
    for name in (
        "environments/local/runtime/cookie.key",
        "environments/local/runtime/logs/supervisor.log",
        "logs/debug-20261201T000000-1.log",
        "pulumi-state/.pulumi/stacks/local.json",
        "secrets/pulumi-passphrase",
        "environments/local/.state.json.123.tmp",
    ):
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text("x")

    _git(repo, "add", ".greentic")
    staged = _git(repo, "diff", "--cached", "--name-only").split()

    assert ".greentic/.gitignore" in staged
    assert ".greentic/environments/local/state.json" in staged
    leaked = [
        name
        for name in staged
        if any(part in name for part in ("secrets/", "runtime/", "logs/", "pulumi-state/"))
        or name.endswith((".lock", ".tmp"))
    ]
    assert leaked == []
    dev_store = Path(put.result["reference"].split("#")[0])
    assert dev_store.is_file() and dev_store.is_relative_to(home)  # it is really there
    assert f".greentic/{dev_store.relative_to(home)}" not in staged


def test_an_existing_gitignore_is_kept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitignore").write_text("*\n")

    assert ConsoleScript(home, tmp_path).in_process("env", "init", "local").code == 0

    assert (home / ".gitignore").read_text() == "*\n"
