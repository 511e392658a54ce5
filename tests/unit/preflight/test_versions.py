"""Version parsing against each catalog tool's real output, and minimum comparison."""

from __future__ import annotations

import pytest

from greentic_iac.preflight.catalog import KNOWN_TOOLS, TOOL_CATALOG
from greentic_iac.preflight.versions import Release, parse_min_version, release_of

# (tool, stdout, stderr, expected version) — formats as the real tools print them.
REAL_OUTPUTS = [
    ("pulumi", "v3.120.0\n", "", "3.120.0"),
    (
        "kubectl",
        '{\n  "clientVersion": {\n    "major": "1",\n    "minor": "32+",\n'
        '    "gitVersion": "v1.32.4-dispatcher",\n    "platform": "linux/amd64"\n  },\n'
        '  "kustomizeVersion": "v5.5.0"\n}\n',
        "",
        "1.32.4-dispatcher",
    ),
    (
        "kubectl",
        '{"clientVersion": {"gitVersion": "v1.29.0-eks-5e0fdde"}}',
        "WARNING: This version information is deprecated\n",
        "1.29.0-eks-5e0fdde",
    ),
    ("kubectl", "Client Version: v1.28.2\nKustomize Version: v5.0.4\n", "", "1.28.2"),
    ("helm", "v3.14.0+g3fc9f4b\n", "", "3.14.0"),
    (
        "helm",
        'version.BuildInfo{Version:"v3.2.1", GitCommit:"fe51cd1", GoVersion:"go1.13.10"}\n',
        "",
        "3.2.1",
    ),
    ("aws", "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22\n", "", "2.15.0"),
    ("aws", "", "aws-cli/1.18.69 Python/2.7.18 Linux/5.4.0 botocore/1.17.0\n", "1.18.69"),
    ("docker", "Docker version 28.2.2, build e6534b4\n", "", "28.2.2"),
    ("docker", "Docker version 20.10.21+dfsg1, build baeda1f\n", "", "20.10.21+dfsg1"),
    ("podman", "podman version 4.9.3\n", "", "4.9.3"),
    (
        "terraform",
        '{\n  "terraform_version": "1.11.4",\n  "platform": "linux_amd64",\n'
        '  "provider_selections": {},\n  "terraform_outdated": false\n}\n',
        "There are some problems with the CLI configuration:\n│ Warning: ...\n",
        "1.11.4",
    ),
    (
        "terraform",
        'Warning: Unable to open CLI configuration file {oops\n{"terraform_version": "1.8.0"}',
        "",
        "1.8.0",
    ),
    ("terraform", "Terraform v1.8.0\non linux_amd64\n", "", "1.8.0"),
    ("tofu", "OpenTofu v1.7.0\non linux_amd64\n", "", "1.7.0"),
    ("gcloud", '{\n  "Google Cloud SDK": "528.0.0",\n  "bq": "2.1.18"\n}\n', "", "528.0.0"),
    ("gcloud", "Google Cloud SDK 471.0.0\nbq 2.1.3\ncore 2024.03.29\n", "", "471.0.0"),
    (
        "az",
        '{\n  "azure-cli": "2.60.0",\n  "azure-cli-core": "2.60.0",\n  "extensions": {}\n}\n',
        "",
        "2.60.0",
    ),
    ("az", "azure-cli                         2.60.0\n\ncore        2.60.0\n", "", "2.60.0"),
]


@pytest.mark.parametrize(("tool", "stdout", "stderr", "expected"), REAL_OUTPUTS)
def test_parser_reads_the_real_output_format(
    tool: str, stdout: str, stderr: str, expected: str
) -> None:
    assert TOOL_CATALOG[tool].parser.parse(stdout, stderr) == expected


def test_every_catalog_tool_has_a_real_output_case() -> None:
    assert {tool for tool, *_ in REAL_OUTPUTS} == KNOWN_TOOLS


@pytest.mark.parametrize("tool", sorted(KNOWN_TOOLS))
@pytest.mark.parametrize(
    "garbage",
    ["", "command not found", "Segmentation fault (core dumped)", "{not json", '{"x": 1}'],
)
def test_garbage_yields_no_version(tool: str, garbage: str) -> None:
    assert TOOL_CATALOG[tool].parser.parse(garbage, garbage) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.100.0", Release(3, 100, 0)),
        ("3.100", Release(3, 100, 0)),
        ("v2", Release(2, 0, 0)),
        (">= 1.2.3", Release(1, 2, 3)),
        (">=1.2.3", Release(1, 2, 3)),
    ],
)
def test_min_version_forms(text: str, expected: Release) -> None:
    assert parse_min_version(text) == expected


@pytest.mark.parametrize("text", ["", "latest", "1.x", "^1.2", "1.2.3.4", "1.2.3-rc1", "<2"])
def test_malformed_min_version_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="min_version"):
        parse_min_version(text)


def test_vendor_suffix_compares_as_its_release() -> None:
    found = release_of("1.32.4-dispatcher")
    assert found == Release(1, 32, 4)
    assert found >= parse_min_version("1.32.4")
    assert found < parse_min_version("1.33")
    assert release_of("3.99.9") < parse_min_version("3.100.0")  # type: ignore[operator]
