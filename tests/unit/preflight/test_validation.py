"""What the env-pack manifest tests use to reject bad requirements before a user sees them."""

from __future__ import annotations

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.preflight import KNOWN_PROBES, KNOWN_TOOLS, validate_requirement
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement


def test_known_names_are_exported() -> None:
    assert "pulumi" in KNOWN_TOOLS
    assert {
        "aws-caller-identity",
        "kubectl-can-i",
        "kubectl-namespace",
        "gcloud-auth-list",
        "az-account-show",
        "pulumi-backend",
    } == KNOWN_PROBES


@pytest.mark.parametrize(
    "requirement",
    [
        ToolRequirement(tool="pulumi", min_version="3.100.0"),
        ToolRequirement(tool="kubectl"),
        ProbeRequirement(probe="aws-caller-identity"),
        ProbeRequirement(
            probe="kubectl-can-i",
            params={"verb": "create", "resource": "deployments", "namespace": "{{ settings.ns }}"},
        ),
        ProbeRequirement(probe="pulumi-backend", params={"backend": "file://~/.pulumi"}),
    ],
)
def test_valid_requirements_pass(requirement: ToolRequirement | ProbeRequirement) -> None:
    validate_requirement(requirement)


@pytest.mark.parametrize(
    ("requirement", "fragment"),
    [
        (ToolRequirement(tool="terraformm"), "unknown tool 'terraformm'"),
        (ToolRequirement(tool="pulumi", min_version="latest"), "tool pulumi: min_version"),
        (ProbeRequirement(probe="aws-whoami"), "unknown probe 'aws-whoami'"),
        (ProbeRequirement(probe="kubectl-can-i", params={"verb": "get"}), "missing resource"),
        (
            ProbeRequirement(probe="gcloud-auth-list", params={"project": "x"}),
            "unknown project",
        ),
    ],
)
def test_bad_requirements_are_refused_in_one_line(
    requirement: ToolRequirement | ProbeRequirement, fragment: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_requirement(requirement)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
