"""The config channel's key rules and precedence, shared by every target."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from greentic_iac.spec.answers import ConfigSetPayload
from greentic_iac.spec.config_keys import is_tool_key, key_problem, workload_config

DEPLOYMENT = "01JDEP00000000000000000001"


def test_deployment_keys_override_and_tool_keys_never_reach_a_workload() -> None:
    environment = {"LOG_LEVEL": "info", "A": "1", "pulumi.backend_url": "s3://state"}
    assert workload_config(environment, {"LOG_LEVEL": "debug"}) == [
        ("A", "1"),
        ("LOG_LEVEL", "debug"),
    ]
    # A key an older state holds that can't be a variable is left out too, not crashed on.
    assert workload_config({"log.level": "x", "OK": "y"}, {}) == [("OK", "y")]


@pytest.mark.parametrize(
    ("key", "deployment", "needle"),
    [
        ("log.level", None, "not an environment variable name"),
        ("1ABC", None, "not an environment variable name"),
        ("PORT", None, "set by greentic-iac"),
        ("GREENTIC_REVISION_ID", DEPLOYMENT, "set by greentic-iac"),
        ("pulumi.backend_url", DEPLOYMENT, "not of a deployment"),
    ],
)
def test_refused_keys_name_the_field(key: str, deployment: str | None, needle: str) -> None:
    assert key_problem(key, per_deployment=deployment is not None) is not None
    with pytest.raises(ValidationError) as caught:
        ConfigSetPayload(environment_id="local", key=key, value="v", deployment_id=deployment)
    assert "key: " in str(caught.value) and needle in str(caught.value)


def test_accepted_keys_and_removing_an_old_key_stays_possible() -> None:
    assert is_tool_key("pulumi.secrets_provider") and not is_tool_key("PULUMI_X")
    for key in ("LOG_LEVEL", "feature_x", "pulumi.backend_url"):
        ConfigSetPayload(environment_id="local", key=key, value="v")
    ConfigSetPayload(environment_id="local", key="log.level", value=None)
