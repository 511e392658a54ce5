"""The deployer's IAM role list (from the plan) and the ADC + gcloud check, against real
files and a real (fake) ``gcloud`` executable on PATH; no Google Cloud call."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from greentic_iac_gcp import compile_plan
from greentic_iac_gcp.credentials import CloudRunCredentials, required_roles

from greentic_iac.plan.target import TargetContext

from .cases import CASES, base_settings, one_deployment, ready, state_with

CREDENTIALS = CloudRunCredentials()
KEY = {
    "type": "service_account",
    "project_id": "acme-prod-123",
    # A stand-in, not key material (so no secret scanner trips on this file).
    "private_key": "NOT-A-REAL-KEY",
    "client_email": "deployer@acme-prod-123.iam.gserviceaccount.com",
}


def _roles(state_name: str) -> list[str]:
    return [role for role, _ in required_roles(compile_plan(CASES[state_name]()))]


def test_the_policy_is_a_plain_role_list_with_reasons() -> None:
    state = CASES["one-revision-http"]()
    document = CREDENTIALS.policy(compile_plan(state), state)
    assert document.media_type == "text/plain"
    roles = [line.split()[0] for line in document.text.splitlines() if not line.startswith("#")]
    assert roles == [
        "roles/compute.loadBalancerAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/iam.serviceAccountUser",
        "roles/run.admin",
        "roles/serviceusage.serviceUsageConsumer",
    ]
    assert all("  # " in line for line in document.text.splitlines() if line.startswith("roles/"))
    assert "acme-prod-123" in document.text


def test_roles_follow_the_plan_least_privilege() -> None:
    # Secrets referenced: the grant on each secret needs Secret Manager's admin role.
    assert "roles/secretmanager.admin" in _roles("https-redirect-secrets")
    assert "roles/secretmanager.admin" not in _roles("one-revision-http")
    # No public invoker (invoker: null): run.developer suffices, run.admin is not asked for.
    private = _roles("https-redirect-secrets")
    assert "roles/run.developer" in private and "roles/run.admin" not in private


def _fake_gcloud(directory: Path, accounts: list[dict[str, str]], code: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "gcloud"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "if sys.argv[1:3] == ['auth', 'list']:\n"
        f"    print(json.dumps({accounts!r}))\n"
        f"    sys.exit({code})\n"
        "sys.exit(2)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


def _context(tmp_path: Path, env: dict[str, str]) -> TargetContext:
    return TargetContext(greentic_home=tmp_path / "home", timeout=10.0, options={"env": env})


def _validate(tmp_path: Path, env: dict[str, str]):  # type: ignore[no-untyped-def]
    state = CASES["one-revision-http"]()
    return CREDENTIALS.validate(compile_plan(state), state, _context(tmp_path, env))


def test_validate_passes_with_a_key_file_and_an_active_gcloud_account(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps(KEY), encoding="utf-8")
    bin_dir = _fake_gcloud(
        tmp_path / "bin",
        [{"account": "deployer@acme-prod-123.iam.gserviceaccount.com", "status": "ACTIVE"}],
    )
    report = _validate(
        tmp_path,
        {
            "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
            "HOME": str(tmp_path),
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
        },
    )
    assert report.ok, report.lines
    assert report.result["account"] == "deployer@acme-prod-123.iam.gserviceaccount.com"
    assert [c["status"] for c in report.result["checks"]] == ["ok", "ok"]
    assert "roles/run.admin" in report.result["roles"]
    # The key's secret never reaches the report.
    text = json.dumps(dict(report.result)) + "\n".join(report.lines)
    assert "NOT-A-REAL-KEY" not in text and "private_key" not in text


def test_validate_finds_the_gcloud_adc_file_under_cloudsdk_config(tmp_path: Path) -> None:
    config = tmp_path / "gcloud-config"
    config.mkdir()
    (config / "application_default_credentials.json").write_text(
        json.dumps({"type": "authorized_user", "refresh_token": "r-not-real"}), encoding="utf-8"
    )
    bin_dir = _fake_gcloud(tmp_path / "bin", [{"account": "dev@acme.example", "status": "ACTIVE"}])
    report = _validate(
        tmp_path,
        {"PATH": str(bin_dir), "HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(config)},
    )
    assert report.ok, report.lines
    assert report.result["checks"][0]["found"] == "authorized_user"


def test_no_adc_fails_with_the_login_hint(tmp_path: Path) -> None:
    bin_dir = _fake_gcloud(tmp_path / "bin", [{"account": "dev@acme.example", "status": "ACTIVE"}])
    report = _validate(tmp_path, {"PATH": str(bin_dir), "HOME": str(tmp_path)})
    assert not report.ok
    adc = report.result["checks"][0]
    assert adc["status"] == "failed" and "application-default login" in adc["hint"]


def test_a_file_that_is_no_credential_fails(tmp_path: Path) -> None:
    bogus = tmp_path / "key.json"
    bogus.write_text(json.dumps({"type": "api_key"}), encoding="utf-8")
    bin_dir = _fake_gcloud(tmp_path / "bin", [{"account": "dev@acme.example", "status": "ACTIVE"}])
    report = _validate(
        tmp_path,
        {"PATH": str(bin_dir), "HOME": str(tmp_path), "GOOGLE_APPLICATION_CREDENTIALS": str(bogus)},
    )
    assert not report.ok and "'api_key'" in report.result["checks"][0]["detail"]


def test_no_active_gcloud_account_fails_with_the_login_hint(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps(KEY), encoding="utf-8")
    bin_dir = _fake_gcloud(tmp_path / "bin", [{"account": "old@acme.example", "status": ""}])
    report = _validate(
        tmp_path,
        {"PATH": str(bin_dir), "HOME": str(tmp_path), "GOOGLE_APPLICATION_CREDENTIALS": str(key)},
    )
    assert not report.ok
    gcloud = report.result["checks"][1]
    assert gcloud["status"] == "failed" and "gcloud auth login" in gcloud["hint"]


def test_gcloud_missing_from_path_fails_with_install_hints(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps(KEY), encoding="utf-8")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    report = _validate(
        tmp_path,
        {"PATH": str(empty), "HOME": str(tmp_path), "GOOGLE_APPLICATION_CREDENTIALS": str(key)},
    )
    assert not report.ok
    gcloud = report.result["checks"][1]
    assert "not found on PATH" in gcloud["detail"]
    assert "google-cloud" in gcloud["hint"] or "gcloud" in gcloud["hint"]


@pytest.mark.parametrize("invoker", ["allUsers", None])
def test_the_role_list_is_stable_for_the_same_plan(invoker: str | None) -> None:
    state = state_with(base_settings(invoker=invoker), one_deployment([ready(10_000)]))
    first = CREDENTIALS.policy(compile_plan(state), state).text
    assert first == CREDENTIALS.policy(compile_plan(state), state).text
