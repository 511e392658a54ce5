"""The generated workflows pass real linters: zizmor (GitHub Actions security, offline, the
default persona) with no finding, and check-jsonschema against the GitHub-workflow and
GitLab-CI schemas it vendors. Both come from PyPI through the dev extra."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from greentic_iac.ci.workflows import WorkflowOptions, render_workflow

COMMIT = "0123456789abcdef0123456789abcdef01234567"
VARIANTS = {
    "defaults": WorkflowOptions(),
    "vcs-source": WorkflowOptions(
        install_source=f"git+https://git.example.com/acme/greentic-iac@{COMMIT}",
        python_version="3.12",
        greentic_home="ops/greentic",
    ),
    "index-source": WorkflowOptions(
        install_source="==0.1.0",
        index_url="https://pypi.example.com/simple",
        gitlab_image="python:3.11@sha256:" + "b" * 64,
    ),
}


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (the dev extra brings it)")
    return found


def write(tmp_path: Path, provider: str, options: WorkflowOptions) -> Path:
    relative, text = render_workflow(provider, options=options)  # type: ignore[arg-type]
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_zizmor_finds_nothing_in_the_github_workflow(tmp_path: Path, variant: str) -> None:
    path = write(tmp_path, "github", VARIANTS[variant])
    proc = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--no-config",
            "--no-ignores",
            "--format",
            "plain",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("provider", "schema"),
    [("github", "vendor.github-workflows"), ("gitlab", "vendor.gitlab-ci")],
)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_workflow_matches_its_ci_schema(
    tmp_path: Path, provider: str, schema: str, variant: str
) -> None:
    path = write(tmp_path, provider, VARIANTS[variant])
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_linters_catch_what_they_are_here_to_catch(tmp_path: Path) -> None:
    # A linter that passes everything proves nothing: an unpinned action, a checkout that
    # keeps its token and a broad write permission must each be reported.
    _, text = render_workflow("github")
    unsafe = text.replace("permissions: {}", "permissions: write-all", 1)
    unsafe = unsafe.replace(
        "    permissions:\n      pull-requests: write # create or edit this job's own preview comment\n",
        "",
        1,
    )
    unsafe = unsafe.replace("          persist-credentials: false\n", "", 1)
    checkout = next(line for line in text.splitlines() if "uses: actions/checkout@" in line)
    unsafe = unsafe.replace(checkout, checkout.split("@")[0] + "@v4", 1)
    path = tmp_path / ".github" / "workflows" / "unsafe.yml"
    path.parent.mkdir(parents=True)
    path.write_text(unsafe)
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-config", "--format", "plain", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for audit in ("excessive-permissions", "artipacked", "unpinned-uses"):
        assert audit in report, report
    broken = tmp_path / "broken.yml"
    broken.write_text(
        text.replace("runs-on: ubuntu-latest", "runs-on: [1, 2]", 1).replace("jobs:", "jobz:", 1)
    )
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
