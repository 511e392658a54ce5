"""The rendered preview workflows: valid YAML with the jobs, steps, triggers and safety
properties promised (pinned actions, least permissions, a real install source)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from greentic_iac.ci.workflows import (
    ACTIONS,
    DEFAULT_PULUMI_SHA256,
    DEFAULT_PULUMI_VERSION,
    WORKFLOW_PATHS,
    WorkflowOptions,
    render_workflow,
)
from greentic_iac.errors import InvalidInputError

COMMIT = "0123456789abcdef0123456789abcdef01234567"
VCS_SOURCE = f"git+https://git.example.com/acme/greentic-iac@{COMMIT}"


def github(options: WorkflowOptions | None = None) -> dict[str, Any]:
    path, text = render_workflow("github", options=options)
    assert path == ".github/workflows/greentic-preview.yml"
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def gitlab(options: WorkflowOptions | None = None) -> dict[str, Any]:
    path, text = render_workflow("gitlab", options=options)
    assert path == WORKFLOW_PATHS["gitlab"] == ".gitlab/greentic-preview.yml"
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def steps_by_name(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in job["steps"]}


def all_steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def test_github_triggers_on_pull_requests_with_least_permissions_per_job() -> None:
    document = github()
    # YAML 1.1 reads the bare key `on` as the boolean True; GitHub reads it as "on".
    triggers = document.get("on", document.get(True))
    assert set(triggers) == {"pull_request"}  # never pull_request_target
    assert document["permissions"] == {}
    jobs = document["jobs"]
    assert set(jobs) == {"environments", "preview", "pulumi-preview", "comment"}
    assert jobs["environments"]["permissions"] == {"contents": "read"}
    assert jobs["preview"]["permissions"] == {"contents": "read"}
    assert jobs["pulumi-preview"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    # The job that can write to the pull request runs no code from it.
    assert not any("checkout" in step.get("uses", "") for step in jobs["comment"]["steps"])


def test_every_action_is_pinned_by_commit_sha_and_checkout_keeps_no_credentials() -> None:
    pins = {action.name: action.sha for action in ACTIONS.values()}
    used = [step["uses"] for step in all_steps(github()) if "uses" in step]
    assert used
    for use in used:
        name, _, ref = use.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), use
        assert pins[name] == ref, use
    _, text = render_workflow("github")
    for action in ACTIONS.values():
        if action.name in {u.partition("@")[0] for u in used}:
            assert f"{action.name}@{action.sha} # {action.tag}" in text
    for step in all_steps(github()):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_github_finds_the_touched_environments_and_fans_out_per_environment() -> None:
    jobs = github()["jobs"]
    finder = steps_by_name(jobs["environments"])
    assert jobs["environments"]["steps"][0]["with"]["fetch-depth"] == 0  # the base is needed
    assert "git diff --name-only" in finder["List the changed files"]["run"]
    touched = finder["Find the environments the pull request touches"]
    assert "greentic-iac env list" in touched["run"]
    assert "python -m greentic_iac.ci.touched" in touched["run"]
    assert "$GITHUB_OUTPUT" in touched["run"]
    for name in ("preview", "pulumi-preview", "comment"):
        assert (
            "fromJSON(needs.environments.outputs.list)"
            in jobs[name]["strategy"]["matrix"]["environment"]
        )
        assert jobs[name]["strategy"]["fail-fast"] is False


def test_the_offline_preview_job_installs_the_core_only_and_sees_no_secret() -> None:
    job = github()["jobs"]["preview"]
    steps = steps_by_name(job)
    assert "GREENTIC_IAC_EXTRAS" not in str(job.get("env", {}))
    assert "pip install" in steps["Install greentic-iac"]["run"]
    assert "secrets." not in yaml.safe_dump(job)
    assert 'env tool-check "$ENVIRONMENT"' in steps["Tool check"]["run"]
    offline = steps["Offline preview"]["run"]
    assert (
        'greentic-iac preview "$ENVIRONMENT" --format markdown --out "preview-$ENVIRONMENT.md"'
        in offline
    )
    names = list(steps)
    assert names.index("Tool check") < names.index("Offline preview")


def test_the_workflow_never_installs_the_bare_unregistered_name() -> None:
    for provider in ("github", "gitlab"):
        _, text = render_workflow(provider)  # type: ignore[arg-type]
        assert not re.search(r"pip install[^\n]*[\"' ]greentic-iac[\"' \n]", text), provider
        assert "${GREENTIC_IAC_REQUIREMENT:-greentic-iac}" not in text
        assert "--output table" not in text  # comments are markdown


@pytest.fixture
def install_script() -> str:
    step = steps_by_name(github()["jobs"]["preview"])["Install greentic-iac"]
    return str(step["run"])


def run_install(tmp_path: Path, script: str, **environ: str) -> tuple[int, str, list[str]]:
    """Run the install step with a stand-in ``python`` that records what pip was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "argv.txt"
    fake = bin_dir / "python"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(0o755)
    record.unlink(missing_ok=True)
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", **environ},
        check=False,
    )
    argv = record.read_text().splitlines() if record.exists() else []
    return proc.returncode, proc.stdout + proc.stderr, argv


