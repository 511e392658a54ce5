"""Stack config rendering and the program's glue functions (no Pulumi engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Finding, Plan, Severity
from greentic_iac.program import compile_environment, environment_id_for_stack, greentic_home
from greentic_iac.pulumi.stack_config import render_stack_config, stack_config_path
from greentic_iac.spec import local_environment
from greentic_iac.spec.environment import Cloud, DeploymentCtx, Platform
from greentic_iac.spec.state import EnvironmentState


def _state(cloud: Cloud = Cloud.LOCAL, region: str | None = None) -> EnvironmentState:
    environment = local_environment("prod-eu").model_copy(
        update={
            "deployment": DeploymentCtx(cloud=cloud, region=region, platform=Platform.ECS),
        }
    )
    return EnvironmentState(environment=environment)


def test_stack_config_carries_environment_and_region() -> None:
    text = render_stack_config(_state(Cloud.AWS, "eu-west-1"), home="/srv/greentic")
    document = yaml.safe_load(text)
    assert document == {
        "config": {
            "greentic:environment": "prod-eu",
            "greentic:home": "/srv/greentic",
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
