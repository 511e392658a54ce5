"""The library API the CLI calls: start, inspect, reload and stop an environment's runtime.

``local up`` writes the runtime config (``write_runtime_config``) and calls
``start_runtime``; ``local status`` / ``logs`` / ``down`` call ``runtime_status``,
``log_paths`` and ``stop_runtime``; the revision verbs call ``reload`` and the
``wait_until_*`` helpers after they wrote a new runtime config. Everything here talks to the
supervisor through its record file and its control API on 127.0.0.1; nothing here needs
asyncio, so the CLI stays synchronous.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from greentic_iac.errors import ConflictError, GreenticError, InvalidInputError, NotFoundError
from greentic_iac.local.config_io import read_runtime_config
from greentic_iac.local.layout import DEFAULT_ROUTER_PORT, RuntimeLayout
from greentic_iac.local.processes import (
    group_alive,
    kill_group,
    parent_death_preexec,
    pid_alive,
    same_process,
)
from greentic_iac.local.record import SupervisorRecord, read_record
from greentic_iac.local.supervisor import bind_listener

START_TIMEOUT_SECONDS = 45.0
CONTROL_TIMEOUT_SECONDS = 5.0
# The control API is on 127.0.0.1: an operator's HTTP_PROXY must never see its token.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class RuntimeHandle:
    """A started runtime: where the router listens and which process supervises it."""

    env_dir: Path
    router_url: str
    pid: int
    port: int
    detached: bool
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "environment_id": self.env_dir.name,
            "router_url": self.router_url,
            "pid": self.pid,
            "port": self.port,
            "detached": self.detached,
            "supervisor_log": str(RuntimeLayout(self.env_dir).supervisor_log),
        }

    def wait(self) -> int:
        """Block until the supervisor exits (foreground ``local up``); Ctrl-C stops it."""
        try:
            while True:
                if self.process is not None:
                    code = self.process.poll()
                    if code is not None:
                        return code
                elif not _supervisor_alive(self.env_dir):
                    return 0
                time.sleep(0.2)
        except KeyboardInterrupt:
            stop_runtime(self.env_dir)
            return 130


def _record(env_dir: Path) -> SupervisorRecord | None:
    return read_record(RuntimeLayout(env_dir).supervisor_record)


def _supervisor_alive(env_dir: Path, record: SupervisorRecord | None = None) -> bool:
    record = record if record is not None else _record(env_dir)
    return record is not None and same_process(record.pid, record.start_ticks)


def _check_port_free(port: int) -> None:
    if port == 0:
        return
    try:
        bind_listener(port).close()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConflictError(
                f"port {port} on 127.0.0.1 is already in use; choose another with --port"
            ) from None
        raise InvalidInputError(f"port: cannot listen on 127.0.0.1:{port}: {exc}") from None


def start_runtime(
    env_dir: Path,
    *,
    port: int = DEFAULT_ROUTER_PORT,
    detach: bool = True,
    trust_override_header: bool = False,
    rng_seed: int | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> RuntimeHandle:
    """Start the supervisor for ``env_dir`` and return once the router answers.

    ``port=0`` picks a free port. ``detach=True`` runs it in its own session (it outlives
    the caller, ``stop_runtime`` ends it); ``detach=False`` ties it to the caller (it gets
    the caller's Ctrl-C and dies with it) and ``RuntimeHandle.wait()`` blocks on it.
    ``rng_seed`` makes weighted choices reproducible (tests, demos).

    Raises NotFoundError / StateCorruptError (no or invalid runtime config),
    ConflictError (already running, or port taken), GreenticError (did not come up).
    """
    if not 0 <= port <= 65535:
        raise InvalidInputError(f"port: {port} is not a TCP port (0-65535)")
    env_dir = env_dir.resolve()
    layout = RuntimeLayout(env_dir)
    read_runtime_config(env_dir)  # fail here, with the file's name, not in the child
    record = _record(env_dir)
    if record is not None and record.status != "failed" and _supervisor_alive(env_dir, record):
        raise ConflictError(
            f"environment {env_dir.name}: runtime already running (pid {record.pid}, "
            f"{record.router_url}); run `greentic-iac local down` first"
        )
    _cleanup_after_dead_supervisor(env_dir)
    _check_port_free(port)

    layout.logs_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "greentic_iac.local",
        "supervise",
        "--env-dir",
        str(env_dir),
        "--port",
        str(port),
    ]
    if trust_override_header:
        argv.append("--trust-override-header")
    if rng_seed is not None:
        argv += ["--seed", str(rng_seed)]
    with layout.supervisor_log.open("ab") as log_file:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=env_dir,
            start_new_session=detach,
            # Only prctl and getppid run between fork and exec (see processes.py).
            preexec_fn=None if detach else parent_death_preexec(),  # noqa: PLW1509
        )
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        record = _record(env_dir)
        if record is not None and record.pid == process.pid:
            if record.status == "running" and record.router_url and record.port is not None:
                return RuntimeHandle(
                    env_dir=env_dir,
                    router_url=record.router_url,
                    pid=process.pid,
                    port=record.port,
                    detached=detach,
                    process=process,
                )
            if record.status == "failed":
                process.wait(timeout=5)
                _remove_record(env_dir)
                message = record.error or "supervisor failed to start"
                if record.error_kind == "conflict":
                    raise ConflictError(message)
                raise InvalidInputError(message)
        if code is not None:
            raise GreenticError(
                f"local runtime exited with code {code} while starting; see {layout.supervisor_log}"
            )
        if time.monotonic() > deadline:
            kill_group(process.pid) if detach else process.kill()
            process.wait(timeout=5)
            _cleanup_after_dead_supervisor(env_dir)
            raise GreenticError(
                f"local runtime did not start within {timeout:.0f}s; see {layout.supervisor_log}"
            )
        time.sleep(0.05)


def _remove_record(env_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        RuntimeLayout(env_dir).supervisor_record.unlink()


def _cleanup_after_dead_supervisor(env_dir: Path) -> list[int]:
    """Kill revision process groups a dead supervisor left behind; returns their pgids."""
    record = _record(env_dir)
    if record is None or _supervisor_alive(env_dir, record):
        return []
    killed = []
    for child in record.children.values():
        # Linux never hands out a pid still in use as a process-group id, so a live group
        # whose leader is gone is still ours; a live leader must be the one we started.
        leader_ours = same_process(child.pid, child.start_ticks)
        if group_alive(child.pgid) and (leader_ours or not pid_alive(child.pid)):
            kill_group(child.pgid)
            killed.append(child.pgid)
    _remove_record(env_dir)
    return killed


def stop_runtime(env_dir: Path, timeout: float = 40.0) -> dict[str, Any]:
    """Stop the supervisor and every revision process group; idempotent.

    Returns ``{"stopped": bool, "pid": int | None, "orphans_killed": [pgid, ...]}``.
    """
    env_dir = env_dir.resolve()
    record = _record(env_dir)
    if record is None:
        return {"stopped": False, "pid": None, "orphans_killed": []}
    if _supervisor_alive(env_dir, record):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(record.pid, os.WNOHANG)
            if not same_process(record.pid, record.start_ticks):
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(record.pid, 0)
        # The supervisor removes its record on a clean stop; put back what it left.
        if _record(env_dir) is None:
            return {"stopped": True, "pid": record.pid, "orphans_killed": []}
    return {
        "stopped": True,
        "pid": record.pid,
        "orphans_killed": _cleanup_after_dead_supervisor(env_dir),
    }


def _control(env_dir: Path, method: str, path: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_control_bytes(env_dir, method, path))
    return result


def metrics_text(env_dir: Path) -> str:
    """The router's Prometheus exposition (``GET /metrics`` on the control port)."""
    return _control_bytes(env_dir.resolve(), "GET", "/metrics").decode("utf-8")


def _control_bytes(env_dir: Path, method: str, path: str) -> bytes:
    record = _record(env_dir)
    if record is None or record.control_url is None or not _supervisor_alive(env_dir, record):
        raise NotFoundError(
            f"environment {env_dir.name}: local runtime is not running; run `greentic-iac local up`"
        )
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 from our own record)
        record.control_url + path,
        method=method,
        headers={"Authorization": f"Bearer {record.token}"},
        data=b"" if method == "POST" else None,
    )
    try:
        with _DIRECT.open(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", str(exc))
        except ValueError:
            message = str(exc)
        raise InvalidInputError(message) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise GreenticError(f"local runtime control API did not answer: {exc}") from None


def runtime_status(env_dir: Path) -> dict[str, Any]:
    """Processes, health, split and requests per revision since start.

    ``{"running": False, "environment_id": ...}`` when no runtime is up.
    """
    env_dir = env_dir.resolve()
    try:
        return _control(env_dir, "GET", "/status")
    except NotFoundError:
        return {"running": False, "environment_id": env_dir.name}


def reload(env_dir: Path) -> int:
    """Make the running router apply ``runtime-config.json`` now; returns its generation.

    (The router also picks a change up by itself within a second.) Raises NotFoundError
    when no runtime runs, InvalidInputError when the config on disk is invalid (the
    router keeps the previous one).
    """
    result = _control(env_dir.resolve(), "POST", "/reload")
    return int(result["generation"])


def _revision_status(status: dict[str, Any], revision_id: str) -> dict[str, Any] | None:
    for deployment in status.get("deployments", []):
        for revision in deployment["revisions"]:
            if revision["revision_id"] == revision_id:
                result: dict[str, Any] = revision
                return result
    return None


def _wait(
    env_dir: Path,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float,
    progress: Callable[[str], None] | None,
    message: str,
) -> bool:
    started = time.monotonic()
    deadline = started + timeout
    reported = 0.0
    while True:
        status = runtime_status(env_dir)
        if predicate(status):
            return True
        now = time.monotonic()
        if now >= deadline:
            return False
        if progress is not None and now - reported >= 1.0:
            progress(f"{message} ({now - started:.0f}s elapsed, {deadline - now:.0f}s left)")
            reported = now
        time.sleep(0.05)


def wait_until_healthy(
    env_dir: Path,
    revision_id: str,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> bool:
    """True once ``revision_id``'s process passes its health check (after a reload).

    Call after writing a runtime config that lists the revision (warming). Raises
    NotFoundError when no runtime runs.
    """
    env_dir = env_dir.resolve()
    reload(env_dir)

    def healthy(status: dict[str, Any]) -> bool:
        revision = _revision_status(status, revision_id)
        return bool(revision and revision["process"] and revision["process"]["healthy"])

    return _wait(env_dir, healthy, timeout, progress, f"waiting for {revision_id} to be healthy")


def wait_until_drained(
    env_dir: Path,
    revision_id: str,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> bool:
    """True once ``revision_id`` has no in-flight request (for ``revisions drain``)."""
    env_dir = env_dir.resolve()
    reload(env_dir)

    def drained(status: dict[str, Any]) -> bool:
        revision = _revision_status(status, revision_id)
        retiring = status.get("retiring", {}).get(revision_id)
        in_flight = int((revision or {}).get("in_flight", 0))
        in_flight += int((retiring or {}).get("in_flight", 0))
        return in_flight == 0

    return _wait(env_dir, drained, timeout, progress, f"draining {revision_id}")


def wait_until_stopped(
    env_dir: Path,
    revision_id: str,
    timeout: float = 40.0,
    progress: Callable[[str], None] | None = None,
) -> bool:
    """True once ``revision_id`` has no process (for ``deactivate`` / ``archive``).

    Call after writing a runtime config without the revision; in-flight requests finish
    first. True at once when no runtime runs.
    """
    env_dir = env_dir.resolve()
    try:
        reload(env_dir)
    except NotFoundError:
        return True

    def stopped(status: dict[str, Any]) -> bool:
        if not status.get("running"):
            return True
        return _revision_status(status, revision_id) is None and revision_id not in status.get(
            "retiring", {}
        )

    return _wait(env_dir, stopped, timeout, progress, f"stopping {revision_id}")


def log_paths(env_dir: Path, revision_id: str | None = None) -> dict[str, Path]:
    """Log files by name (``supervisor`` and one per revision id), existing ones only.

    With ``revision_id``, only that revision's log; NotFoundError when it has none.
    """
    layout = RuntimeLayout(env_dir.resolve())
    if revision_id is not None:
        path = layout.revision_log(revision_id)
        if not path.is_file():
            raise NotFoundError(f"revision {revision_id}: no log at {path}")
        return {revision_id: path}
    found = {"supervisor": layout.supervisor_log} if layout.supervisor_log.is_file() else {}
    if layout.logs_dir.is_dir():
        for path in sorted(layout.logs_dir.glob("*.log")):
            if path != layout.supervisor_log:
                found[path.stem] = path
    return found


def is_running(env_dir: Path) -> bool:
    return _supervisor_alive(env_dir.resolve())


__all__ = [
    "GreenticError",
    "RuntimeHandle",
    "is_running",
    "log_paths",
    "reload",
    "runtime_status",
    "start_runtime",
    "stop_runtime",
    "wait_until_drained",
    "wait_until_healthy",
    "wait_until_stopped",
]