def test_the_install_step_takes_only_a_pinned_source(tmp_path: Path, install_script: str) -> None:
    code, output, argv = run_install(tmp_path, install_script)
    assert code == 1 and "GREENTIC_IAC_SOURCE" in output and argv == []
    tag = "git+https://git.example.com/acme/greentic-iac@v1.0"
    code, output, argv = run_install(tmp_path, install_script, GREENTIC_IAC_SOURCE=tag)
    assert code == 1 and "40-hex commit" in output and argv == []
    code, output, argv = run_install(tmp_path, install_script, GREENTIC_IAC_SOURCE="==0.1.0")
    assert code == 1 and "GREENTIC_IAC_INDEX_URL" in output and argv == []

    code, _, argv = run_install(tmp_path, install_script, GREENTIC_IAC_SOURCE=VCS_SOURCE)
    assert code == 0
    assert argv[-1] == f"greentic-iac @ {VCS_SOURCE}"
    assert "--index-url" not in argv
    code, _, argv = run_install(
        tmp_path,
        install_script,
        GREENTIC_IAC_SOURCE="==0.1.0",
        GREENTIC_IAC_INDEX_URL="https://pypi.example.com/simple",
        GREENTIC_IAC_EXTRAS="[aws]",
    )
    assert code == 0
    assert argv[-3:] == [
        "--index-url",
        "https://pypi.example.com/simple",
        "greentic-iac[aws]==0.1.0",
    ]
    # A remote S3 store is read through boto3: the [aws] extra joins whatever the job needs.
    for extras, expected in (("", "[aws]"), ("[k8s]", "[aws,k8s]"), ("[aws]", "[aws]")):
        code, _, argv = run_install(
            tmp_path,
            install_script,
            GREENTIC_IAC_SOURCE=VCS_SOURCE,
            GREENTIC_IAC_EXTRAS=extras,
            GREENTIC_STORE="s3://bucket/greentic",
        )
        assert code == 0
        assert argv[-1] == f"greentic-iac{expected} @ {VCS_SOURCE}"


def test_a_source_given_to_ci_init_is_baked_in_else_the_repository_variable() -> None:
    assert github()["env"]["GREENTIC_IAC_SOURCE"] == "${{ vars.GREENTIC_IAC_SOURCE }}"
    baked = github(WorkflowOptions(install_source=VCS_SOURCE))
    assert baked["env"]["GREENTIC_IAC_SOURCE"] == VCS_SOURCE
    indexed = github(
        WorkflowOptions(install_source="==0.2.0", index_url="https://pypi.example.com/simple")
    )
    assert indexed["env"]["GREENTIC_IAC_INDEX_URL"] == "https://pypi.example.com/simple"
    variables = gitlab(WorkflowOptions(install_source=VCS_SOURCE))[".greentic-base"]["variables"]
    assert variables["GREENTIC_IAC_SOURCE"] == VCS_SOURCE
    assert "GREENTIC_IAC_SOURCE" not in gitlab()[".greentic-base"]["variables"]


