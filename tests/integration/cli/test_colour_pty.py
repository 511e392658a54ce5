"""Colour as a person sees it, through a real pseudo-terminal: on a TTY without NO_COLOR,
never under NO_COLOR, TERM=dumb or a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli_runner import run_cli
from tests.support.pty_screen import screen

SCRIPT = str(Path(sys.executable).parent / "greentic-iac")
ESCAPE = "\x1b["


def _through_pty(argv: list[str], env: dict[str, str]) -> str:
    """What the command writes to a terminal (its stdout and stderr on the pty)."""
    code, shown = screen(argv, env, timeout=60)
    assert code == 0, shown
    return shown


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    assert run_cli(path, "env", "init").code == 0
    return path


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "GREENTIC_STORE"}}
    return {**base, "TERM": "xterm-256color", "COLUMNS": "120", **extra}


@pytest.mark.parametrize(
    "argv",
    [["preview", "local"], ["env", "list"]],
    ids=["preview text", "table"],
)
def test_colour_only_on_a_terminal_without_no_color(home: Path, argv: list[str]) -> None:
    command = [SCRIPT, "--home", str(home), *argv]
    assert ESCAPE in _through_pty(command, _env())
    plain = _through_pty(command, _env(NO_COLOR="1"))
    assert ESCAPE not in plain and "local" in plain
    assert ESCAPE not in _through_pty(command, _env(TERM="dumb"))
    piped = subprocess.run(
        [*command, "-o", "table"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        check=True,
    )
    assert ESCAPE not in piped.stdout and "local" in piped.stdout
