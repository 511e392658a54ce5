"""Fixtures for preflight integration tests: fake tool executables and a moto STS server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling the port, not guessing a start-up time
    raise RuntimeError("moto_server did not start listening within 20 s")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A real moto_server on 127.0.0.1 (free port), torn down after the module."""
    executable = Path(sys.executable).with_name("moto_server")
    port = _free_port()
    proc = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(proc, port, time.monotonic() + 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


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
