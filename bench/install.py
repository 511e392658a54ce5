"""Install size and time of the core install and of ``greentic-iac[all]``, from the locks.

The core install is what a CI preview job needs; the target is under 100 MB. Each install
is timed into a fresh venv twice: cold (an empty uv cache, so every wheel comes from the
index, as on a fresh CI runner) and warm (uv's shared cache, offline). The cold run needs
the network to PyPI (GREENTIC_BENCH_OFFLINE=1 skips it); without it the row says so and
the warm figures still print. Sizes
are the venvs' bytes on disk minus an empty venv's, and [all] is reported as a ratio of
the core measured in the same run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"core": ROOT / "requirements-core.lock", "[all]": ROOT / "requirements-all.lock"}
CORE_TARGET_MB = 100
TIMEOUT_SECONDS = 240


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv is not None, "uv is not installed (make venv installs it into .venv/)"
    return uv


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _install(lock: Path, workdir: Path, *, cold: bool) -> tuple[float, int] | str:
    """(seconds, bytes added to an empty venv), or why the install could not run."""
    if cold and os.environ.get("GREENTIC_BENCH_OFFLINE"):
        return "skipped (GREENTIC_BENCH_OFFLINE is set)"
    uv = _uv()
    venv = workdir / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    if cold:
        environ["UV_CACHE_DIR"] = str(workdir / "empty-cache")
        shutil.rmtree(environ["UV_CACHE_DIR"], ignore_errors=True)
    else:
        environ["UV_OFFLINE"] = "1"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        check=True,
        env=environ,
        timeout=60,
    )
    empty = _size(venv)
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [uv, "pip", "sync", "--quiet", "--python", str(venv / "bin" / "python"), str(lock)],
            check=False,
            capture_output=True,
            text=True,
            env=environ,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return f"timeout after {TIMEOUT_SECONDS}s"
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return f"failed: {last[:60]}"
    return seconds, _size(venv) - empty


def main() -> None:
    rows: dict[tuple[str, str], tuple[float, int] | str] = {}
    with tempfile.TemporaryDirectory(prefix="greentic-bench-install-") as tmp:
        for name, lock in LOCKS.items():
            for mode in ("cold", "warm"):
                workdir = Path(tmp) / f"{name}-{mode}"
                workdir.mkdir()
                rows[name, mode] = _install(lock, workdir, cold=mode == "cold")
                shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'figure':<44}{'core':>14}{'[all]':>14}{'ratio':>8}")
    for mode, label in (("cold", "cold (empty uv cache)"), ("warm", "warm (uv cache, offline)")):
        core, full = rows["core", mode], rows["[all]", mode]
        if isinstance(core, str) or isinstance(full, str):
            note = core if isinstance(core, str) else full
            print(f"{label + ' install (s)':<44}{note}")
            continue
        print(
            f"{label + ' install (s)':<44}{core[0]:>14.1f}{full[0]:>14.1f}{full[0] / core[0]:>8.1f}"
        )
    sizes = [rows[name, mode] for mode in ("warm", "cold") for name in LOCKS]
    measured = next(
        (
            (core, full)
            for core, full in zip(sizes[::2], sizes[1::2], strict=True)
            if not isinstance(core, str) and not isinstance(full, str)
        ),
        None,
    )
    if measured is not None:
        core_mb, full_mb = measured[0][1] / 1e6, measured[1][1] / 1e6
        print(
            f"{'installed size (MB)':<44}{core_mb:>14.1f}{full_mb:>14.1f}{full_mb / core_mb:>8.1f}"
        )
        verdict = "ok" if core_mb < CORE_TARGET_MB else "OVER"
        print(f"{f'core under {CORE_TARGET_MB} MB':<44}{verdict:>14}")


if __name__ == "__main__":
    main()
