"""``{{ settings.x }}`` placeholders in probe params are filled from binding settings."""

from __future__ import annotations

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.preflight import fill_placeholders
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement


def test_fills_whole_and_embedded_placeholders_keeping_types() -> None:
    requirement = ProbeRequirement(
        probe="kubectl-can-i",
        params={
            "verb": "create",
            "resource": "deployments",
            "namespace": "{{ settings.namespace }}",
            "context": "ctx-{{settings.cluster.name}}",
            "port": "{{ settings.port }}",
            "list": ["{{ settings.namespace }}", 3],
        },
    )
    filled = fill_placeholders(
        requirement, {"namespace": "shop", "cluster": {"name": "eu1"}, "port": 8080}
    )
    assert filled.params == {
        "verb": "create",
        "resource": "deployments",
        "namespace": "shop",
        "context": "ctx-eu1",
        "port": 8080,
        "list": ["shop", 3],
    }
    # The manifest's requirement is not mutated (it is shared by every binding).
    assert requirement.params["namespace"] == "{{ settings.namespace }}"


def test_missing_setting_names_the_param_and_the_setting() -> None:
    requirement = ProbeRequirement(
        probe="kubectl-can-i", params={"namespace": "{{ settings.namespace }}"}
    )
    with pytest.raises(InvalidInputError) as caught:
        fill_placeholders(requirement, {"other": "x"})
    message = str(caught.value)
    assert "probe kubectl-can-i params.namespace" in message
    assert "settings.namespace" in message
    assert "\n" not in message


def test_tool_requirements_pass_through() -> None:
    requirement = ToolRequirement(tool="kubectl", min_version="1.28.0")
    assert fill_placeholders(requirement, {}) is requirement
