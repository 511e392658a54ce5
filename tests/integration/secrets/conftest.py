"""Homes with the sample AWS and k8s environments, a fake kubectl, and the CLI in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import Outcome, run_cli
from tests.support.fake_kubectl import FakeKubectl as KubectlFake
from tests.support.fake_kubectl import install_fake_kubectl

REPO_ROOT = Path(__file__).resolve().parents[3]
AWS_ANSWERS = REPO_ROOT / "examples" / "aws-ecs" / "environment.json"
K8S_ANSWERS = REPO_ROOT / "examples" / "k8s" / "environment.json"
FAKE_KUBECTL = Path(__file__).with_name("fake_kubectl.py")


Cli = Callable[..., Outcome]


def write_answers(directory: Path, payload: dict[str, Any]) -> str:
    path = directory / f"answers-{len(list(directory.glob('answers-*')))}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def make_cli(
    tmp_path: Path,
    answers: Path,
    settings: dict[str, Any] | None = None,
    deployer_settings: dict[str, Any] | None = None,
) -> Cli:
    """A home holding ``answers``' environment, its packs' settings replaced where given."""
    home = tmp_path / "home"
    document = json.loads(answers.read_text(encoding="utf-8"))
    for pack in document["packs"]:
        if pack["slot"] == "secrets" and settings is not None:
            pack["settings"] = settings
        if pack["slot"] == "deployer" and deployer_settings is not None:
            pack["settings"] = deployer_settings
    created = run_cli(home, "env", "create", "--answers", write_answers(tmp_path, document))
    assert created.code == 0, created.stderr

    def call(*argv: str) -> Outcome:
        return run_cli(home, *argv)

    return call


def put(cli: Cli, tmp_path: Path, environment_id: str, name: str, value: str) -> Outcome:
    payload = {"environment_id": environment_id, "name": name, "value": value}
    return cli("secrets", "put", "--answers", write_answers(tmp_path, payload))


def home_text(tmp_path: Path) -> str:
    """Every file under the home (state, backups, audit log) as one string."""
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((tmp_path / "home").rglob("*"))
        if p.is_file()
    )


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3 pointed at the shared moto server with throwaway keys; no real config is read."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("GREENTIC_GRANT", "prod-eu")
    return moto_endpoint


# Secrets settings whose ``db`` secret is a key of a Secret the platform team shares.
SHARED_SECRET_SETTINGS = {
    "namespace": "acme",
    "secret_refs": {"db": {"secret": "platform-creds", "key": "DB_URL"}},
}


class FakeKubectl(KubectlFake):
    def objects(self, namespace: str) -> dict[str, Any]:
        """The Secrets the fake keeps in ``namespace``, by name."""
        return dict(self.stored().get(namespace, {}))

    def seed(self, secret: dict[str, Any]) -> None:
        """The cluster holds exactly ``secret`` (in the namespace its metadata names)."""
        metadata = secret["metadata"]
        store = {metadata["namespace"]: {metadata["name"]: secret}}
        self.store.write_text(json.dumps(store), encoding="utf-8")


@pytest.fixture
def fake_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    """``kubectl`` first on PATH: the fake above, run by this interpreter."""
    installed = install_fake_kubectl(
        monkeypatch,
        tmp_path / "bin",
        FAKE_KUBECTL,
        log=tmp_path / "kubectl-argv.log",
        store=tmp_path / "kubectl-store.json",
    )
    fake = FakeKubectl(installed.bin_dir, installed.log, installed.store)
    monkeypatch.delenv("FAKE_KUBECTL_MODE", raising=False)
    monkeypatch.setenv("GREENTIC_GRANT", "zain-prod")
    return fake
