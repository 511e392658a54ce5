"""Virtualenvs built from the repository's lock files with uv, offline from its cache.

``make venv`` filled the uv cache with every pinned wheel; ``uv pip sync`` from a lock needs
no resolution metadata, so these venvs build on a machine with no network and a cache that
holds wheels only. The core lock (requirements-core.lock) is the dev lock's pins cut to the
core install: a venv from it is what ``pip install greentic-iac`` gives a CI job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_LOCK = ROOT / "requirements-core.lock"
ALL_LOCK = ROOT / "requirements-all.lock"


def uv_executable() -> str:
    """The uv that make venv installed next to this interpreter (skip the test without it)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not in the virtualenv (make venv installs it)")
    return uv


def offline_environ() -> dict[str, str]:
    environ = {**os.environ, "UV_OFFLINE": "1"}
    environ.pop("VIRTUAL_ENV", None)
    return environ


def venv_from_lock(target: Path, lock: Path, *, timeout: float = 240) -> Path:
    """A fresh venv at ``target`` holding exactly ``lock``'s pins; its python."""
    uv = uv_executable()
    environ = offline_environ()
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(target)],
        check=True,
        timeout=60,
        env=environ,
    )
    python = target / "bin" / "python"
    subprocess.run(
        [uv, "pip", "sync", "--quiet", "--python", str(python), str(lock)],
        check=True,
        timeout=timeout,
        env=environ,
    )
    return python


def tree_size(path: Path) -> int:
    """Bytes in the regular files under ``path`` (symlinks not followed)."""
    return sum(
        entry.stat().st_size
        for entry in path.rglob("*")
        if entry.is_file() and not entry.is_symlink()
    )


def build_wheel(out_dir: Path, *, timeout: float = 240) -> Path:
    """This checkout built as a wheel into ``out_dir``, with the hatchling the dev lock
    installed (no build isolation, so nothing is resolved or downloaded)."""
    subprocess.run(
        [
            uv_executable(),
            "build",
            "--quiet",
            "--wheel",
            "--no-build-isolation",
            "--python",
            sys.executable,
            "--out-dir",
            str(out_dir),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=timeout,
        env=offline_environ(),
    )
    return next(out_dir.glob("greentic_iac-*.whl"))


def install_wheel(python: Path, wheel: Path, *, timeout: float = 120) -> None:
    """Install ``wheel`` into ``python``'s venv without its dependencies (the lock has them)."""
    subprocess.run(
        [
            uv_executable(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "--no-deps",
            str(wheel),
        ],
        check=True,
        timeout=timeout,
        env=offline_environ(),
    )


def install_checkout(python: Path, *, timeout: float = 240) -> None:
    """Build this checkout and install it into ``python``'s venv, without dependencies."""
    with tempfile.TemporaryDirectory(prefix="greentic-wheel-") as out_dir:
        install_wheel(python, build_wheel(Path(out_dir), timeout=timeout), timeout=timeout)
