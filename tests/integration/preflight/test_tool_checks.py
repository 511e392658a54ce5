"""Tool checks against fake executables on a temporary PATH: every way a tool misbehaves."""

from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

import pytest

from greentic_iac.preflight import CheckStatus, run_requirements
from greentic_iac.spec.checks import ToolRequirement

from .conftest import FakeTool

pytestmark = pytest.mark.integration


def test_recent_enough_tool_is_ok(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("pulumi", 'echo "v3.120.0"')
    [outcome] = run_requirements(
        [ToolRequirement(tool="pulumi", min_version="3.100.0")], path=str(bin_dir)
    )
    assert outcome.status is CheckStatus.OK
    assert outcome.found == "3.120.0"
    assert outcome.detail == str(bin_dir / "pulumi")
    assert outcome.hint is None


def test_too_old_tool_fails_with_upgrade_hint(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("pulumi", 'echo "v3.50.1"')
    [outcome] = run_requirements(
        [ToolRequirement(tool="pulumi", min_version="3.100.0")], path=str(bin_dir)
    )
    assert outcome.status is CheckStatus.FAILED
    assert outcome.found == "3.50.1"
    assert outcome.required == ">= 3.100.0"
    assert outcome.hint is not None and outcome.hint.startswith("upgrade pulumi to >= 3.100.0")


def test_missing_tool_fails(bin_dir: Path) -> None:
    [outcome] = run_requirements([ToolRequirement(tool="terraform")], path=str(bin_dir))
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail == "terraform not found on PATH"


def test_version_on_stderr_is_read(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("aws", 'echo "aws-cli/1.18.69 Python/2.7.18 Linux/5.4.0 botocore/1.17.0" >&2')
    [outcome] = run_requirements(
        [ToolRequirement(tool="aws", min_version="1.18")], path=str(bin_dir)
    )
    assert outcome.status is CheckStatus.OK
    assert outcome.found == "1.18.69"


def test_json_after_warnings_is_read(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool(
        "terraform",
        'echo "Warning: Unable to open CLI configuration file"\n'
        'echo \'{"terraform_version": "1.8.0", "platform": "linux_amd64"}\'',
    )
    [outcome] = run_requirements(
        [ToolRequirement(tool="terraform", min_version="1.5")], path=str(bin_dir)
    )
    assert outcome.status is CheckStatus.OK
    assert outcome.found == "1.8.0"


def test_arguments_are_the_catalogued_version_command(
    fake_tool: FakeTool, bin_dir: Path, tmp_path: Path
) -> None:
    record = tmp_path / "argv"
    fake_tool(
        "kubectl",
        f'echo "$@" > {record}\necho \'{{"clientVersion": {{"gitVersion": "v1.30.1"}}}}\'',
    )
    [outcome] = run_requirements([ToolRequirement(tool="kubectl")], path=str(bin_dir))
    assert outcome.status is CheckStatus.OK
    assert record.read_text().strip() == "version --client -o json"


def test_garbage_output_fails_with_what_it_printed(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("helm", "printf 'Segmentation fault \\377\\376 core dumped\\n'")
    [outcome] = run_requirements([ToolRequirement(tool="helm")], path=str(bin_dir))
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail is not None
    assert "could not read a version" in outcome.detail
    assert "Segmentation fault" in outcome.detail


def test_non_zero_exit_fails_with_output(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("docker", 'echo "Docker version 28.2.2, build x"\necho "boom: no daemon" >&2\nexit 2')
    [outcome] = run_requirements([ToolRequirement(tool="docker")], path=str(bin_dir))
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail is not None
    assert "exited 2" in outcome.detail and "boom: no daemon" in outcome.detail


def test_unrunnable_file_fails(bin_dir: Path) -> None:
    broken = bin_dir / "podman"
    broken.write_bytes(b"\x7fELF not really an executable")
    broken.chmod(0o755)
    [outcome] = run_requirements([ToolRequirement(tool="podman")], path=str(bin_dir))
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail is not None and "could not run" in outcome.detail


def test_hanging_tool_times_out_within_timeout_plus_one_second(
    fake_tool: FakeTool, bin_dir: Path
) -> None:
    fake_tool("gcloud", 'echo "starting"\nexec sleep 30')
    started = time.monotonic()
    [outcome] = run_requirements([ToolRequirement(tool="gcloud")], timeout=1.0, path=str(bin_dir))
    elapsed = time.monotonic() - started
    assert outcome.status is CheckStatus.TIMEOUT
    assert outcome.detail is not None and "starting" in outcome.detail
    assert elapsed < 2.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses pidfd_open")
def test_hanging_tools_run_concurrently_and_children_are_killed(
    fake_tool: FakeTool, bin_dir: Path, tmp_path: Path
) -> None:
    # Each wrapper leaves a background child holding the pipes, as real wrappers do.
    pids = tmp_path / "pids"
    for name in ("tofu", "az", "helm"):
        fake_tool(name, f"sleep 30 &\necho $! >> {pids}\nsleep 30")
    started = time.monotonic()
    outcomes = run_requirements(
        [ToolRequirement(tool=name) for name in ("tofu", "az", "helm")],
        timeout=1.0,
        path=str(bin_dir),
    )
    elapsed = time.monotonic() - started
    assert [o.status for o in outcomes] == [CheckStatus.TIMEOUT] * 3
    assert elapsed < 2.0
    for pid in pids.read_text().split():
        assert _exits_within(int(pid), 2.0), f"child {pid} survived the timeout kill"


def _exits_within(pid: int, seconds: float) -> bool:
    """Wait on a pidfd (an event, not a sleep): SIGKILL is delivered asynchronously."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], seconds)
        return bool(readable)
    finally:
        os.close(fd)


@pytest.mark.reliability
def test_flooding_tool_output_is_capped(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("terraform", "head -c 5000000 /dev/zero | tr '\\0' 'x'\necho 'Terraform v1.9.0'")
    [outcome] = run_requirements([ToolRequirement(tool="terraform")], path=str(bin_dir))
    # The version came after 5 MB of noise: beyond the cap, so not read, and the detail is
    # a short excerpt rather than megabytes.
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail is not None and len(outcome.detail) < 600
