"""Each preflight check says which verbs need it: the aws CLI is for ``credentials
validate`` only, so ``up``/``destroy``/``drift`` on AWS ECS never require it (Pulumi talks
to AWS through its provider), while ``env tool-check`` still reports it, marked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.cli.commands.packs import GATED_VERBS, checks_for, needed_by
from greentic_iac.envpacks import EnvPackRegistry, binding_requirements
from greentic_iac.spec import Environment
from greentic_iac.store import open_store
from tests.support.cli_runner import run_cli

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "aws-ecs" / "environment.json"


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    """The AWS ECS example, created through the CLI in a fresh home."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GREENTIC_GRANT", "prod-eu")
        outcome = run_cli(home, "env", "create", "--answers", str(EXAMPLE))
    assert outcome.code == 0, outcome.stderr
    state = open_store(home=home).load(json.loads(EXAMPLE.read_text())["environment_id"])
    found: Environment = state.environment
    return found


@pytest.fixture
def rows(environment: Environment) -> list[Any]:
    found: list[Any] = binding_requirements(environment, EnvPackRegistry.discover())
    return found


def _names(checks: list[tuple[str, str, list[Any]]]) -> set[str]:
    return {
        getattr(r, "tool", None) or getattr(r, "probe", "") for _, _, found in checks for r in found
    }


@pytest.mark.parametrize("verb", ["up", "destroy", "drift", "preview --engine pulumi"])
def test_the_gated_verbs_do_not_need_the_aws_cli(verb: str, rows: list[Any]) -> None:
    names = _names(checks_for(rows, verb))
    assert "pulumi" in names and "aws-caller-identity" in names
    assert "aws" not in names


def test_tool_check_and_credentials_validate_keep_it(rows: list[Any]) -> None:
    assert "aws" in _names(checks_for(rows, None))
    assert "aws" in _names(checks_for(rows, "credentials validate"))
    verbs = {
        getattr(r, "tool", None) or getattr(r, "probe", ""): needed_by(r)
        for _, _, found in checks_for(rows, None)
        for r in found
    }
    assert verbs["aws"] == ["credentials validate"]
    assert verbs["pulumi"] == list(GATED_VERBS)
