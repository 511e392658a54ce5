"""Fixtures for preflight integration tests: fake tool executables and a clean AWS env."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

FakeTool = Callable[[str, str], Path]


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


@pytest.fixture
def fake_tool(bin_dir: Path) -> FakeTool:
    """``fake_tool(name, shell_body)`` writes an executable ``/bin/sh`` script on bin_dir."""

    def make(name: str, body: str) -> Path:
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
        return script

    return make


@pytest.fixture
def clean_aws_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment minus every AWS_* variable, with a HOME and AWS config
    files that hold nothing, so no developer or CI credentials leak into a test."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    home = tmp_path / "home"
    home.mkdir()
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
    )
    return env
