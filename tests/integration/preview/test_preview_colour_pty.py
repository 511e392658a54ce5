"""The text preview on a terminal is styled by rich (adds green, changes yellow, ...), and
only there: NO_COLOR=1 and a pipe get the plain text, and the styled screen holds exactly
the piped characters once the escapes are taken out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import run_cli
from tests.support.pty_screen import plain, screen

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SCRIPT = str(Path(sys.executable).parent / "greentic-iac")
GREEN, YELLOW = "\x1b[32m", "\x1b[33m"


def _ok(home: Path, *argv: str, answers: dict[str, Any] | None = None) -> None:
    if answers is not None:
        path = home.parent / f"answers-{len(list(home.parent.glob('answers-*')))}.json"
        path.write_text(json.dumps({"environment_id": "local", **answers}))
        argv = (*argv, "--answers", str(path))
    outcome = run_cli(home, *argv)
    assert outcome.code == 0, (argv, outcome.stderr)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("preview-colour") / "home"
    _ok(home, "env", "init")
    _ok(home, "bundles", "add",
        answers={"bundle_id": "shop", "route_binding": {"host": "shop.localhost"}})  # fmt: skip
    _ok(home, "revisions", "stage", answers={
        "deployment_id": "shop", "bundle_digest": "sha256:" + "1" * 64, "command": ["true"]})  # fmt: skip
    _ok(home, "revisions", "warm", answers={"revision_id": "shop@1"})
    _ok(home, "traffic", "set", "local", "--deployment", "shop", "--weight", "shop@1=100")
    return home


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "GREENTIC_STORE"}}
    return {**base, "TERM": "xterm-256color", **extra}


def _piped(home: Path) -> str:
    done = subprocess.run(
        [SCRIPT, "--home", str(home), "preview", "local"],
        capture_output=True, text=True, timeout=60, env=_env(), check=True,
    )  # fmt: skip
    return done.stdout


def test_a_terminal_gets_rich_styles_over_the_piped_text(home: Path) -> None:
    code, styled = screen([SCRIPT, "--home", str(home), "preview", "local"], _env(), columns=200)
    assert code == 0, styled
    create = next(line for line in styled.splitlines() if "+ router" in line)
    assert create.startswith(GREEN), repr(create)  # an add is green
    changed = next(line for line in styled.splitlines() if "deployment" in line)
    assert f"{YELLOW}changed" in changed, repr(changed)  # a changed split is yellow
    piped = _piped(home)
    assert "\x1b[" not in piped
    assert plain(styled) == piped  # the same characters: rich only adds the styles


def test_no_color_and_a_pipe_get_plain_human_text(home: Path) -> None:
    code, text = screen(
        [SCRIPT, "--home", str(home), "preview", "local"], _env(NO_COLOR="1"), columns=200
    )
    assert code == 0, text
    assert "\x1b[" not in text and "Preview of local" in text
    piped = _piped(home)
    assert piped.startswith("Preview of local") and not piped.lstrip().startswith("{")
    assert text.replace("\r\n", "\n") == piped
