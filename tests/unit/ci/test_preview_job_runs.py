"""Done-when: a fresh repository with only a sample environment, the `ci init` workflow and
the core install runs the offline preview and comments it.

The workflow's own ``run:`` steps are executed as bash scripts, job by job, the way GitHub
runs them (``bash --noprofile --norc -eo pipefail``), in a ``git init`` repository on this
machine. Only what needs GitHub is stood in for: ``uses:`` steps (checkout: we are in the
checkout; setup-python: the core venv is first on PATH; artifacts: the jobs share the
directory), the install step (the local checkout instead of the pinned VCS URL) and the
API (the fake forge on 127.0.0.1). Every ``${{ }}`` expression the steps read must be one
this test knows, so a new one fails here rather than running with a silent blank.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from greentic_iac.ci.comment import marker
from tests.support.cli_runner import run_cli
from tests.support.lock_venv import CORE_LOCK, ROOT, build_wheel, uv_executable, venv_from_lock
from tests.unit.ci.conftest import TOKEN, FakeForge

pytestmark = pytest.mark.integration  # real git, real processes, HTTP on 127.0.0.1

PULL_REQUEST = "12"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# What stands in for the install step: the local checkout's wheel ($3) into the core venv,
# with uv ($2) and its cache ($1). The jobs share that venv here, so only the first builds it.
LOCAL_INSTALL = (
    'command -v greentic-iac || UV_CACHE_DIR="$1" "$2" pip install --quiet '
    '--offline --no-deps --python "$(command -v python)" "$3"'
)


@pytest.fixture(scope="module")
def core_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("core-ci") / "venv"
    venv_from_lock(venv, CORE_LOCK)
    yield venv / "bin"


@functools.cache
def uv_cache_dir() -> str:
    """The cache make venv filled (a job's HOME is its own, so uv would look elsewhere)."""
    return subprocess.run(
        [uv_executable(), "cache", "dir"], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()


@pytest.fixture(scope="module")
def local_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local checkout as a wheel: what the install step installs instead of the VCS URL."""
    return build_wheel(tmp_path_factory.mktemp("dist"))


def git(repo: Path, *argv: str) -> str:
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(repo.parent),
        "GIT_AUTHOR_NAME": "dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *argv],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
        env=environ,
    ).stdout.strip()


class Runner:
    """Runs one workflow job's steps in ``repo`` with a GitHub-like environment."""

    def __init__(
        self, workflow: dict[str, Any], repo: Path, bin_dir: Path, wheel: Path, forge: FakeForge
    ):
        self.workflow = workflow
        self.wheel = wheel
        self.repo = repo
        self.bin_dir = bin_dir
        self.forge = forge
        self.base_sha = ""
        self.outputs: dict[str, dict[str, str]] = {}
        self.ran: list[str] = []

    def context(self, matrix: str | None, job_outputs: dict[str, str]) -> dict[str, str]:
        values = {
            "github.workspace": str(self.repo),
            "github.event.pull_request.base.sha": self.base_sha,
            "github.event.pull_request.number": PULL_REQUEST,
            "secrets.GITHUB_TOKEN": TOKEN,
            # Repository variables a fresh repository has not set: the core, local-store path.
            "vars.GREENTIC_STORE": "",
            "vars.GREENTIC_IAC_SOURCE": "",
            "vars.GREENTIC_IAC_INDEX_URL": "",
        }
        if matrix is not None:
            values["matrix.environment"] = matrix
        values |= {f"steps.touched.outputs.{k}": v for k, v in job_outputs.items()}
        return values

    def expand(self, value: Any, context: dict[str, str]) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            assert expression in context, f"the test does not know ${{{{ {expression} }}}}"
            return context[expression]

        return EXPRESSION.sub(one, str(value))

    def run_job(self, name: str, matrix: str | None = None) -> None:
        job = self.workflow["jobs"][name]
        job_dir = self.repo.parent / f"runner-{name}-{matrix or 'all'}"
        job_dir.mkdir(exist_ok=True)
        output_file, summary = job_dir / "output", job_dir / "summary.md"
        output_file.touch()
        summary.touch()
        for step in job["steps"]:
            condition = str(step.get("if", ""))
            if "uses" in step:
                continue  # checkout, setup-python and artifacts: see the module docstring
            if condition and not condition.startswith("always()"):
                # The only other step conditions read the pulumi job, which a repository
                # without GREENTIC_PULUMI_PREVIEW skips.
                assert "pulumi" in condition, condition
                continue
            context = self.context(matrix, self.outputs.get(name, {}))
            environ = {
                "PATH": f"{self.bin_dir}:/usr/bin:/bin",
                "HOME": str(job_dir),
                "RUNNER_TEMP": str(job_dir),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_API_URL": self.forge.url,
                "GITHUB_REPOSITORY": "acme/infra",
                "GIT_CONFIG_NOSYSTEM": "1",
            }
            for scope in (self.workflow.get("env"), job.get("env"), step.get("env")):
                environ |= {k: self.expand(v, context) for k, v in (scope or {}).items()}
            script = str(step["run"])
            if step["name"] == "Install greentic-iac":
                # The local checkout instead of the pinned VCS URL, into the core venv; the
                # jobs share that venv here, so only the first one needs to build it.
                script = LOCAL_INSTALL
                arguments = [uv_cache_dir(), uv_executable(), str(self.wheel)]
            else:
                arguments = []
            proc = subprocess.run(
                [
                    "bash",
                    "--noprofile",
                    "--norc",
                    "-eo",
                    "pipefail",
                    "-c",
                    script,
                    "step",
                    *arguments,
                ],
                cwd=self.repo,
                env=environ,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert proc.returncode == 0, (name, step["name"], proc.stdout, proc.stderr)
            self.ran.append(f"{name}/{step['name']}")
        lines = output_file.read_text().splitlines()
        self.outputs[name] = dict(line.split("=", 1) for line in lines if "=" in line)
        (self.repo.parent / f"summary-{name}-{matrix or 'all'}.md").write_text(summary.read_text())


@pytest.fixture
def fresh_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A git repository with a sample environment in its committed store and the workflow
    from `ci init`, then a pull-request commit that changes that environment's answers."""
    repo = tmp_path / "infra"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch", "main")
    # Setting the repository up is a developer's job on their machine: the CLI in-process.
    monkeypatch.setenv("GREENTIC_GRANT", "prod-eu")
    sample = ROOT / "examples" / "aws-ecs" / "environment.json"
    home = repo / ".greentic"
    assert run_cli(home, "env", "create", "--answers", str(sample)).code == 0
    assert run_cli(home, "ci", "init", "--dir", str(repo)).code == 0
    assert run_cli(home, "ci", "init", "--dir", str(repo), "--provider", "gitlab").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "greentic store and preview workflow")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "-b", "change-prod-eu")
    (repo / "environments").mkdir()
    shutil.copy(sample, repo / "environments" / "prod-eu.json")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "prod-eu answers")
    yield repo, base


