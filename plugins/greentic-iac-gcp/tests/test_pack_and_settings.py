"""The plug-in as greentic-iac sees it: found through the entry point, its manifest valid,
its settings schema generated from the model, its Target complete, bad settings refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from greentic_iac_gcp.handler import CloudRunHandler
from greentic_iac_gcp.schema import SCHEMA_PATH, schema_text
from greentic_iac_gcp.settings import CloudRunSettings
from greentic_iac_gcp.target import TARGET

from greentic_iac.envpacks import EnvPackRegistry
from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.target import Target
from greentic_iac.targets import target_for, target_of
from tests.support.cli_runner import run_cli

from .cases import CASES, base_settings, one_deployment, ready, state_with

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "environment.json"


def test_the_settings_schema_file_is_generated_from_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "stale: run `python -m greentic_iac_gcp.schema`"
    )


def test_the_registry_finds_the_pack_through_its_entry_point() -> None:
    registry = EnvPackRegistry.discover()
    handler = registry.resolve("greentic.deployer.cloud-run@1.0.0")
    assert isinstance(handler, CloudRunHandler)
    assert handler.manifest.schema_dict()["title"] == "greentic.deployer.cloud-run settings"
    found = target_of(handler)
    assert found is TARGET and isinstance(found, Target)
    assert target_for(CASES["one-revision-http"]()) is TARGET


def test_the_target_offers_every_member_a_cloud_deployer_needs() -> None:
    assert TARGET.engine == "pulumi"
    assert TARGET.limits is not None and TARGET.credentials is not None
    assert TARGET.traffic_method == "gcp-urlmap-weight-0-1000"
    assert dict(TARGET.sdk_modules) == {"gcp:": "pulumi_gcp"}
    assert TARGET.install_hint and "greentic-iac-gcp" in TARGET.install_hint
    assert set(TARGET.exports) == {"gcp-url-map"}
    assert TARGET.provider_config is not None
    assert TARGET.provider_config(CASES["one-revision-http"]()) == {
        "gcp:project": "acme-prod-123",
        "gcp:region": "europe-west1",
    }
    # A cloud target takes a change at the next `up`: no hooks, no local engine.
    assert TARGET.hooks is None
    assert TARGET.health is not None


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"region": "europe-west1"}, "project"),
        ({"project": "Acme", "region": "europe-west1"}, "project"),
        ({**base_settings(), "service": {"min_instances": 5, "max_instances": 2}}, "min_instances"),
        (
            {**base_settings(), "service": {"secrets": {"DB": "hunter2"}}},
            "Secret Manager reference",
        ),
        ({**base_settings(), "service": {"secrets": {"PORT": "projects/p1234/secrets/x"}}}, "PORT"),
        ({**base_settings(), "invoker": "everyone"}, "invoker"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(settings: dict, field: str) -> None:
    from greentic_iac_gcp import load_settings

    with pytest.raises(InvalidInputError, match=field):
        load_settings(state_with(settings, []))


def test_a_bad_revision_override_is_an_error_finding_not_a_crash() -> None:
    from greentic_iac_gcp import compile_plan

    plan = compile_plan(state_with(base_settings(), one_deployment([ready(10_000, memory="lots")])))
    # The revision gets no resources, so the split that weights it can't be routed either.
    invalid, unroutable = plan.errors
    assert invalid.code == "invalid-settings" and ".settings: memory" in invalid.message
    assert unroutable.code == "weighted-revision-missing"


def test_env_create_with_bad_settings_exits_2_naming_the_field(tmp_path: Path) -> None:
    answers = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    answers["packs"][0]["settings"]["region"] = "Europe West"
    path = tmp_path / "env.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    outcome = run_cli(tmp_path / "home", "env", "create", "--answers", str(path))
    assert outcome.code == 2, outcome.stdout
    assert "region" in outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert not (tmp_path / "home" / "environments").exists() or not any(
        (tmp_path / "home" / "environments").iterdir()
    )


def test_the_example_environment_validates_against_the_settings_model() -> None:
    answers = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    CloudRunSettings.model_validate(answers["packs"][0]["settings"])
