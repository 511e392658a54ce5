"""No process outlives the runtime after the supervisor's death; start conflicts are clear.

(A clean `local down` is checked by every runtime fixture's teardown.)
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from greentic_iac.errors import ConflictError
from greentic_iac.local import (
    log_paths,
    runtime_status,
    start_runtime,
    stop_runtime,
    write_runtime_config,
)

from .conftest import alive, config, deployment, rev

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

DEP = "01J0000000000000000000D010"
REV = "01J0000000000000000000R010"

# A bundle command: a shell that leaves a grandchild behind and execs a tiny HTTP server
# on $PORT, so the test sees both the direct child and a grandchild in one process group.
SERVER = textwrap.dedent(
    """
    import http.server, json, os
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"revision_id": os.environ["GREENTIC_REVISION_ID"],
                               "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
    """
)


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid and alive(int(entry.name)):
                    members.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return members


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_supervisor_death_then_down_leaves_no_orphan(env_dir: Path, teardown: list[int]) -> None:
    script = env_dir / "server.py"
    script.write_text(SERVER)
    command = [
        "sh",
        "-c",
        f"{sys.executable} -c 'import time; time.sleep(60)' & exec {sys.executable} {script}",
    ]
    write_runtime_config(
        env_dir,
        config(1, [deployment(DEP, "cmd.local", "/", 1, [rev(REV, 10000, command=command)])]),
    )
    handle = start_runtime(env_dir, port=0, detach=True)
    teardown.append(handle.pid)
    with pytest.raises(ConflictError, match="already running"):
        start_runtime(env_dir, port=0, detach=True)
    # Another environment asking for the same port gets a clear conflict, and no record.
    other = env_dir.parent / "other"
    other.mkdir()
    write_runtime_config(
        other,
        config(1, [deployment(DEP, "app.local", "/", 1, [rev(REV, 10000)])]).model_copy(
            update={"environment_id": "other"}
        ),
    )
    with pytest.raises(ConflictError, match=f"port {handle.port} .* already in use"):
        start_runtime(other, port=handle.port, detach=True)
    assert not (other / "runtime" / "supervisor.json").exists()

    status = runtime_status(env_dir)
    server_pid = status["deployments"][0]["revisions"][0]["process"]["pid"]
    members = group_members(server_pid)
    assert server_pid in members and len(members) == 2  # the server and the sleeper
    teardown.extend(members)
    assert REV in log_paths(env_dir) and "supervisor" in log_paths(env_dir)

    os.kill(handle.pid, signal.SIGKILL)
    handle.process.wait(timeout=5)
    # The direct child gets SIGTERM from the kernel the moment its parent dies.
    wait_for(lambda: not alive(server_pid))
    assert runtime_status(env_dir) == {"running": False, "environment_id": "local"}
    # The grandchild is caught by `local down` through the recorded process group.
    result = stop_runtime(env_dir)
    assert result["orphans_killed"] == [server_pid]
    assert group_members(server_pid) == []
    assert stop_runtime(env_dir) == {"stopped": False, "pid": None, "orphans_killed": []}
