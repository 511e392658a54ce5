"""The per-environment cross-process lock, and who holds it.

``filelock`` takes a kernel lock (``flock``) on ``<env>/.lock``, so a killed holder's lock
is released by the kernel at once. While holding it we write the holder's pid, host, start
time and verb INTO the lock file (filelock opens it without truncating), so a waiter that
gives up can name the holder; the holder empties it again before releasing.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

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
        self._lock = FileLock(self.path, timeout=timeout, poll_interval=_POLL_SECONDS)

    def __enter__(self) -> EnvironmentLock:
        try:
            self._lock.acquire()
        except Timeout:
            raise ConflictError(
                f"environment {self.environment_id}: lock {self.path} "
                f"{describe_holder(self.path)}; gave up after {self.timeout:g}s"
            ) from None
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "verb": self.verb,
        }
        with contextlib.suppress(OSError), self.path.open("r+", encoding="utf-8") as handle:
            handle.write(json.dumps(holder, sort_keys=True))
            handle.truncate()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError), self.path.open("r+", encoding="utf-8") as handle:
            handle.truncate(0)
        self._lock.release()
