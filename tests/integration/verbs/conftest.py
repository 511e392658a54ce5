"""Seeded homes for the plan/export/stack/credentials/doctor verbs, run in-process.

Seeding goes through the CLI itself (``env create --answers examples/...``, ``bundles add``,
``revisions stage``/``warm``, ``traffic set``), once per module; each test gets its own copy
of the seeded home, so a verb that writes can't affect another test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_runner import Outcome, run_cli
from tests.support.seeding import AnswersCli, seed_deployment

REPO_ROOT = Path(__file__).resolve().parents[3]
AWS_ANSWERS = REPO_ROOT / "examples" / "aws-ecs" / "environment.json"
K8S_ANSWERS = REPO_ROOT / "examples" / "k8s" / "environment.json"
GRANT = "prod-eu,zain-prod"


@dataclass(frozen=True)
class Seeded:
    home: Path
    # environment id -> (deployment id, [revision ids])
    deployments: dict[str, tuple[str, list[str]]]


def _seed_environment(
    home: Path, answers_dir: Path, answers: Path, host: str
) -> tuple[str, str, list[str]]:
    cli = AnswersCli(home, answers_dir)
    environment_id = json.loads(answers.read_text(encoding="utf-8"))["environment_id"]
    cli.ok("env", "create", "--answers", str(answers))
    # The environments' policy allows at most 50 % per step: 100/0 -> 90/10.
    seeded = seed_deployment(
        cli,
        environment_id,
        bundle_id="fast2flow",
        host=host,
        digests=["sha256:" + digit * 64 for digit in "ab"],
        splits=[(10_000,), (9_000, 1_000)],
    )
    return environment_id, seeded.deployment_id, seeded.revision_ids


@pytest.fixture(name="run_cli")
def run_cli_fixture() -> Callable[..., Outcome]:
    """``run_cli(home, *argv)`` for tests that build their own home."""
    return run_cli


SeedEnvironment = Callable[[Path, Path, Path, str], tuple[str, str, list[str]]]


@pytest.fixture
def seed_environment() -> SeedEnvironment:
    """``seed(home, answers_dir, env_answers, host)``: env create + one bundle at 90/10."""
    return _seed_environment


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    base = tmp_path_factory.mktemp("verbs-seed")
    home = base / "home"
    answers = base / "answers"
    answers.mkdir()
    deployments: dict[str, tuple[str, list[str]]] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GREENTIC_GRANT", GRANT)
        assert run_cli(home, "env", "init").code == 0
        for path, host in (
            (AWS_ANSWERS, "app.acme.example.com"),
            (K8S_ANSWERS, "app.acme.example.org"),
        ):
            environment_id, deployment, revisions = _seed_environment(home, answers, path, host)
            deployments[environment_id] = (deployment, revisions)
    yield Seeded(home, deployments)


@pytest.fixture
def seeded(seeded_template: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    home = tmp_path / "home"
    shutil.copytree(seeded_template.home, home)
    monkeypatch.setenv("GREENTIC_GRANT", GRANT)
    return Seeded(home, seeded_template.deployments)


@pytest.fixture
def cli(seeded: Seeded) -> Callable[..., Outcome]:
    def call(*argv: str, output: str = "json") -> Outcome:
        return run_cli(seeded.home, *argv, output=output)

    return call


def tree_snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for directories)."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


# -- boto3 pointed at the shared moto server (tests/conftest.py) --------------------------


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point boto3 at the moto server with throwaway credentials; no real config is read."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    return moto_endpoint
