"""Install hints: every tool has all four, and the detected platform's comes first."""

from __future__ import annotations

import pytest

from greentic_iac.preflight.catalog import KNOWN_TOOLS, TOOL_CATALOG
from greentic_iac.preflight.platforms import detect_platform, manager_order
from greentic_iac.preflight.tools import install_hint

EXPECTED_TOOLS = {
    "pulumi",
    "kubectl",
    "helm",
    "aws",
    "docker",
    "podman",
    "terraform",
    "tofu",
    "gcloud",
    "az",
}


def test_catalog_covers_the_issue_list() -> None:
    assert KNOWN_TOOLS == EXPECTED_TOOLS


@pytest.mark.parametrize("tool", sorted(EXPECTED_TOOLS))
def test_every_tool_has_every_hint(tool: str) -> None:
    hints = TOOL_CATALOG[tool].hints
    assert hints.apt and hints.brew and hints.scoop
    assert hints.url.startswith("https://")


@pytest.mark.parametrize(
    ("sys_platform", "first"),
    [("linux", "apt:"), ("darwin", "brew:"), ("win32", "scoop:"), ("freebsd13", "apt:")],
)
def test_detected_platform_hint_comes_first(sys_platform: str, first: str) -> None:
    platform = detect_platform(sys_platform)
    hint = install_hint("terraform", platform, purpose="the terraform exporter")
    body = hint.split(": ", 1)[1]
    assert body.startswith(first)
    assert "(needed for the terraform exporter)" in hint
    # All three managers and the official page are still there.
    for manager in ("apt:", "brew:", "scoop:", "see https://developer.hashicorp.com"):
        assert manager in hint


def test_manager_order_is_a_permutation() -> None:
    for platform in ("linux", "macos", "windows"):
        assert sorted(manager_order(platform)) == ["apt", "brew", "scoop"]
