"""Stack config rendering and the program's glue functions (no Pulumi engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Finding, Plan, Severity
from greentic_iac.program import (
    compile_environment,
    environment_id_for_stack,
    greentic_home,
    store_url,
)
from greentic_iac.pulumi.engine import config_changes
from greentic_iac.pulumi.project import project_file_text, virtualenv_option
from greentic_iac.pulumi.stack_config import (
    portable_home,
    portable_store,
    render_stack_config,
    stack_config_path,
)
from greentic_iac.spec import CapabilitySlot, PackDescriptor, local_environment
from greentic_iac.spec.environment import Cloud, DeploymentCtx, EnvPackBinding, Platform
from greentic_iac.spec.state import EnvironmentState


def _state(cloud: Cloud = Cloud.LOCAL, region: str | None = None) -> EnvironmentState:
    environment = local_environment("prod-eu")
    packs = list(environment.packs)
    if cloud == Cloud.AWS:
        # The region is the AWS ECS target's provider setting (Target.provider_config).
        packs = [
            EnvPackBinding(
                slot=CapabilitySlot.DEPLOYER,
                kind=PackDescriptor.parse("greentic.deployer.aws-ecs@1.0.0"),
                pack_ref="builtin",
            )
            if binding.slot == CapabilitySlot.DEPLOYER
            else binding
            for binding in packs
        ]
    environment = environment.model_copy(
        update={
            "deployment": DeploymentCtx(cloud=cloud, region=region, platform=Platform.ECS),
            "packs": packs,
        }
    )
    return EnvironmentState(environment=environment)


def test_stack_config_carries_environment_and_region() -> None:
    text = render_stack_config(
        _state(Cloud.AWS, "eu-west-1"), home=".greentic", store="s3://bucket/prefix"
    )
    document = yaml.safe_load(text)
    assert document == {
        "config": {
            "greentic:environment": "prod-eu",
            "greentic:home": ".greentic",
            "greentic:store": "s3://bucket/prefix",
            "aws:region": "eu-west-1",
        }
    }
    assert stack_config_path("prod-eu") == "stacks/Pulumi.prod-eu.yaml"


def test_secrets_are_instructions_never_values() -> None:
    text = render_stack_config(_state(), secret_names=["greentic:dbPassword"])
    assert "pulumi config set --secret greentic:dbPassword --stack prod-eu" in text
    assert "secure:" not in text
    assert "dbPassword" not in str(yaml.safe_load(text)["config"])


def test_stack_name_is_the_environment_unless_configured() -> None:
    assert environment_id_for_stack("prod-eu") == "prod-eu"
    assert environment_id_for_stack("acme/greentic-iac/prod-eu") == "prod-eu"
    assert environment_id_for_stack("dev", "local") == "local"
    with pytest.raises(InvalidInputError, match="environment_id"):
        environment_id_for_stack("Not_A_Label")


def test_home_from_config_then_environment_variable() -> None:
    assert greentic_home("/a", {"GREENTIC_HOME": "/b"}) == Path("/a")
    assert greentic_home(None, {"GREENTIC_HOME": "/b"}) == Path("/b")
    assert greentic_home(None, {}) is None


def test_compile_environment_refuses_error_findings() -> None:
    def failing(state: EnvironmentState) -> Plan:
        return Plan(
            environment_id="prod-eu",
            target="t",
            findings=[Finding(severity=Severity.ERROR, code="bad", message="no way", subject="x")],
        )

    with pytest.raises(InvalidInputError, match=r"bad: no way \(x\)"):
        compile_environment(_state(), failing)


def test_pulumi_project_file_points_at_the_program() -> None:
    root = Path(__file__).resolve().parents[3]
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    assert project["name"] == "greentic-iac"
    assert project["stackConfigDir"] == "stacks"
    assert (root / project["main"] / "__main__.py").is_file()


def test_relative_home_resolves_against_the_project_root(tmp_path: Path) -> None:
    assert greentic_home(".greentic", {}, project_root=tmp_path) == tmp_path / ".greentic"
    assert greentic_home("/srv/g", {"GREENTIC_HOME": "/b"}, project_root=tmp_path) == Path("/srv/g")


def test_store_url_from_config_then_environment_variable() -> None:
    assert store_url("s3://a/p", {"GREENTIC_STORE": "s3://b/q"}) == "s3://a/p"
    assert store_url(None, {"GREENTIC_STORE": "s3://b/q"}) == "s3://b/q"
    assert store_url(None, {}) is None


def test_only_a_home_inside_the_project_or_a_remote_store_is_portable(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "state" / "home").mkdir(parents=True)
    assert portable_home(project / "state" / "home", project) == "state/home"
    assert portable_home(project / "state" / ".." / "state" / "home", project) == "state/home"
    assert portable_home(tmp_path / "elsewhere", project) is None
    assert portable_home(project, project) == "."
    assert portable_store("s3://bucket/prefix") == "s3://bucket/prefix"
    assert portable_store("file:///srv/greentic") is None
    assert portable_store(None) is None


def test_virtualenv_is_relative_inside_the_project_and_absent_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    venv = tmp_path / "repo" / ".venv"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    assert virtualenv_option(tmp_path / "repo") == ".venv"
    assert virtualenv_option(tmp_path / "other") is None
    assert virtualenv_option(None) == str(venv.resolve())  # the engine's own project
    monkeypatch.setattr(sys, "base_prefix", str(venv))
    assert virtualenv_option(tmp_path / "repo") is None
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    options = yaml.safe_load(project_file_text(tmp_path / "repo"))["runtime"]["options"]
    assert options["virtualenv"] == ".venv"
    assert "virtualenv" not in yaml.safe_load(project_file_text(tmp_path / "x"))["runtime"].get(
        "options", {}
    )


def test_config_changes_name_only_what_differs() -> None:
    from pulumi.automation import ConfigValue

    current = {
        "greentic:environment": ConfigValue("prod-eu"),
        "aws:region": ConfigValue("eu-west-1", secret=True),
    }
    wanted = {"greentic:environment": "prod-eu", "aws:region": "eu-west-1", "x:y": "z"}
    assert config_changes(current, wanted) == {"aws:region": "eu-west-1", "x:y": "z"}
    assert config_changes({k: ConfigValue(v) for k, v in wanted.items()}, wanted) == {}
