"""``plan ENV``: summary, ``--canonical`` (canonical and stable), ``--out FILE``, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from greentic_iac.plan.io import load_plan
from tests.integration.verbs.conftest import Outcome, Seeded, tree_snapshot

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]


@pytest.mark.parametrize(
    ("environment_id", "target", "weighted_type"),
    [
        ("prod-eu", "greentic.deployer.aws-ecs", "aws:lb/targetGroup:TargetGroup"),
        ("zain-prod", "greentic.deployer.k8s", "kubernetes:apps/v1:Deployment"),
    ],
)
def test_summary_counts_resources_and_traffic(
    cli: Cli, seeded: Seeded, environment_id: str, target: str, weighted_type: str
) -> None:
    outcome = cli("plan", environment_id)
    assert outcome.code == 0, outcome.stderr
    assert outcome.json["noun"] == "plan"
    summary = outcome.result
    assert summary["environment_id"] == environment_id
    assert summary["target"] == target
    assert summary["errors"] == 0
    assert summary["by_type"][weighted_type] == 2  # one per revision
    assert summary["resources"] == sum(summary["by_type"].values())
    deployment, revisions = seeded.deployments[environment_id]
    (traffic,) = summary["traffic"]
    assert traffic["deployment_id"] == deployment
    assert set(traffic["revisions"]) == set(revisions)


def test_local_environment_plans_too(cli: Cli) -> None:
    outcome = cli("plan", "local")
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["target"] == "greentic.deployer.local-process"


def test_json_is_the_canonical_plan_with_a_stable_hash(cli: Cli) -> None:
    first = cli("plan", "prod-eu", "--canonical")
    second = cli("plan", "prod-eu", "--canonical")
    assert first.code == second.code == 0, first.stderr
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["environment_id"] == "prod-eu"
    assert "noun" not in document  # the plan itself, not an envelope
    assert json.dumps(document, indent=2, sort_keys=True) + "\n" == first.stdout
    summary = cli("plan", "prod-eu").result
    assert len(document["resources"]) == summary["resources"]


def test_out_writes_the_plan_file_atomically(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "prod-eu.plan.json"
    outcome = cli("plan", "prod-eu", "--out", str(target))
    assert outcome.code == 0, outcome.stderr
    assert outcome.result["path"] == str(target)
    plan = load_plan(target)
    assert plan.content_hash() == outcome.result["content_hash"]
    assert len(plan.resources) == outcome.result["resources"]
    assert target.read_text(encoding="utf-8") == cli("plan", "prod-eu", "--canonical").stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == [target.name]


def test_canonical_and_out_together_write_and_print(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    outcome = cli("plan", "zain-prod", "--canonical", "--out", str(target))
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout == target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("plan", "nowhere"), "environment nowhere: not found"),
        (("plan", "Not_An_Id"), "environment"),
    ],
)
def test_unknown_or_invalid_environment_is_exit_2(
    cli: Cli, seeded: Seeded, argv: tuple[str, ...], message: str
) -> None:
    before = tree_snapshot(seeded.home)
    outcome = cli(*argv)
    assert outcome.code == 2
    assert message in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1
    assert tree_snapshot(seeded.home) == before


def test_out_into_a_directory_or_missing_parent_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    directory = tmp_path / "plans"
    directory.mkdir()
    outcome = cli("plan", "prod-eu", "--out", str(directory))
    assert outcome.code == 2
    assert "--out" in outcome.stderr and "directory" in outcome.stderr
    assert list(directory.iterdir()) == []
    missing = cli("plan", "prod-eu", "--out", str(tmp_path / "no" / "such" / "plan.json"))
    assert missing.code == 2
    assert "--out" in missing.stderr
    assert not (tmp_path / "no").exists()


def test_console_script_prints_the_same_plan_across_processes(
    seeded: Seeded, tmp_path: Path
) -> None:
    """Separate interpreters (different hash seeds) must print byte-identical plans."""
    import os
    import shutil
    import subprocess
    import sys

    script = shutil.which("greentic-iac", path=str(Path(sys.executable).parent))
    assert script is not None, "the greentic-iac console script is not installed in the venv"
    outputs = []
    for seed in ("1", "2"):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENTIC_", "AWS_"))}
        env["PYTHONHASHSEED"] = seed
        proc = subprocess.run(
            [script, "--home", str(seeded.home), "plan", "zain-prod", "--canonical"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["target"] == "greentic.deployer.k8s"
