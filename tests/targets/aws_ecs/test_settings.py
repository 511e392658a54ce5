"""The settings model refuses bad input naming the field, and its schema file is fresh."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError
from greentic_iac.targets.aws_ecs import AwsEcsSettings, compile_plan
from greentic_iac.targets.aws_ecs.schema import schema_path, schema_text
from greentic_iac.targets.aws_ecs.settings import ServiceSettings, merged_service_settings
from tests.targets.aws_ecs.cases import CERT, base_settings, one_deployment, ready, state_with


def test_schema_file_is_generated_from_the_model() -> None:
    assert schema_path().read_text(encoding="utf-8") == schema_text(), (
        "stale schema: run `python -m greentic_iac.targets.aws_ecs.schema`"
    )


def test_schema_accepts_what_the_model_accepts_and_refuses_extras() -> None:
    schema = json.loads(schema_text())
    good = base_settings(tls={"certificate_arn": CERT})
    jsonschema.validate(good, schema)
    AwsEcsSettings.model_validate(good)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "typo": 1}, schema)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cpu": 256, "memory": 4096}, "memory 4096 MiB is not valid with cpu 256"),
        ({"cpu": 300}, "cpu 300 is not a Fargate size"),
        ({"stickiness_seconds": 604_801}, "stickiness_seconds"),
        ({"stickiness_seconds": 0}, "stickiness_seconds"),
        ({"secrets": {"DB": "plain-text-password"}}, "secrets.DB: must be a Secrets Manager"),
        ({"secrets": {"bad-name": "arn:aws:ssm:eu-west-1:123456789012:parameter/x"}}, "bad-name"),
        ({"health_check": {"interval": 5, "timeout": 5}}, "timeout must be less than"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_service_overrides_are_validated(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        merged_service_settings(ServiceSettings(), overrides)


def test_health_check_override_merges_one_level() -> None:
    merged = merged_service_settings(ServiceSettings(), {"health_check": {"path": "/ready"}})
    assert merged.health_check.path == "/ready"
    assert merged.health_check.interval == ServiceSettings().health_check.interval


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"region": "eu-west-1", "log_retention_days": 2}, "log_retention_days"),
        ({"region": "Europe"}, "region"),
        ({"region": "eu-west-1", "network": {"mode": "existing", "vpc_id": "x"}}, "network"),
        ({"region": "eu-west-1", "tls": {"certificate_arn": "not-an-arn"}}, "tls"),
    ],
)
def test_bad_deployer_settings_refuse_the_compile(
    settings: dict[str, object], fragment: str
) -> None:
    state = state_with(settings, one_deployment([ready(10_000)]))
    with pytest.raises(InvalidInputError, match=fragment) as error:
        compile_plan(state)
    # Every problem is listed, one line each, each naming where it is.
    assert all(line.startswith("deployer settings: ") for line in str(error.value).splitlines())


def test_bad_deployment_override_is_an_error_finding_naming_the_field() -> None:
    state = state_with(
        base_settings(), one_deployment([ready(10_000)], settings={"cpu": 256, "memory": 8192})
    )
    plan = compile_plan(state)
    assert [f.code for f in plan.errors] == ["invalid-settings"]
    assert "deployments.01J9DEP0000000000000000001.settings" in plan.errors[0].message


def test_missing_image_rule_is_an_error_finding() -> None:
    state = state_with({"region": "eu-west-1"}, one_deployment([ready(10_000)]))
    plan = compile_plan(state)
    assert "no-image" in [f.code for f in plan.errors]
