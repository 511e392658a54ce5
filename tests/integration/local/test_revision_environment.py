"""A real revision process sees only its documented environment (issue 17).

The bundle command dumps ``os.environ`` as JSON through the router; the operator's
credentials set in the supervisor's environment must not be in it, while the config keys,
the dev-store secrets, ``pass_environment`` names and the revision variables are.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from greentic_iac.local import start_runtime, write_runtime_config
from greentic_iac.secrets.dev_store import DevStore

from .conftest import DUMP_ENVIRONMENT, config, deployment, rev

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

DEP = "01J0000000000000000000D050"
REV = "01J0000000000000000000R050"
# Short enough to tell from the default, long enough that the request served below (its
# deadline counts from accept) can't miss it on a loaded machine.
HEADER_TIMEOUT = 2.0

OPERATOR_ONLY = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "GITHUB_TOKEN": "ghp_operator_token_not_for_bundles",
    "GREENTIC_GRANT": "grant-for-the-operator",
    "PYTHONPATH": "/nowhere",
}


def test_revision_process_environment_is_minimal(
    env_dir: Path, teardown: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in OPERATOR_ONLY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("LC_TIME", "C")
    home = env_dir.parent.parent
    DevStore(home / "secrets" / "local.json").put("DB_PASSWORD", "dev-only-pw")
    command = [sys.executable, "-c", DUMP_ENVIRONMENT]
    runtime = config(
        1, [deployment(DEP, "env.local", "/", 1, [rev(REV, 10000, command=command)])]
    ).model_copy(
        update={
            "config": {"LOG_LEVEL": "debug", "GREENTIC_REVISION_ID": "forged"},
            "settings": {
                "pass_environment": ["HTTP_PROXY"],
                "header_timeout_seconds": HEADER_TIMEOUT,
            },
            "secrets_pack": "greentic.secrets.dev-store",
        }
    )
    runtime.deployments[0].config["FEATURE_X"] = "on"
    write_runtime_config(env_dir, runtime)
    handle = start_runtime(env_dir, port=0, detach=True)
    teardown.append(handle.pid)
    request = urllib.request.Request(handle.router_url + "/", headers={"Host": "env.local"})
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(request, timeout=10) as response:
        seen: dict[str, str] = json.loads(response.read())

    for name in OPERATOR_ONLY:
        assert name not in seen, f"{name} leaked into the revision process"
    inherited = {
        name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ
    }
    inherited.update({n: v for n, v in os.environ.items() if n.startswith("LC_")})
    assert seen == {
        **inherited,
        "HTTP_PROXY": "http://proxy.invalid:3128",
        "LOG_LEVEL": "debug",
        "FEATURE_X": "on",
        "DB_PASSWORD": "dev-only-pw",
        "PORT": seen["PORT"],
        "GREENTIC_ENVIRONMENT": "local",
        "GREENTIC_DEPLOYMENT_ID": DEP,
        "GREENTIC_REVISION_ID": REV,  # a config key cannot forge the identity
        "GREENTIC_BUNDLE_ID": "demo",
        "GREENTIC_BUNDLE_DIGEST": runtime.deployments[0].revisions[0].bundle_digest,
        "GREENTIC_SUPERVISOR_PID": str(handle.pid),
    }
    assert int(seen["PORT"]) > 0

    # The supervisor serves the router with the settings' header deadline: closed at
    # HEADER_TIMEOUT, long before the default 10 s (the socket's own timeout fails the recv).
    with socket.create_connection(("127.0.0.1", handle.port), timeout=8) as silent:
        started = time.monotonic()
        with contextlib.suppress(ConnectionResetError):
            assert silent.recv(1) == b""
        assert time.monotonic() - started >= HEADER_TIMEOUT * 0.8
