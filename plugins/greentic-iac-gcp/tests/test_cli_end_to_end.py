"""Issue 18's "done when" for the plug-in: with greentic-iac-gcp installed, a
``greentic.deployer.cloud-run@1.0.0`` environment goes env create -> bundles add ->
revisions stage/warm -> traffic set -> plan / preview / export / credentials, all through
the CLI, with no core file naming Cloud Run."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from greentic_iac.plan import Plan
from greentic_iac.pulumi.testing import differences, run_source_under_mocks

from .cli_walk import ENVIRONMENT, Walk


@pytest.fixture
def walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Walk:
    monkeypatch.setenv("GREENTIC_GRANT", ENVIRONMENT)
    return Walk(tmp_path)


def _seed(walk: Walk) -> tuple[str, list[str]]:
    walk.create()
    deployment = walk.add_bundle()
    revisions = [walk.stage(deployment, digit) for digit in "ab"]
    for revision in revisions:
        walk.warm(revision)
    assert walk.split(deployment, {revisions[0]: 10_000}).code == 0
    return deployment, revisions


def test_plan_preview_export_and_credentials_through_the_cli(walk: Walk, tmp_path: Path) -> None:
    deployment, (first, second) = _seed(walk)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(walk.plan()), encoding="utf-8")

    assert walk.split(deployment, {first: 6_667, second: 3_333}).code == 0
    summary = walk.ok("plan", ENVIRONMENT)
    assert summary["target"] == "greentic.deployer.cloud-run" and summary["errors"] == 0
    [traffic] = summary["traffic"]
    assert traffic["method"] == "gcp-urlmap-weight-0-1000"
    assert traffic["revisions"] == {first: 667, second: 333}

    # The preview of the split change: the URL map is the one resource that changes.
    outcome = walk.run("preview", ENVIRONMENT, "--format", "json", "--against", str(baseline))
    assert outcome.code == 0, outcome.stderr
    preview = json.loads(outcome.stdout)
    assert not preview["refused"], preview["limits"]
    assert preview["summary"]["create"] == preview["summary"]["delete"] == 0
    assert preview["summary"]["replace"] == 0
    assert [(r["action"], r["name"]) for r in preview["resources"]] == [("update", "url-map")]
    [changed] = [t for t in preview["traffic"] if t["changed"]]
    assert changed["deployment_id"] == deployment

    exported = tmp_path / "url-maps"
    result = walk.ok("export", ENVIRONMENT, "--format", "gcp-url-map", "--out", str(exported))
    assert sorted(result["files"]) == ["gr-prod-gcp-http-redirect.yaml", "gr-prod-gcp.yaml"]
    url_map = yaml.safe_load((exported / "gr-prod-gcp.yaml").read_text(encoding="utf-8"))
    weighted = url_map["pathMatchers"][0]["routeRules"][-1]["routeAction"][
        "weightedBackendServices"
    ]
    assert [w["weight"] for w in weighted] == [667, 333]
    assert all(
        w["backendService"].startswith("projects/acme-prod-123/global/backendServices/gr-prod-gcp-")
        for w in weighted
    )

    program = tmp_path / "program"
    walk.ok("export", ENVIRONMENT, "--format", "pulumi-python", "--out", str(program))
    stack = yaml.safe_load((program / f"Pulumi.{ENVIRONMENT}.yaml").read_text(encoding="utf-8"))
    assert stack["config"] == {"gcp:project": "acme-prod-123", "gcp:region": "europe-west1"}
    assert "pulumi-gcp" in (program / "requirements.txt").read_text(encoding="utf-8")
    # The standalone program registers exactly the plan (the typed pulumi-gcp classes, under
    # the core's mocks) and no longer needs greentic-iac or this plug-in.
    source = (program / "__main__.py").read_text(encoding="utf-8")
    body = source.split('"""', 2)[2]
    assert "greentic_iac" not in body and "import pulumi_gcp" in body
    plan = Plan.model_validate(walk.plan())
    assert differences(plan, run_source_under_mocks(source, plan)) == []

    policy = walk.run("credentials", "policy", ENVIRONMENT)
    assert policy.code == 0, policy.stderr
    assert "roles/run.admin" in policy.stdout and "roles/secretmanager.admin" in policy.stdout


def test_credentials_validate_exits_3_without_credentials_and_0_with_them(
    walk: Walk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(walk)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gcloud = bin_dir / "gcloud"
    gcloud.write_text(
        f"#!{sys.executable}\nimport json\n"
        'print(json.dumps([{"account": "ci@acme-prod-123.iam.gserviceaccount.com", '
        '"status": "ACTIVE"}]))\n',
        encoding="utf-8",
    )
    gcloud.chmod(gcloud.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CLOUDSDK_CONFIG", raising=False)

    missing = walk.run("credentials", "validate", ENVIRONMENT)
    assert missing.code == 3, missing.stdout + missing.stderr

    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account"}), encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    valid = walk.run("credentials", "validate", ENVIRONMENT)
    assert valid.code == 0, valid.stdout + valid.stderr
    assert "ci@acme-prod-123.iam.gserviceaccount.com" in valid.stdout


def test_stack_init_pins_the_google_provider(walk: Walk, tmp_path: Path) -> None:
    _seed(walk)
    project = tmp_path / "project"
    project.mkdir()
    result = walk.ok("stack", "init", ENVIRONMENT, "--dir", str(project))
    config = yaml.safe_load(Path(result["stack_config"]).read_text(encoding="utf-8"))["config"]
    assert config["gcp:project"] == "acme-prod-123"
    assert config["gcp:region"] == "europe-west1"
