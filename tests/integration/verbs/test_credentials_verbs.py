"""``credentials policy`` and ``credentials validate`` on the sample AWS and k8s environments."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
import yaml

from tests.integration.verbs.conftest import Outcome

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]


def test_aws_policy_is_an_iam_document_iam_accepts(cli: Cli, aws_env: str) -> None:
    outcome = cli("credentials", "policy", "prod-eu")
    assert outcome.code == 0, outcome.stderr
    policy = json.loads(outcome.stdout)
    assert policy["Version"] == "2012-10-17"
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"ecs:CreateService", "elasticloadbalancing:CreateRule", "iam:PassRole"} <= actions
    iam = boto3.client("iam", region_name="eu-west-1")
    created = iam.create_policy(PolicyName="greentic-prod-eu", PolicyDocument=outcome.stdout)
    assert created["Policy"]["PolicyName"] == "greentic-prod-eu"


def test_k8s_policy_is_a_role_in_the_plans_namespace(cli: Cli) -> None:
    outcome = cli("credentials", "policy", "zain-prod")
    assert outcome.code == 0, outcome.stderr
    documents = list(yaml.safe_load_all(outcome.stdout))
    role = documents[0]
    assert role["apiVersion"] == "rbac.authorization.k8s.io/v1" and role["kind"] == "Role"
    managed = {r for rule in role["rules"] if "create" in rule["verbs"] for r in rule["resources"]}
    assert managed == {"deployments", "services", "httproutes"}
    assert [d["kind"] for d in documents[1:]] in ([], ["ClusterRole"])


@pytest.mark.parametrize("verb", ["policy", "validate"])
def test_local_needs_no_credentials_and_unknown_env_is_exit_2(cli: Cli, verb: str) -> None:
    local = cli("credentials", verb, "local")
    assert local.code == 2
    assert "needs no cloud credentials" in local.stderr
    unknown = cli("credentials", verb, "nowhere")
    assert unknown.code == 2 and "nowhere" in unknown.stderr


def test_aws_validate_checks_the_caller_against_moto(cli: Cli, aws_env: str) -> None:
    outcome = cli("credentials", "validate", "prod-eu")
    # moto has STS but no policy simulation: identity checked, permissions unverified,
    # which is not ok: exit 3 (preflight failed) with the whole report on stdout.
    assert outcome.code == 3, outcome.stderr
    result = outcome.result
    assert result["target"] == "greentic.deployer.aws-ecs"
    assert result["account"] == "123456789012"
    assert result["caller_arn"].startswith("arn:aws:")
    assert result["simulated"] is False and "simulation unavailable" in result["note"]
    assert result["status"] == "unverified" and result["ok"] is False
    assert result["actions_checked"] > 50
    accepted = cli("credentials", "validate", "prod-eu", "--allow-unverified")
    assert accepted.code == 0, accepted.stderr
    assert accepted.result["status"] == "unverified" and accepted.result["ok"] is False
    table = cli("credentials", "validate", "prod-eu", "--allow-unverified", output="table")
    assert table.code == 0 and "123456789012" in table.stdout and "unverified" in table.stdout


def test_aws_validate_without_reachable_sts_is_a_preflight_failure(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    outcome = cli("credentials", "validate", "prod-eu")
    assert outcome.code == 3
    assert "STS GetCallerIdentity failed" in outcome.stderr


def _fake_kubectl(directory: Path, denied_verb: str | None) -> None:
    """A kubectl that answers ``auth can-i`` with yes, or no for ``denied_verb``."""
    script = directory / "kubectl"
    deny = f'[ "$3" = "{denied_verb}" ] && {{ echo no; exit 1; }}\n' if denied_verb else ""
    script.write_text(f"#!/bin/sh\n{deny}echo yes\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize(("denied", "code"), [(None, 0), ("delete", 3)])
def test_k8s_validate_runs_can_i_per_kind_and_verb(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, denied: str | None, code: int
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_kubectl(bin_dir, denied)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    outcome = cli("credentials", "validate", "zain-prod", "--timeout", "5")
    assert outcome.code == code, outcome.stderr
    result = outcome.result
    assert result["context"] == "zain-prod-eks"
    assert result["ok"] is (denied is None)
    purposes = [c["purpose"] for c in result["checks"]]
    assert (
        "the deployer may create deployments.apps in namespace greentic-acme-zain-prod" in purposes
    )
    failed = {c["purpose"] for c in result["checks"] if c["status"] != "ok"}
    if denied is None:
        assert failed == set()
    else:
        assert failed and all(f" {denied} " in p for p in failed)
        assert all(c["hint"] for c in result["checks"] if c["status"] != "ok")


def test_k8s_validate_bad_timeout_is_exit_2(cli: Cli) -> None:
    outcome = cli("credentials", "validate", "zain-prod", "--timeout", "0")
    assert outcome.code == 2 and "--timeout" in outcome.stderr


def test_aws_validate_with_denied_actions_exits_3_listing_each(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto can't simulate policies; the report a real IAM simulation would give is stubbed.
    from greentic_iac.targets.aws_ecs import credentials as aws_credentials

    def denied(plan: object, session: object) -> aws_credentials.CredentialsReport:
        return aws_credentials.CredentialsReport(
            account="123456789012",
            caller_arn="arn:aws:iam::123456789012:user/ci",
            actions_checked=101,
            simulated=True,
            missing_actions=["ecs:CreateService", "iam:PassRole"],
        )

    monkeypatch.setattr(aws_credentials, "validate_credentials", denied)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never the real AWS
    outcome = cli("credentials", "validate", "prod-eu")
    assert outcome.code == 3
    assert outcome.result["missing_actions"] == ["ecs:CreateService", "iam:PassRole"]
    assert outcome.result["ok"] is False
    table = cli("credentials", "validate", "prod-eu", output="table")
    assert table.code == 3
    assert "missing: ecs:CreateService" in table.stdout and "missing: iam:PassRole" in table.stdout
