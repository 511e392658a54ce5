"""What a revision process sees, set up only through CLI verbs (issue 17, end to end).

The operator's shell holds cloud keys and a grant; ``config set``, ``secrets put`` and the
deployer's ``pass_environment`` setting say what the bundle may see. The bundle command
dumps its environment through the router after ``local up``.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pytest

from .conftest import DUMP_ENVIRONMENT
from .test_cli_acceptance import Cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

OPERATOR = {
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "GITHUB_TOKEN": "ghp_operator_token_not_for_bundles",
    "GREENTIC_GRANT": "operator-grant",
    "NO_PROXY": "*",
    "HTTP_PROXY": "http://proxy.invalid:3128",
}


def test_a_bundle_sees_config_secrets_and_allowed_names_only(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home", **OPERATOR)
    cli.ok("env", "init")
    cli.ok(
        "env-packs",
        "update",
        answers={
            "environment_id": "local",
            "slot": "deployer",
            "kind": "greentic.deployer.local-process@0.1.0",
            "pack_ref": "builtin://greentic.deployer.local-process",
            "settings": {"pass_environment": ["HTTP_PROXY"]},
        },
    )
    deployment_id = cli.add_bundle("envdump", "env.localhost", "/")
    cli.ok(
        "config", "set", answers={"environment_id": "local", "key": "LOG_LEVEL", "value": "debug"}
    )
    cli.ok(
        "config",
        "set",
        answers={
            "environment_id": "local",
            "deployment_id": deployment_id,
            "key": "FEATURE_X",
            "value": "on",
        },
    )
    cli.ok(
        "secrets",
        "put",
        answers={"environment_id": "local", "name": "DB_PASSWORD", "value": "pw-1"},
    )
    revision_id = cli.stage(
        deployment_id, "sha256:" + "c" * 64, [sys.executable, "-c", DUMP_ENVIRONMENT]
    )
    cli.revision("warm", revision_id)
    cli.split(deployment_id, {revision_id: 100})
    up = cli.ok("local", "up", "--detach", "--port", "0")
    try:
        request = urllib.request.Request(up["router_url"] + "/", headers={"Host": "env.localhost"})
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(request, timeout=10) as response:
            seen: dict[str, str] = json.loads(response.read())
    finally:
        cli.ok("local", "down")
    for name in ("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "GREENTIC_GRANT", "NO_PROXY"):
        assert name not in seen, f"{name} leaked into the revision process"
    assert seen["HTTP_PROXY"] == OPERATOR["HTTP_PROXY"]
    assert seen["LOG_LEVEL"] == "debug" and seen["FEATURE_X"] == "on"
    assert seen["DB_PASSWORD"] == "pw-1"
    assert seen["GREENTIC_REVISION_ID"] == revision_id
    assert seen["GREENTIC_DEPLOYMENT_ID"] == deployment_id
    assert not any(
        name.startswith("GREENTIC_")
        and name
        not in {
            "GREENTIC_ENVIRONMENT",
            "GREENTIC_DEPLOYMENT_ID",
            "GREENTIC_REVISION_ID",
            "GREENTIC_BUNDLE_ID",
            "GREENTIC_BUNDLE_DIGEST",
            "GREENTIC_SUPERVISOR_PID",
        }
        for name in seen
    ), sorted(seen)
    # The secret's value is in the process, never in the runtime config on disk.
    config = (tmp_path / "home" / "environments" / "local" / "runtime-config.json").read_text()
    assert "pw-1" not in config and "DB_PASSWORD" not in config
