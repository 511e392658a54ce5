"""Runner and report logic that needs no external process: missing tools, manifest bugs,
the skip rule, de-duplication, the report shape and the gate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError, PreflightError
from greentic_iac.preflight import (
    CheckOutcome,
    CheckStatus,
    build_tool_check_report,
    gate,
    report_from_outcomes,
    run_requirements,
)
from greentic_iac.preflight.probes import file_backend_path
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement


@pytest.fixture
def empty_path(tmp_path: Path) -> str:
    directory = tmp_path / "bin"
    directory.mkdir()
    return str(directory)


def test_missing_tool_fails_with_install_hints(empty_path: str) -> None:
    [outcome] = run_requirements(
        [ToolRequirement(tool="helm", min_version="3.12.0", purpose="chart rendering")],
        path=empty_path,
        platform="macos",
    )
    assert outcome.check == "tool:helm"
    assert outcome.status is CheckStatus.FAILED
    assert outcome.found is None
    assert outcome.required == ">= 3.12.0"
    assert outcome.detail == "helm not found on PATH"
    assert outcome.hint is not None
    assert outcome.hint.startswith("install helm (needed for chart rendering): brew: brew install")


@pytest.mark.skipif(shutil.which("pulumi") is not None, reason="a pulumi CLI is installed here")
def test_this_machine_reports_pulumi_missing_with_hints() -> None:
    [outcome] = run_requirements([ToolRequirement(tool="pulumi", min_version="3.100.0")])
    assert outcome.status is CheckStatus.FAILED
    assert outcome.hint is not None
    for fragment in ("get.pulumi.com", "brew install pulumi/tap/pulumi", "scoop install pulumi"):
        assert fragment in outcome.hint


def test_manifest_bugs_fail_without_crashing(empty_path: str) -> None:
    outcomes = run_requirements(
        [
            ToolRequirement(tool="nosuchtool"),
            ToolRequirement(tool="kubectl", min_version="one.two"),
            ProbeRequirement(probe="nosuch-probe"),
            ProbeRequirement(probe="kubectl-can-i", params={"verb": "get"}),
            ProbeRequirement(
                probe="kubectl-can-i",
                params={"verb": "get", "resource": "pods", "namespace": "{{ settings.ns }}"},
            ),
        ],
        path=empty_path,
    )
    assert [o.status for o in outcomes] == [CheckStatus.FAILED] * 5
    assert "unknown tool 'nosuchtool'" in (outcomes[0].detail or "")
    assert "min_version 'one.two'" in (outcomes[1].detail or "")
    assert "unknown probe 'nosuch-probe'" in (outcomes[2].detail or "")
    assert "missing resource" in (outcomes[3].detail or "")
    assert "placeholders" in (outcomes[4].detail or "")


def test_probe_is_skipped_when_its_missing_cli_is_already_reported(empty_path: str) -> None:
    can_i = ProbeRequirement(probe="kubectl-can-i", params={"verb": "get", "resource": "pods"})
    together = run_requirements([ToolRequirement(tool="kubectl"), can_i], path=empty_path)
    assert [o.status for o in together] == [CheckStatus.FAILED, CheckStatus.SKIPPED]
    assert together[1].detail == "kubectl not found; see tool:kubectl"
    # Alone, the probe itself must fail and carry the install hint.
    [alone] = run_requirements([can_i], path=empty_path)
    assert alone.status is CheckStatus.FAILED
    assert alone.hint is not None and "install kubectl" in alone.hint


def test_identical_requirements_share_one_outcome(empty_path: str) -> None:
    requirement = ToolRequirement(tool="docker")
    outcomes = run_requirements([requirement, ToolRequirement(tool="docker")], path=empty_path)
    assert outcomes[0] == outcomes[1]


def test_non_positive_timeout_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="timeout"):
        run_requirements([], timeout=0)


def test_env_path_is_used_for_lookup_when_no_path_given(empty_path: str) -> None:
    [outcome] = run_requirements([ToolRequirement(tool="kubectl")], env={"PATH": empty_path})
    assert outcome.status is CheckStatus.FAILED


def test_file_backend_writable_or_creatable(tmp_path: Path, empty_path: str) -> None:
    existing = tmp_path / "state"
    existing.mkdir()
    requirements = [
        ProbeRequirement(probe="pulumi-backend", params={"backend": f"file://{existing}"}),
        ProbeRequirement(probe="pulumi-backend", params={"backend": f"file://{tmp_path}/a/b"}),
    ]
    outcomes = run_requirements(requirements, path=empty_path)
    assert [o.status for o in outcomes] == [CheckStatus.OK, CheckStatus.OK]
    assert "(will be created)" in (outcomes[1].detail or "")
    assert "pulumi CLI not found" in (outcomes[0].detail or "")
    assert not (tmp_path / "a").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_file_backend_read_only_fails(tmp_path: Path, empty_path: str) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        [outcome] = run_requirements(
            [ProbeRequirement(probe="pulumi-backend", params={"backend": f"file://{locked}/s"})],
            path=empty_path,
        )
    finally:
        locked.chmod(0o700)
    assert outcome.status is CheckStatus.FAILED
    assert "not writable" in (outcome.detail or "")


def test_file_backend_that_is_a_file_fails(tmp_path: Path, empty_path: str) -> None:
    afile = tmp_path / "state.json"
    afile.write_text("{}")
    [outcome] = run_requirements(
        [ProbeRequirement(probe="pulumi-backend", params={"backend": f"file://{afile}"})],
        path=empty_path,
    )
    assert outcome.status is CheckStatus.FAILED
    assert "not a directory" in (outcome.detail or "")


def test_file_backend_under_a_file_fails(tmp_path: Path, empty_path: str) -> None:
    afile = tmp_path / "blocker"
    afile.write_text("")
    [outcome] = run_requirements(
        [ProbeRequirement(probe="pulumi-backend", params={"backend": f"file://{afile}/a/b"})],
        path=empty_path,
    )
    assert outcome.status is CheckStatus.FAILED
    assert f"{afile} is not writable" in (outcome.detail or "")


def test_non_file_backend_needs_the_cli(empty_path: str) -> None:
    [outcome] = run_requirements(
        [ProbeRequirement(probe="pulumi-backend", params={"backend": "s3://bucket/state"})],
        path=empty_path,
    )
    assert outcome.status is CheckStatus.FAILED
    assert outcome.hint is not None and "install pulumi" in outcome.hint


def test_file_backend_url_forms(tmp_path: Path) -> None:
    assert file_backend_path("file://~") == Path.home()
    assert file_backend_path("file://~/.pulumi") == Path.home() / ".pulumi"
    assert file_backend_path("file:///var/state") == Path("/var/state")
    assert file_backend_path("file://rel/dir", cwd=tmp_path) == tmp_path / "rel" / "dir"


def test_report_shape_and_local_baseline(empty_path: str) -> None:
    report = build_tool_check_report(
        [
            ("deployer", "greentic.deployer.local-process@0.1.0", []),
            ("secrets", "greentic.secrets.dev-store@0.1.0", []),
        ],
        path=empty_path,
    )
    assert report.model_dump(mode="json") == {
        "failed_checks": 0,
        "total_checks": 0,
        "per_binding": [
            {"slot": "deployer", "kind": "greentic.deployer.local-process@0.1.0", "outcomes": []},
            {"slot": "secrets", "kind": "greentic.secrets.dev-store@0.1.0", "outcomes": []},
        ],
    }
    gate(report)  # a clean baseline passes


def test_report_groups_outcomes_per_binding(empty_path: str) -> None:
    report = build_tool_check_report(
        [
            ("deployer", "acme.deployer.k8s@1.0.0", [ToolRequirement(tool="kubectl")]),
            ("secrets", "acme.secrets.local@1.0.0", []),
            ("telemetry", "acme.telemetry.x@1.0.0", [ToolRequirement(tool="kubectl")]),
        ],
        path=empty_path,
    )
    assert report.total_checks == 2
    assert report.failed_checks == 2
    assert [len(b.outcomes) for b in report.per_binding] == [1, 0, 1]
    assert report.per_binding[2].outcomes[0].check == "tool:kubectl"


def _outcome(check: str, status: CheckStatus, **fields: str) -> CheckOutcome:
    return CheckOutcome(check=check, status=status, **fields)


def test_gate_passes_ok_and_skipped_and_refuses_failed_and_timeout() -> None:
    passing = report_from_outcomes(
        [
            ("deployer", "k", [_outcome("tool:a", CheckStatus.OK)]),
            ("state", "k", [_outcome("probe:b", CheckStatus.SKIPPED)]),
        ]
    )
    gate(passing)
    failing = report_from_outcomes(
        [
            (
                "deployer",
                "k",
                [
                    _outcome(
                        "tool:pulumi",
                        CheckStatus.FAILED,
                        detail="pulumi not found on PATH",
                        hint="install pulumi: brew install pulumi/tap/pulumi",
                    ),
                    _outcome("tool:kubectl", CheckStatus.OK),
                ],
            ),
            (
                "state",
                "k",
                [_outcome("probe:aws-caller-identity", CheckStatus.TIMEOUT, detail="x" * 1000)],
            ),
        ]
    )
    assert (failing.failed_checks, failing.total_checks) == (2, 3)
    with pytest.raises(PreflightError) as caught:
        gate(failing)
    assert caught.value.exit_code == 3
    lines = str(caught.value).splitlines()
    assert lines[0] == ("preflight failed: 2 of 3 checks (tool:pulumi, probe:aws-caller-identity)")
    assert lines[1] == "  deployer: tool:pulumi failed: pulumi not found on PATH"
    assert lines[2] == "    hint: install pulumi: brew install pulumi/tap/pulumi"
    assert lines[3].startswith("  state: probe:aws-caller-identity timeout: ")
    assert len(lines[3]) < 260  # long details are cut in the gate message
    assert len(lines) == 4
