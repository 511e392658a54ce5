"""Child processes that cannot outlive the runtime.

The choice, and why: every child (a revision process, or a foreground supervisor) starts
in its own session, so it and anything it forks share one process group that is stopped
as a whole (SIGTERM, a grace period, then SIGKILL). On Linux the child also asks the
kernel for ``PR_SET_PDEATHSIG`` (through ``prctl`` via ctypes, resolved before the fork),
so if the supervisor dies, even by SIGKILL, each direct child gets SIGTERM at once; the
built-in app additionally exits when its parent pid changes. Grandchildren a bundle
command forks are covered by the process-group record: the supervisor writes each child's
pgid and start time into ``runtime/supervisor.json``, and ``stop_runtime`` kills any group
still alive after a supervisor that died, checking the start time so a recycled pid is
never signalled. A watchdog process per child would cover grandchildren too, but costs a
Python interpreter per revision; the record gives the same end state at ``local down``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6", use_errno=True)
    except OSError:
        return None
    function: Callable[..., int] = libc.prctl
    return function


_PRCTL = _prctl()


def parent_death_preexec(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks for ``sig`` when the parent dies; None off Linux.

    Runs between fork and exec, so it only calls the already-resolved prctl and getppid.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def process_start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks since boot (Linux ``/proc``), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces, so split after its ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def same_process(pid: int, start_ticks: int | None) -> bool:
    """``pid`` is alive and, where the start time is known, still the process we started."""
    if not pid_alive(pid):
        return False
    if start_ticks is None:
        return True
    current = process_start_ticks(pid)
    return current is None or current == start_ticks


def kill_group(pgid: int, grace_seconds: float = 5.0) -> None:
    """SIGTERM the group, wait up to ``grace_seconds`` for it to empty, then SIGKILL.

    The group leader's pid is ``pgid``; if it is our own child it is reaped here, since a
    zombie leader would keep the group "alive".
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        _reap(pgid)
        if not group_alive(pgid):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    _reap(pgid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
