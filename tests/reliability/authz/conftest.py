"""Fixtures for the authorization regressions: the apply tests' fake ``pulumi`` (reused, not
copied) and a clean process environment with no grant and no CI variables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.apply.conftest import cli, fake, home, k8s_env
from tests.support.cli_runner import Outcome, run_cli

__all__ = ["cli", "fake", "home", "k8s_env"]

CI_VARIABLES = (
    "GREENTIC_GRANT",
    "GREENTIC_STORE",
    "GREENTIC_HOME",
    "GITHUB_ACTIONS",
    "GITHUB_ACTOR",
    "GITHUB_REPOSITORY",
    "GITLAB_CI",
    "GITLAB_USER_LOGIN",
    "CI_PROJECT_PATH",
    "CI",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)


@pytest.fixture(autouse=True)
def no_ambient_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's own CI variables must not decide these tests."""
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


SCRIPT = shutil.which("greentic-iac", path=str(Path(sys.executable).parent))


@dataclass
class ConsoleScript:
    """The installed ``greentic-iac`` in a subprocess, with an environment the test picks:
    no GREENTIC_*, AWS_* or CI variables of the runner leak in."""

    home: Path
    answers_dir: Path

    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        answers: dict[str, Any] | None = None,
        home: bool = True,
    ) -> Outcome:
        assert SCRIPT is not None, "the greentic-iac console script is not installed in the venv"
        argv = [SCRIPT, *(["--home", str(self.home)] if home else []), "--output", "json", *args]
        if answers is not None:
            path = self.answers_dir / f"answers-{len(list(self.answers_dir.iterdir()))}.json"
            path.write_text(json.dumps(answers))
            argv += ["--answers", str(path)]
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GREENTIC_", "AWS_")) and k not in CI_VARIABLES
        }
        proc = subprocess.run(
            argv,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            env={**clean, **(env or {})},
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    def in_process(
        self, *args: str, answers: dict[str, Any] | None = None, env: dict[str, str] | None = None
    ) -> Outcome:
        """The same call through the in-process CLI (set-up steps: no interpreter start)."""
        extra: list[str] = []
        if answers is not None:
            path = self.answers_dir / f"answers-{len(list(self.answers_dir.iterdir()))}.json"
            path.write_text(json.dumps(answers))
            extra = ["--answers", str(path)]
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            return run_cli(self.home, *args, *extra)


@pytest.fixture
def script(tmp_path: Path) -> ConsoleScript:
    store_home = tmp_path / "store-home"
    store_home.mkdir()
    answers = tmp_path / "answers"
    answers.mkdir()
    return ConsoleScript(store_home, answers)
