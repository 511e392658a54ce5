"""``export ENV --format pulumi-python|k8s-yaml --out DIR``: files, validity, directory rule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from greentic_iac.plan.io import load_plan
from greentic_iac.pulumi.testing import differences, run_source_under_mocks
from tests.integration.verbs.conftest import Outcome, Seeded, tree_snapshot
from tests.targets.k8s.test_k8s_manifests_validate import VERSIONS, _closed, _httproute_schema

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]
EXPORT_RECORD = ".greentic-export.json"


def _plan(cli: Cli, environment_id: str, tmp_path: Path) -> Any:
    path = tmp_path / f"{environment_id}.plan.json"
    assert cli("plan", environment_id, "--out", str(path)).code == 0
    return load_plan(path)


def test_pulumi_python_export_is_a_runnable_project_matching_the_plan(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "ejected"
    outcome = cli("export", "prod-eu", "--format", "pulumi-python", "--out", str(out))
    assert outcome.code == 0, outcome.stderr
    result = outcome.result
    assert result["files"] == [
        "Pulumi.yaml",
        "Pulumi.prod-eu.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    assert result["refreshed"] is False
    assert sorted(p.name for p in out.iterdir()) == sorted([*result["files"], EXPORT_RECORD])
    project = yaml.safe_load((out / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == "greentic-prod-eu"
    assert project["runtime"]["name"] == "python"
    requirements = (out / "requirements.txt").read_text(encoding="utf-8").split()
    assert {r.split(">=")[0] for r in requirements} == {"pulumi", "pulumi-aws"}
    for requirement in requirements:  # upper-bounded: a new major only by choice
        lower, upper = requirement.split(">=")[1].split(",<")
        assert int(upper) == int(lower.split(".")[0]) + 1
    stack = yaml.safe_load((out / "Pulumi.prod-eu.yaml").read_text(encoding="utf-8"))
    assert stack["config"] == {"aws:region": "eu-west-1"}
    source = (out / "__main__.py").read_text(encoding="utf-8")
    assert "greentic_iac" not in source.split('"""', 2)[2]  # no import of greentic-iac
    lint = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated"),
            *("--select", "E,F,W,I,B,UP", str(out / "__main__.py")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    plan = _plan(cli, "prod-eu", tmp_path)
    assert result["content_hash"] == plan.content_hash()
    assert differences(plan, run_source_under_mocks(source, plan)) == []


def test_k8s_yaml_export_validates_and_is_kubectl_ready(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    outcome = cli("export", "zain-prod", "--format", "k8s-yaml", "--out", str(out))
    assert outcome.code == 0, outcome.stderr
    files = outcome.result["files"]
    plan = _plan(cli, "zain-prod", tmp_path)
    assert len(files) == len(plan.resources)
    assert files == sorted(files) and files[0].startswith("00-namespace-")
    route_schema = jsonschema.Draft7Validator(_closed(_httproute_schema()))
    kinds = set()
    for name in files:
        (manifest,) = list(yaml.safe_load_all((out / name).read_text(encoding="utf-8")))
        kinds.add(manifest["kind"])
        if manifest["kind"] == "HTTPRoute":
            errors = list(route_schema.iter_errors(manifest))
            assert not errors, f"{name}: {errors[0].message}"
            continue
        for version in VERSIONS:
            kubernetes_validate.validate(manifest, version, strict=True)
    assert kinds == {"Namespace", "Deployment", "Service", "HTTPRoute"}


def test_re_export_refreshes_our_files_and_keeps_the_users(
    cli: Cli, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "manifests"
    first = cli("export", "zain-prod", "--format", "k8s-yaml", "--out", str(out)).result
    (out / "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
    # Archive the 10 % revision: roll it back to 0, drain, deactivate, archive.
    deployment, revisions = seeded.deployments["zain-prod"]
    answers = tmp_path / "answers.json"
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "traffic set",
            {
                "environment_id": "zain-prod",
                "deployment_id": deployment,
                "entries": [{"revision_id": revisions[0], "weight_bps": 10_000}],
            },
        ),
        *(
            (f"revisions {verb}", {"environment_id": "zain-prod", "revision_id": revisions[1]})
            for verb in ("drain", "deactivate", "archive")
        ),
    ]
    for verb, payload in steps:
        answers.write_text(json.dumps(payload), encoding="utf-8")
        step = cli(*verb.split(), "--answers", str(answers))
        assert step.code == 0, step.stderr
    second = cli("export", "zain-prod", "--format", "k8s-yaml", "--out", str(out))
    assert second.code == 0, second.stderr
    assert second.result["refreshed"] is True
    gone = set(first["files"]) - set(second.result["files"])
    assert gone and all(revisions[1].lower() in name for name in gone)
    assert {p.name for p in out.iterdir()} == {
        *second.result["files"],
        "kustomization.yaml",
        EXPORT_RECORD,
    }


def test_format_for_the_wrong_target_is_exit_2_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    outcome = cli("export", "prod-eu", "--format", "k8s-yaml", "--out", str(out))
    assert outcome.code == 2
    assert "--format k8s-yaml" in outcome.stderr
    assert not out.exists()
    local = cli("export", "local", "--format", "pulumi-python", "--out", str(out))
    assert local.code == 2
    assert "--format pulumi-python" in local.stderr and "local up" in local.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["home"]  # no staging directory left


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("export", "prod-eu", "--format", "pulumi-python"), "--out: required"),
        (("export", "prod-eu", "--out", "{tmp}/x"), "--format: required"),
        (("export", "nowhere", "--format", "pulumi-python", "--out", "{tmp}/x"), "not found"),
    ],
)
def test_missing_arguments_and_unknown_environment_are_exit_2(
    cli: Cli, tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    outcome = cli(*(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert outcome.code == 2
    assert message in outcome.stderr
    assert not (tmp_path / "x").exists()


def test_unknown_format_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    outcome = cli("export", "prod-eu", "--format", "terraform", "--out", str(tmp_path / "x"))
    assert outcome.code == 2
    assert "--format" in outcome.stderr


def test_a_foreign_non_empty_directory_is_refused_untouched(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "src"
    out.mkdir()
    (out / "main.py").write_text("print('mine')\n", encoding="utf-8")
    before = tree_snapshot(tmp_path)
    outcome = cli("export", "prod-eu", "--format", "pulumi-python", "--out", str(out))
    assert outcome.code == 2
    assert "not empty" in outcome.stderr and str(out) in outcome.stderr
    assert tree_snapshot(tmp_path) == before


def test_another_environments_export_is_refused_untouched(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "ejected"
    assert cli("export", "prod-eu", "--format", "pulumi-python", "--out", str(out)).code == 0
    before = tree_snapshot(tmp_path)
    outcome = cli("export", "zain-prod", "--format", "pulumi-python", "--out", str(out))
    assert outcome.code == 2
    assert "prod-eu" in outcome.stderr and "zain-prod" in outcome.stderr
    other_format = cli("export", "zain-prod", "--format", "k8s-yaml", "--out", str(out))
    assert other_format.code == 2
    assert tree_snapshot(tmp_path) == before


def test_an_empty_existing_directory_is_used(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    outcome = cli("export", "zain-prod", "--format", "pulumi-python", "--out", str(out))
    assert outcome.code == 0, outcome.stderr
    requirements = (out / "requirements.txt").read_text(encoding="utf-8")
    assert "pulumi-kubernetes" in requirements and "pulumi-aws" not in requirements
