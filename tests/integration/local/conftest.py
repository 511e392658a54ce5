"""Fixtures for the local runtime's integration tests: runtime configs and a clean teardown.

Ids are fixed so a seeded router draws the same sequence on every run (the seed is per
deployment, so interleaved traffic to other deployments does not change it).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from greentic_iac.local import runtime_status, stop_runtime
from greentic_iac.spec import RouteBinding, RuntimeConfig, RuntimeDeployment, RuntimeRevision

# A bundle command: an HTTP server on $PORT answering every GET with its own os.environ.
DUMP_ENVIRONMENT = textwrap.dedent(
    """
    import http.server, json, os
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(dict(os.environ)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
    """
)


def rev(
    revision_id: str,
    weight_bps: int,
    lifecycle: str = "ready",
    sequence: int = 1,
    command: list[str] | None = None,
) -> RuntimeRevision:
    return RuntimeRevision(
        revision_id=revision_id,
        bundle_digest="sha256:" + revision_id.lower().encode().hex()[:16],
        sequence=sequence,
        lifecycle=lifecycle,
        weight_bps=weight_bps,
        command=command,
    )


def deployment(
    deployment_id: str,
    host: str,
    prefix: str,
    generation: int,
    revisions: list[RuntimeRevision],
    bundle_id: str = "demo",
) -> RuntimeDeployment:
    return RuntimeDeployment(
        deployment_id=deployment_id,
        bundle_id=bundle_id,
        tenant="local-dev",
        route_binding=RouteBinding(host=host, path_prefix=prefix),
        split_generation=generation,
        revisions=[r.model_copy(update={"sequence": i + 1}) for i, r in enumerate(revisions)],
    )


def config(generation: int, deployments: list[RuntimeDeployment]) -> RuntimeConfig:
    return RuntimeConfig(environment_id="local", generation=generation, deployments=deployments)


def child_pids(status: dict[str, object]) -> list[int]:
    pids = []
    for d in status.get("deployments", []):  # type: ignore[attr-defined]
        for r in d["revisions"]:
            if r["process"] and r["process"]["pid"]:
                pids.append(r["process"]["pid"])
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    path = tmp_path / "environments" / "local"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def teardown(env_dir: Path) -> Iterator[list[int]]:
    """Yields a list the test fills with pids it saw; stops the runtime and checks them."""
    seen: list[int] = []
    try:
        yield seen
    finally:
        status = runtime_status(env_dir)
        if status.get("running"):
            seen.extend(child_pids(status))
            seen.append(int(status["pid"]))
        stop_runtime(env_dir)
    survivors = [pid for pid in seen if alive(pid)]
    assert survivors == [], f"processes survived local down: {survivors}"
