"""The per-environment cross-process lock, and who holds it.

On POSIX the lock is a kernel ``flock`` on ``<env>/.lock``: a killed holder's lock is
released by the kernel at once, with no stale-lock cleanup. (We call ``flock`` directly
rather than through ``filelock``: the library's bookkeeping cost more than a whole durable
write, see bench/store.py; on Windows ``filelock`` is used.) While holding the lock we write
the holder's pid, host, start time and verb INTO the lock file, so a waiter that gives up can
name the holder; the holder empties it again before releasing.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from greentic_iac.errors import ConflictError

LOCK_FILE = ".lock"
DEFAULT_LOCK_TIMEOUT = 10.0
LOCK_TIMEOUT_VARIABLE = "GREENTIC_LOCK_TIMEOUT"
_POLL_SECONDS = 0.002


def lock_timeout_from_environment(explicit: float | None) -> float:
    if explicit is not None:
        return explicit
    raw = os.environ.get(LOCK_TIMEOUT_VARIABLE)
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
    return DEFAULT_LOCK_TIMEOUT


def describe_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "held by another process (holder unknown: it has only just taken the lock)"
    return (
        f"held by pid {info.get('pid')} on {info.get('host')} since {info.get('since')} "
        f"({info.get('verb')})"
    )


class EnvironmentLock:
    """``with EnvironmentLock(dir, env, verb, timeout):`` -- ConflictError after the wait."""

    def __init__(self, directory: Path, environment_id: str, verb: str, timeout: float) -> None:
        self.path = directory / LOCK_FILE
        self.environment_id = environment_id
        self.verb = verb
        self.timeout = timeout
        self._fd: int | None = None
        self._fallback: object | None = None

    def _conflict(self) -> ConflictError:
        return ConflictError(
            f"environment {self.environment_id}: lock {self.path} "
            f"{describe_holder(self.path)}; gave up after {self.timeout:g}s"
        )

    def _acquire_flock(self) -> None:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self._conflict() from None
                time.sleep(_POLL_SECONDS)  # bounded wait for another process's lock
            except OSError:
                os.close(fd)
                raise
        self._fd = fd

    def __enter__(self) -> EnvironmentLock:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            from filelock import FileLock, Timeout

            lock = FileLock(self.path, timeout=self.timeout, poll_interval=_POLL_SECONDS)
            try:
                lock.acquire()
            except Timeout:
                raise self._conflict() from None
            self._fallback = lock
            return self
        self._acquire_flock()
        holder = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
                "verb": self.verb,
            },
            sort_keys=True,
        ).encode()
        assert self._fd is not None
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, holder, 0)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()  # type: ignore[attr-defined]
            self._fallback = None
            return
        if self._fd is None:
            return
        import fcntl

        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
