"""Run an external tool with a hard deadline and bounded output.

Preflight shells out to tools it does not control (a CLI waiting on a login prompt, a
wrapper script that spawns children, a binary that spews garbage). Every run here is
killed as a whole process group at its deadline and keeps at most ``OUTPUT_CAP`` bytes per
stream, so a misbehaving tool costs at most its timeout and a little memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

OUTPUT_CAP = 64 * 1024
# Grace for reader threads after the process is gone (a leftover grandchild may still hold
# the pipe open; we stop waiting for it rather than hang).
_DRAIN_GRACE = 0.5
_POSIX = os.name == "posix"


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    # Set when the process could not be started at all (exec format error, permission).
    start_error: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.start_error is None and not self.timed_out and self.returncode == 0

    @property
    def combined(self) -> str:
        """stdout then stderr: some tools print their version on either."""
        return "\n".join(part for part in (self.stdout, self.stderr) if part)


class _CappedReader(threading.Thread):
    """Drains a pipe to EOF, keeping only the first ``cap`` bytes (draining the rest so a
    chatty child never blocks on a full pipe)."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._cap = cap
        self._chunks: list[bytes] = []
        self._size = 0

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self._stream.fileno(), 8192):
                if self._size < self._cap:
                    self._chunks.append(chunk[: self._cap - self._size])
                    self._size += len(self._chunks[-1])

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if _POSIX:
        # The child leads its own session, so its pid is the group id of everything it
        # spawned that did not deliberately escape.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()


def run_bounded(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cap: int = OUTPUT_CAP,
) -> ProcessResult:
    """Run ``argv`` (no shell) with stdin closed; never returns later than ~timeout + 0.5 s."""
    started = time.monotonic()
    argv_t = tuple(argv)
    kwargs: dict[str, object] = {}
    if _POSIX:
        kwargs["start_new_session"] = True
    elif sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    try:
        proc = subprocess.Popen(  # type: ignore[call-overload]
            list(argv_t),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            **kwargs,
        )
    except OSError as error:
        return ProcessResult(
            argv_t,
            None,
            "",
            "",
            start_error=f"{type(error).__name__}: {error}",
            elapsed=time.monotonic() - started,
        )
    assert proc.stdout is not None and proc.stderr is not None
    readers = [_CappedReader(proc.stdout, cap), _CappedReader(proc.stderr, cap)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout=max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.wait()
    for reader in readers:
        reader.join(_DRAIN_GRACE)
    if any(reader.is_alive() for reader in readers):
        # The tool exited but something it spawned still holds a pipe: clean that up too.
        # (Linux never hands out a pid still in use as a group id, so this hits only them.)
        _kill_group(proc)
        for reader in readers:
            reader.join(_DRAIN_GRACE)
    for stream in (proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            stream.close()
    return ProcessResult(
        argv_t,
        proc.returncode,
        readers[0].text(),
        readers[1].text(),
        timed_out=timed_out,
        elapsed=time.monotonic() - started,
    )


def truncate(text: str, limit: int = 300) -> str:
    """One-line, bounded excerpt of what a tool printed, for ``detail``.

    Keeps the start and, mostly, the end: tools put the reason for a failure last
    (kubectl's "connection refused" comes after a screen of retries).
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = limit // 3
    return f"{flat[:head]} … {flat[-(limit - head - 3) :]}"
