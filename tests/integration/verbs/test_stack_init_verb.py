"""``stack init ENV [--dir DIR]``: the stack config and, when missing, the project file."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from greentic_iac.bundles import scan_path
from greentic_iac.operations.planning import compile_environment
from greentic_iac.plan import Plan
from greentic_iac.pulumi.testing import Capture, differences, run_under_mocks, wanted_outputs
from greentic_iac.store import open_store
from tests.integration.verbs.conftest import Outcome, Seeded, tree_snapshot

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]


def test_empty_directory_becomes_a_pulumi_project(cli: Cli, seeded: Seeded, tmp_path: Path) -> None:
    project = tmp_path / "infra"
    project.mkdir()
    outcome = cli("stack", "init", "prod-eu", "--dir", str(project))
    assert outcome.code == 0, outcome.stderr
    result = outcome.result
    assert result["written"] == ["Pulumi.yaml", "__main__.py", "stacks/Pulumi.prod-eu.yaml"]
    assert result["replaced"] is False
    assert result["next"] == "pulumi up -s prod-eu"
    config = yaml.safe_load((project / "stacks" / "Pulumi.prod-eu.yaml").read_text("utf-8"))
    # The home lies outside DIR: the committed file leaves it to GREENTIC_HOME.
    assert config == {
        "config": {
            "greentic:environment": "prod-eu",
            "aws:region": "eu-west-1",
        }
    }
    assert "GREENTIC_HOME" in result["store"]
    pulumi_project = yaml.safe_load((project / "Pulumi.yaml").read_text("utf-8"))
    assert pulumi_project["name"] == "greentic-iac"
    assert pulumi_project["stackConfigDir"] == "stacks"
    assert "main" not in pulumi_project  # the shim in DIR is the program
    # This virtualenv lies outside DIR: Pulumi takes python from PATH, no path is written.
    assert "virtualenv" not in pulumi_project["runtime"].get("options", {})
    for written in result["written"]:
        text = (project / written).read_text("utf-8")
        assert sys.prefix not in text and str(tmp_path) not in text
    shim = (project / "__main__.py").read_text("utf-8")
    assert "from greentic_iac.program import run" in shim
    compile(shim, "__main__.py", "exec")
    assert scan_path(project) == []


def test_kubernetes_context_and_rerun_replaces_only_the_stack_file(
    cli: Cli, tmp_path: Path
) -> None:
    project = tmp_path / "infra"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: mine\nruntime: python\n", encoding="utf-8")
    first = cli("stack", "init", "zain-prod", "--dir", str(project))
    assert first.code == 0, first.stderr
    assert first.result["written"] == ["stacks/Pulumi.zain-prod.yaml"]
    assert (project / "Pulumi.yaml").read_text("utf-8") == "name: mine\nruntime: python\n"
    assert not (project / "__main__.py").exists()
    stack_file = project / "stacks" / "Pulumi.zain-prod.yaml"
    config = yaml.safe_load(stack_file.read_text("utf-8"))["config"]
    assert config["kubernetes:context"] == "zain-prod-eks"
    stack_file.write_text("config: {}\n", encoding="utf-8")
    again = cli("stack", "init", "zain-prod", "--dir", str(project))
    assert again.result["replaced"] is True
    assert yaml.safe_load(stack_file.read_text("utf-8"))["config"] == config


def test_missing_directory_unknown_environment_and_stray_main_are_exit_2(
    cli: Cli, tmp_path: Path
) -> None:
    missing = cli("stack", "init", "prod-eu", "--dir", str(tmp_path / "nope"))
    assert missing.code == 2 and "--dir" in missing.stderr
    assert not (tmp_path / "nope").exists()
    project = tmp_path / "infra"
    project.mkdir()
    unknown = cli("stack", "init", "nowhere", "--dir", str(project))
    assert unknown.code == 2 and "nowhere" in unknown.stderr
    (project / "__main__.py").write_text("print('mine')\n", encoding="utf-8")
    before = tree_snapshot(project)
    stray = cli("stack", "init", "prod-eu", "--dir", str(project))
    assert stray.code == 2 and "__main__.py" in stray.stderr
    assert tree_snapshot(project) == before


def _run_program_under_mocks(project: Path, stack: str, plan: Plan) -> Capture:
    """The shim's ``run()`` as ``pulumi up`` in ``project`` would run it: the stack file's
    config, the project root, no GREENTIC_HOME."""
    import pulumi.runtime
    from pulumi.runtime import settings

    from greentic_iac.program import run

    stack_config = yaml.safe_load((project / "stacks" / f"Pulumi.{stack}.yaml").read_text())

    def program() -> None:
        settings.SETTINGS.root_directory = str(project)
        pulumi.runtime.set_all_config(stack_config["config"])
        run()

    return run_under_mocks(program, stack=stack, outputs_wanted=wanted_outputs(plan))


def test_the_same_stack_file_works_from_another_directory(
    run_cli: Callable[..., Outcome],
    seeded: Seeded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GREENTIC_HOME", raising=False)
    monkeypatch.delenv("GREENTIC_STORE", raising=False)
    first = tmp_path / "machine-a" / "repo"
    first.mkdir(parents=True)
    shutil.copytree(seeded.home, first / ".greentic")
    outcome = run_cli(first / ".greentic", "stack", "init", "prod-eu", "--dir", str(first))
    assert outcome.code == 0, outcome.stderr
    stack_file = first / "stacks" / "Pulumi.prod-eu.yaml"
    assert yaml.safe_load(stack_file.read_text())["config"]["greentic:home"] == ".greentic"

    # "Clone" the repository onto another machine; the first one is gone.
    second = tmp_path / "machine-b" / "checkout"
    shutil.copytree(first, second)
    shutil.rmtree(tmp_path / "machine-a")
    for name in ("Pulumi.yaml", "__main__.py", "stacks/Pulumi.prod-eu.yaml"):
        assert "machine-a" not in (second / name).read_text("utf-8")

    monkeypatch.chdir(tmp_path)  # the program must not depend on the working directory
    plan = compile_environment(open_store(home=second / ".greentic").load("prod-eu"))
    capture = _run_program_under_mocks(second, "prod-eu", plan)
    assert plan.resources and not differences(plan, capture)