def test_the_pulumi_preview_is_opt_in_uses_oidc_and_a_checksummed_cli() -> None:
    document = github()
    job = document["jobs"]["pulumi-preview"]
    assert "vars.GREENTIC_PULUMI_PREVIEW == 'true'" in job["if"]
    assert "head.repo.full_name == github.repository" in job["if"]  # forks: no credentials
    steps = steps_by_name(job)
    extras = steps["Install the extras the environment needs"]["run"]
    assert 'greentic-iac env extras "$ENVIRONMENT"' in extras
    cli = steps["Install the Pulumi CLI"]["run"]
    assert "sha256sum --check --strict" in cli
    assert cli.index("sha256sum") < cli.index("tar -xzf")
    assert job["env"]["PULUMI_VERSION"] == DEFAULT_PULUMI_VERSION
    assert job["env"]["PULUMI_SHA256"] == DEFAULT_PULUMI_SHA256
    aws = steps["AWS credentials (OIDC)"]
    assert aws["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    _, text = render_workflow("github")
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert not re.search(r"curl[^\n]*\|\s*(ba)?sh", text)
    pulumi = steps["Pulumi preview"]
    assert "--engine pulumi --format markdown" in pulumi["run"]
    assert pulumi["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    # The engine verb needs a grant (issue 17): an operator-set variable, only on this step.
    assert pulumi["env"]["GREENTIC_GRANT"] == "${{ vars.GREENTIC_GRANT }}"
    assert "secrets." not in str(document["env"])  # secrets reach only the step that needs them


def test_the_comment_job_posts_markdown_for_the_environment_by_marker() -> None:
    job = github()["jobs"]["comment"]
    assert "always()" in job["if"]  # a refused preview still gets its comment
    assert "head.repo.full_name == github.repository" in job["if"]  # forks: read-only token
    assert job["needs"] == ["environments", "preview", "pulumi-preview"]
    step = steps_by_name(job)["Comment on the pull request"]
    script = step["run"]
    assert "python -m greentic_iac.ci.comment github" in script
    assert '--environment "$ENVIRONMENT"' in script
    assert '--pull-request "$PULL_REQUEST"' in script
    assert '--body-file "preview-$ENVIRONMENT.md"' in script
    assert '--markdown "pulumi preview" "pulumi-preview-$ENVIRONMENT.md"' in script
    assert '--tool-check "tool-check-$ENVIRONMENT.json"' in script
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"


def test_gitlab_previews_merge_requests_and_runs_pulumi_only_on_opt_in() -> None:
    document = gitlab()
    job = document["greentic-preview"]
    assert job["extends"] == ".greentic-base"
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    script = "\n".join(job["script"])
    assert "$CI_MERGE_REQUEST_DIFF_BASE_SHA" in script
    assert "python -m greentic_iac.ci.touched" in script
    assert 'env tool-check "$environment"' in script
    assert 'greentic-iac preview "$environment" --format markdown' in script
    assert "python -m greentic_iac.ci.comment gitlab" in script
    assert "--engine pulumi" not in script and "GREENTIC_IAC_EXTRAS=" not in script
    assert "preview-*.md" in job["artifacts"]["paths"]

    pulumi = document["greentic-pulumi-preview"]
    assert '$GREENTIC_PULUMI_PREVIEW == "true"' in pulumi["rules"][0]["if"]
    assert pulumi["id_tokens"] == {"GREENTIC_AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}
    script = "\n".join(pulumi["script"])
    assert "sha256sum -c -" in script and script.index("sha256sum") < script.index("tar -xzf")
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in script
    assert 'greentic-iac env extras "$environment"' in script
    assert "--engine pulumi --format markdown" in script
    _, text = render_workflow("gitlab")
    assert "AWS_ACCESS_KEY_ID" not in text
    assert not re.search(r"curl[^\n]*\|\s*(ba)?sh", text)
    assert "include:" in text and "local: .gitlab/greentic-preview.yml" in text
    assert document[".greentic-base"]["image"] == "python:3.11"
    pinned = "python:3.11@sha256:" + "a" * 64
    assert gitlab(WorkflowOptions(gitlab_image=pinned))[".greentic-base"]["image"] == pinned


def test_the_committed_store_directory_and_python_version_are_parameters() -> None:
    _, text = render_workflow("github", python_version="3.12", greentic_home="ops/greentic")
    document = yaml.safe_load(text)
    assert document["env"]["GREENTIC_HOME"] == "${{ github.workspace }}/ops/greentic"
    setup = steps_by_name(document["jobs"]["preview"])["Set up Python"]
    assert setup["with"]["python-version"] == "3.12"
    _, text = render_workflow("gitlab", greentic_home="ops/greentic")
    assert yaml.safe_load(text)[".greentic-base"]["variables"]["GREENTIC_HOME"] == (
        "$CI_PROJECT_DIR/ops/greentic"
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"provider": "jenkins"}, "--provider"),
        ({"provider": "github", "python_version": "3.11; rm -rf /"}, "python_version"),
        ({"provider": "github", "greentic_home": "../outside"}, "greentic_home"),
        ({"provider": "github", "greentic_home": "/abs"}, "greentic_home"),
        ({"provider": "github", "greentic_home": "a dir"}, "greentic_home"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        render_workflow(**kwargs)
    assert str(error.value).startswith(f"{field}:")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"install_source": "greentic-iac"}, "--source"),  # the bare, unregistered name
        ({"install_source": "git+https://git.example.com/acme/greentic-iac@main"}, "--source"),
        ({"install_source": "git+https://git.example.com/acme/greentic-iac"}, "--source"),
        ({"install_source": f"git+http://git.example.com/a/b@{COMMIT}"}, "--source"),
        ({"install_source": f"git+https://h/a b@{COMMIT}"}, "--source"),
        ({"install_source": "==0.1.0"}, "--source"),  # a version needs its index
        ({"install_source": "==0.1.0", "index_url": "http://pypi.example.com"}, "--index-url"),
        ({"install_source": VCS_SOURCE, "index_url": "https://pypi.example.com"}, "--index-url"),
        ({"pulumi_version": "latest"}, "--pulumi-version"),
        ({"pulumi_version": "3.171.0"}, "--pulumi-sha256"),  # a new version needs its hash
        ({"pulumi_sha256": "abc"}, "--pulumi-sha256"),
        ({"gitlab_image": "python:3.11; curl x | sh"}, "--image"),
    ],
)
def test_bad_install_and_tool_pins_are_refused_naming_the_option(
    options: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as error:
        render_workflow("github", options=WorkflowOptions(**options))
    assert str(error.value).startswith(f"{field}:")
