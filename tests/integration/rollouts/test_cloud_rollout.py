"""A rollout on a cloud environment: each step applied by the team's ``--apply-command``.

The command is a real process that records what it was given; the grant gate holds for
every decision (a runner without a grant changes nothing). The canary's health comes from
the Kubernetes target's source, through the fake ``kubectl`` playing back an available
Deployment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.store import open_store
from tests.integration.health.conftest import Cluster
from tests.support.cli_runner import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

GREENTIC = Path(sys.executable).parent / "greentic-iac"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ENV = "zain-prod"
RECORDER = (
    "import os, sys; open(sys.argv[1], 'a').write("
    "os.environ['GREENTIC_ENVIRONMENT'] + ' ' + os.environ['GREENTIC_STATE_GENERATION'] + '\\n')"
)


def _call(home: Path, *argv: str, answers: Any = None, grant: bool = True) -> Any:
    env = {k: v for k, v in os.environ.items() if k != "GREENTIC_GRANT"}
    if grant:
        env["GREENTIC_GRANT"] = ENV
    command = [str(GREENTIC), "--home", str(home), "--output", "json", *argv]
    if answers is not None:
        command += ["--answers", "-"]
    return subprocess.run(
        command,
        input=json.dumps(answers) if answers is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def _ok(home: Path, *argv: str, answers: Any = None) -> Any:
    # Setup verbs run in this process (a Python start-up each would dominate the test).
    if answers is not None:
        path = home.parent / "answers.json"
        path.write_text(json.dumps(answers))
        argv = (*argv, "--answers", str(path))
    outcome = run_cli(home, *argv)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.result


def test_every_step_is_applied_by_the_apply_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: Cluster
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", ENV)
    cluster.play("available")
    home = tmp_path / "home"
    _ok(
        home,
        "env",
        "create",
        answers=json.loads((EXAMPLES / "k8s" / "environment.json").read_text()),
    )
    route = {"host": "shop.example.com", "path_prefix": "/"}
    deployment = _ok(
        home,
        "bundles",
        "add",
        answers={"environment_id": ENV, "bundle_id": "shop", "route_binding": route},
    )["deployment_id"]
    revisions = []
    for digest in ("sha256:01", "sha256:02"):
        stage = {"environment_id": ENV, "deployment_id": deployment, "bundle_digest": digest}
        revision = _ok(home, "revisions", "stage", answers=stage)["revision_id"]
        # No cluster here to ask for health: the check is skipped (audited).
        warm = _call(
            home,
            "revisions",
            "warm",
            "--skip-health-check",
            answers={"environment_id": ENV, "revision_id": revision},
        )
        assert warm.returncode == 0, warm.stderr
        revisions.append(revision)
    stable, canary = revisions
    _ok(
        home,
        "traffic",
        "set",
        answers={
            "environment_id": ENV,
            "deployment_id": deployment,
            "entries": [{"revision_id": stable, "weight_bps": 10000}],
        },
    )
    target = {
        "deployment_id": deployment,
        "stable_revision_id": stable,
        "canary_revision_id": canary,
    }
    steps = [{"kind": "set_weight", "weight_bps": 2000}, {"kind": "pause", "seconds": 1}]
    _ok(
        home,
        "rollout",
        "start",
        answers={"environment_id": ENV, "targets": [target], "definition": {"steps": steps}},
    )
    record = tmp_path / "applied.txt"
    apply_command = f'{sys.executable} -c "{RECORDER}" {record}'
    # Without a grant the runner's first decision is refused and nothing moves.
    denied = _call(
        home, "rollout", "run", ENV, "--apply-command", apply_command, "--poll", "0.2", grant=False
    )
    assert denied.returncode == 2, denied.stderr
    assert "grant" in denied.stderr.lower()
    state = open_store(None, home=home).load(ENV)
    assert state.traffic[deployment].weight_of(canary) == 0
    assert not record.exists()  # refused before applying anything
    done = _call(home, "rollout", "run", ENV, "--apply-command", apply_command, "--poll", "0.2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"]["rollout"]["status"] == "promoted"
    state = open_store(None, home=home).load(ENV)
    assert state.traffic[deployment].weight_of(canary) == 10000
    applied = record.read_text().splitlines()
    # The state found on start, the 20 % step, the promotion: each applied once, in order.
    generations = [int(line.split()[1]) for line in applied]
    assert [line.split()[0] for line in applied] == [ENV] * 3
    assert generations == sorted(generations) and len(set(generations)) == 3
    assert generations[-1] == state.generation
    # The canary carried weight for a while: its Deployment was asked about.
    assert cluster.deployment_gets()
