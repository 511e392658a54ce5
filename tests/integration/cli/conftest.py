"""Run the installed console script against a fresh GREENTIC_HOME."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import Outcome

SCRIPT = shutil.which("greentic-iac", path=str(Path(sys.executable).parent))


CliRunner = Callable[..., Outcome]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "greentic-home"
    path.mkdir()
    return path


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> CliRunner:
    assert SCRIPT is not None, "the greentic-iac console script is not installed in the venv"

    def run(
        *args: str, answers: dict[str, Any] | str | None = None, stdin: str | None = None
    ) -> Outcome:
        argv = [SCRIPT, "--home", str(home), "--output", "json", *args]
        if answers is not None:
            path = tmp_path / f"answers-{len(list(tmp_path.iterdir()))}.json"
            path.write_text(answers if isinstance(answers, str) else json.dumps(answers))
            argv += ["--answers", str(path)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENTIC_", "AWS_"))}
        proc = subprocess.run(
            argv, check=False, capture_output=True, text=True, timeout=60, env=env, input=stdin
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    return run


def _tree_digest(root: Path) -> str:
    """Names, bytes and modes of every file under root: 'the store is unchanged'."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
            digest.update(oct(path.stat().st_mode).encode())
    return digest.hexdigest()


@pytest.fixture
def tree_digest() -> Callable[[Path], str]:
    return _tree_digest