def test_the_generated_workflow_previews_and_comments_from_a_fresh_repository(
    fresh_repository: tuple[Path, str], core_bin: Path, local_wheel: Path, forge: FakeForge
) -> None:
    repo, base = fresh_repository
    files = sorted(
        str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    )
    assert ".github/workflows/greentic-preview.yml" in files
    assert not [f for f in files if f.startswith(("greentic_iac", "pyproject", "Makefile"))]
    workflow = yaml.safe_load((repo / ".github/workflows/greentic-preview.yml").read_text())
    # Without the opt-in variable the pulumi job is skipped; the run below is the rest.
    assert "vars.GREENTIC_PULUMI_PREVIEW == 'true'" in workflow["jobs"]["pulumi-preview"]["if"]

    runner = Runner(workflow, repo, core_bin, local_wheel, forge)
    runner.base_sha = base
    runner.run_job("environments")
    touched = json.loads(runner.outputs["environments"]["list"])
    assert touched == ["prod-eu"]
    for environment in touched:
        runner.run_job("preview", environment)
        runner.run_job("comment", environment)

    preview = (repo / "preview-prod-eu.md").read_text()
    assert "### greentic-iac preview: `prod-eu`" in preview
    assert "28 to create" in preview  # never applied: everything is a create
    assert (repo.parent / "summary-preview-prod-eu.md").read_text() == preview
    assert "Offline preview" in " ".join(runner.ran)
    tool_check = json.loads((repo / "tool-check-prod-eu.json").read_text())
    assert tool_check["op"] == "tool-check"

    assert [m for m in forge.methods() if m != "GET"] == ["POST"]
    body = forge.comments[0]["body"]
    assert body.startswith(marker("prod-eu"))
    assert preview.strip() in body
    assert "<details><summary>tool check</summary>" in body
    assert "| slot | check | status |" in body  # the tool check as markdown, not a terminal table

    # The next push edits the same comment instead of adding one.
    runner.run_job("comment", "prod-eu")
    assert [m for m in forge.methods() if m != "GET"] == ["POST", "PATCH"]
    assert len(forge.comments) == 1


def test_the_generated_gitlab_job_previews_and_notes_from_a_fresh_repository(
    fresh_repository: tuple[Path, str], core_bin: Path, local_wheel: Path, forge: FakeForge
) -> None:
    repo, base = fresh_repository
    document = yaml.safe_load((repo / ".gitlab/greentic-preview.yml").read_text())
    job = document["greentic-preview"]
    assert job["extends"] == ".greentic-base"
    # Without the opt-in variable GitLab never creates the pulumi job.
    assert "$GREENTIC_PULUMI_PREVIEW" in document["greentic-pulumi-preview"]["rules"][0]["if"]
    items = [str(item) for item in job["script"]]
    assert "pip install" in items[0]
    items[0] = LOCAL_INSTALL  # GitLab runs the items in one shell, -eo pipefail
    variables = {**document[".greentic-base"]["variables"], **job.get("variables", {})}
    environ = {
        "PATH": f"{core_bin}:/usr/bin:/bin",
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "CI_PROJECT_DIR": str(repo),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_API_V4_URL": f"{forge.url}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "7",
        "GREENTIC_GITLAB_TOKEN": TOKEN,
    }
    environ |= {k: str(v).replace("$CI_PROJECT_DIR", str(repo)) for k, v in variables.items()}
    proc = subprocess.run(
        [
            *("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(items)),
            *("job", uv_cache_dir(), uv_executable(), str(local_wheel)),
        ],
        cwd=repo,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert (repo / "touched.txt").read_text().split() == ["prod-eu"]
    preview = (repo / "preview-prod-eu.md").read_text()
    assert "### greentic-iac preview: `prod-eu`" in preview
    assert [m for m in forge.methods() if m != "GET"] == ["POST"]
    note = forge.comments[0]["body"]
    assert note.startswith(marker("prod-eu")) and preview.strip() in note
    assert "| slot | check | status |" in note
