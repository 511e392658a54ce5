"""Fixtures for the apply verbs: a fake ``pulumi`` (and ``kubectl``) on a temporary PATH and
a Kubernetes environment whose preflight those fakes satisfy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.cli.main import run
from tests.support.cli_runner import Outcome
from tests.support.fake_kubectl import install_fake_kubectl, install_script

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[2] / "examples" / "k8s" / "environment.json"
ENVIRONMENT = "zain-prod"

FAKE_KUBECTL = """\
import json, os, sys
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:2] == ["version"]:
    print(json.dumps({"clientVersion": {"gitVersion": "v1.30.2"}}))
elif sys.argv[1:3] == ["auth", "can-i"]:
    print("yes")
elif sys.argv[1:3] == ["get", "namespace"]:
    print(f'Error from server (NotFound): namespaces "{sys.argv[3]}" not found', file=sys.stderr)
    sys.exit(1)
else:
    sys.exit(2)
"""


@dataclass
class FakePulumi:
    bin_dir: Path
    log: Path
    state: Path
    scenario_path: Path
    kubectl_log: Path

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls()]

    def commands(self) -> list[str]:
        """The first two words of each call, e.g. ``stack select`` or ``up --yes``."""
        return [" ".join(argv[:2]) for argv in self.argvs()]

    def scenario(self, **behaviour: Any) -> None:
        self.scenario_path.write_text(json.dumps(behaviour))

    def stacks(self) -> dict[str, Any]:
        if not self.state.exists():
            return {}
        stacks: dict[str, Any] = json.loads(self.state.read_text())["stacks"]
        return stacks


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "greentic-home"
    path.mkdir()
    return path


def install_fake_pulumi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kubectl: str | Path
) -> FakePulumi:
    """The fake ``pulumi`` and a fake ``kubectl`` (``kubectl``: its script or text) first
    on PATH, the operator's own Pulumi, store and cluster settings out of the environment,
    and a grant for the example environment."""
    world = FakePulumi(
        bin_dir=tmp_path / "bin",
        log=tmp_path / "pulumi-calls.jsonl",
        state=tmp_path / "pulumi-state.json",
        scenario_path=tmp_path / "scenario.json",
        kubectl_log=tmp_path / "kubectl-calls.jsonl",
    )
    install_fake_kubectl(monkeypatch, world.bin_dir, kubectl, log=world.kubectl_log)
    install_script(world.bin_dir, "pulumi", (HERE / "fake_pulumi.py").read_text())
    world.scenario()
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(world.log))
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(world.state))
    monkeypatch.setenv("FAKE_PULUMI_SCENARIO", str(world.scenario_path))
    for name in (
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "GREENTIC_STORE",
        "GREENTIC_HOME",
        "GREENTIC_WARM_TIMEOUT",
        "KUBECONFIG",
        "FAKE_KUBECTL_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GREENTIC_GRANT", ENVIRONMENT)
    return world


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    return install_fake_pulumi(tmp_path, monkeypatch, FAKE_KUBECTL)


@pytest.fixture
def k8s_env(home: Path, fake: FakePulumi, capsys: pytest.CaptureFixture[str]) -> str:
    """The example Kubernetes environment, created in ``home``."""
    code = run(
        ["--home", str(home), "--output", "json", "env", "create", "--answers", str(EXAMPLE)]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return ENVIRONMENT


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def invoke(*args: str) -> Outcome:
        code = run(["--home", str(home), "--output", "json", *args])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke
