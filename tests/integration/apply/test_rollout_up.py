"""A cloud rollout's steps applied through `up` (the Automation API) with the fake pulumi;
the canary's health through the health tests' fake kubectl (an available Deployment)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.store import open_store
from tests.support.fake_kubectl import install_script

from .conftest import FakePulumi

pytestmark = pytest.mark.timeout(120)
HEALTH = Path(__file__).resolve().parents[1] / "health"


def _kubectl_with_deployments(fake: FakePulumi, monkeypatch: pytest.MonkeyPatch) -> None:
    # The health tests' kubectl answers the preflight as this one does, and `get
    # deployment` with a recorded status.
    install_script(fake.bin_dir, "kubectl", (HEALTH / "fake_kubectl.py").read_text())
    playback = fake.bin_dir.parent / "playback.json"
    playback.write_text(json.dumps(["available.json"]))
    monkeypatch.setenv("FAKE_KUBECTL_PLAYBACK", str(playback))
    monkeypatch.setenv("FAKE_KUBECTL_RECORDED", str(HEALTH / "recorded"))


def _ok(cli: Any, home: Path, *argv: str, answers: Any = None) -> Any:
    if answers is not None:
        path = home.parent / "answers.json"
        path.write_text(json.dumps(answers))
        argv = (*argv, "--answers", str(path))
    outcome = cli(*argv)
    assert outcome.code == 0, (argv, outcome.stderr)
    return outcome.json["result"]


def test_each_step_goes_through_up(
    k8s_env: str, cli: Any, fake: FakePulumi, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kubectl_with_deployments(fake, monkeypatch)
    route = {"host": "shop.example.com", "path_prefix": "/"}
    deployment = _ok(
        cli,
        home,
        "bundles",
        "add",
        answers={"environment_id": k8s_env, "bundle_id": "shop", "route_binding": route},
    )["deployment_id"]
    revisions = []
    for digest in ("sha256:01", "sha256:02"):
        stage = {"environment_id": k8s_env, "deployment_id": deployment, "bundle_digest": digest}
        revision = _ok(cli, home, "revisions", "stage", answers=stage)["revision_id"]
        _ok(
            cli,
            home,
            "revisions",
            "warm",
            "--skip-health-check",  # no cluster here: the health source has nothing to ask
            answers={"environment_id": k8s_env, "revision_id": revision},
        )
        revisions.append(revision)
    stable, canary = revisions
    entries = [{"revision_id": stable, "weight_bps": 10000}]
    _ok(
        cli,
        home,
        "traffic",
        "set",
        answers={"environment_id": k8s_env, "deployment_id": deployment, "entries": entries},
    )
    target = {
        "deployment_id": deployment,
        "stable_revision_id": stable,
        "canary_revision_id": canary,
    }
    definition = {"steps": [{"kind": "set_weight", "weight_bps": 2500}]}
    _ok(
        cli,
        home,
        "rollout",
        "start",
        answers={"environment_id": k8s_env, "targets": [target], "definition": definition},
    )
    done = _ok(cli, home, "rollout", "run", k8s_env, "--poll", "0.1")
    assert done["rollout"]["status"] == "promoted"
    # The state found on start, the 25 % step and the promotion: three `up` runs.
    ups = [argv for argv in fake.argvs() if argv[:2] == ["up", "--yes"]]
    assert len(ups) == 3
    state = open_store(None, home=home).load(k8s_env)
    assert state.traffic[deployment].weight_of(canary) == 10000
