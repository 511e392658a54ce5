"""The rendered preview workflows: valid YAML with the jobs, steps and triggers promised."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from greentic_iac.ci.workflows import WORKFLOW_PATHS, render_workflow
from greentic_iac.errors import InvalidInputError


def github() -> dict[str, Any]:
    path, text = render_workflow("github")
    assert path == ".github/workflows/greentic-preview.yml"
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def steps_by_name(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in job["steps"]}


def test_github_triggers_on_pull_requests_with_least_permissions() -> None:
    document = github()
    # YAML 1.1 reads the bare key `on` as the boolean True; GitHub reads it as "on".
    triggers = document.get("on", document.get(True))
    assert set(triggers) == {"pull_request"}
    assert document["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert set(document["jobs"]) == {"environments", "preview"}


def test_github_finds_the_touched_environments_and_fans_out_per_environment() -> None:
    jobs = github()["jobs"]
    finder = steps_by_name(jobs["environments"])
    assert jobs["environments"]["steps"][0]["uses"].startswith("actions/checkout@")
    assert jobs["environments"]["steps"][0]["with"]["fetch-depth"] == 0  # the base is needed
    assert "git diff --name-only" in finder["List the changed files"]["run"]
    touched = finder["Find the environments the pull request touches"]
    assert "greentic-iac env list" in touched["run"]
    assert "python -m greentic_iac.ci.touched" in touched["run"]
    assert "$GITHUB_OUTPUT" in touched["run"]
    preview = jobs["preview"]
    assert preview["needs"] == "environments"
    assert (
        "fromJSON(needs.environments.outputs.list)" in preview["strategy"]["matrix"]["environment"]
    )
    assert preview["strategy"]["fail-fast"] is False


def test_github_preview_job_installs_checks_tools_and_previews_markdown() -> None:
    job = github()["jobs"]["preview"]
    steps = steps_by_name(job)
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(use.startswith("actions/setup-python@") for use in uses)
    assert "make venv" in steps["Install greentic-iac"]["run"]
    assert "pip install" in steps["Install greentic-iac"]["run"]
    assert 'env tool-check "$ENVIRONMENT"' in steps["Tool check"]["run"]
    offline = steps["Offline preview"]["run"]
    assert (
        'greentic-iac preview "$ENVIRONMENT" --format markdown --out "preview-$ENVIRONMENT.md"'
        in offline
    )
    names = list(steps)
    assert (
        names.index("Tool check")
        < names.index("Offline preview")
        < names.index("Comment on the pull request")
    )


def test_github_pulumi_preview_runs_only_with_cloud_credentials() -> None:
    job = github()["jobs"]["preview"]
    flag = job["env"]["HAS_CLOUD_CREDENTIALS"]
    assert "secrets.AWS_ACCESS_KEY_ID != ''" in flag
    assert "secrets.KUBECONFIG != ''" in flag
    steps = steps_by_name(job)
    for name in ("Install the Pulumi CLI", "Pulumi preview"):
        assert steps[name]["if"] == "env.HAS_CLOUD_CREDENTIALS == 'true'"
    pulumi = steps["Pulumi preview"]
    assert 'greentic-iac preview "$ENVIRONMENT" --engine pulumi' in pulumi["run"]
    assert pulumi["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    # Secrets reach only the step that needs them, never the whole workflow.
    assert "secrets." not in str(github()["env"])


def test_github_comment_step_updates_the_environment_comment_by_marker() -> None:
    step = steps_by_name(github()["jobs"]["preview"])["Comment on the pull request"]
    script = step["run"]
    assert "python -m greentic_iac.ci.comment github" in script
    assert '--environment "$ENVIRONMENT"' in script
    assert '--pull-request "$PULL_REQUEST"' in script
    assert '--body-file "preview-$ENVIRONMENT.md"' in script
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "always()" in step["if"]  # a refused preview still gets its comment
    assert "head.repo.full_name == github.repository" in step["if"]  # forks: read-only token


def test_gitlab_job_runs_on_merge_requests_and_updates_one_note_per_environment() -> None:
    path, text = render_workflow("gitlab")
    assert path == WORKFLOW_PATHS["gitlab"] == ".gitlab/greentic-preview.yml"
    document = yaml.safe_load(text)
    job = document["greentic-preview"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    script = "\n".join(job["script"])
    assert "$CI_MERGE_REQUEST_DIFF_BASE_SHA" in script
    assert "python -m greentic_iac.ci.touched" in script
    assert 'env tool-check "$environment"' in script
    assert 'greentic-iac preview "$environment" --format markdown' in script
    assert 'greentic-iac preview "$environment" --engine pulumi' in script
    assert 'if [ "$has_cloud_credentials" = true ]' in script
    assert "python -m greentic_iac.ci.comment gitlab" in script
    assert "preview-*.md" in job["artifacts"]["paths"]
    assert "include:" in text and "local: .gitlab/greentic-preview.yml" in text


def test_the_committed_store_directory_and_python_version_are_parameters() -> None:
    _, text = render_workflow("github", python_version="3.12", greentic_home="ops/greentic")
    document = yaml.safe_load(text)
    assert document["env"]["GREENTIC_HOME"] == "${{ github.workspace }}/ops/greentic"
    setup = steps_by_name(document["jobs"]["preview"])["Set up Python"]
    assert setup["with"]["python-version"] == "3.12"
    _, text = render_workflow("gitlab", greentic_home="ops/greentic")
    assert yaml.safe_load(text)["greentic-preview"]["variables"]["GREENTIC_HOME"] == (
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
