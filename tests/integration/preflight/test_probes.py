"""Credential probes: STS against a real moto_server, and fake kubectl/gcloud/az/pulumi."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from greentic_iac.preflight import (
    CheckStatus,
    build_tool_check_report,
    run_requirements,
)
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement

from .conftest import FakeTool

pytestmark = pytest.mark.integration

AWS = ProbeRequirement(probe="aws-caller-identity")


def test_sts_identity_through_moto(moto_endpoint: str, clean_aws_env: dict[str, str]) -> None:
    env = {
        **clean_aws_env,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    [outcome] = run_requirements([AWS], env=env)
    assert outcome.status is CheckStatus.OK, outcome.detail
    assert outcome.found is not None and outcome.found.startswith("arn:aws:")
    assert outcome.detail is not None
    assert "account 123456789012" in outcome.detail
    assert f"endpoint {moto_endpoint}" in outcome.detail
    assert "region eu-west-1" in outcome.detail


def test_sts_identity_honours_aws_profile(
    moto_endpoint: str, clean_aws_env: dict[str, str], tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[ci]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {
        **clean_aws_env,
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    [without_profile] = run_requirements([AWS], env=env)
    assert without_profile.status is CheckStatus.FAILED
    [with_profile] = run_requirements([AWS], env={**env, "AWS_PROFILE": "ci"})
    assert with_profile.status is CheckStatus.OK, with_profile.detail
    assert "(profile ci)" in (with_profile.detail or "")
    [via_param] = run_requirements(
        [ProbeRequirement(probe="aws-caller-identity", params={"profile": "ci"})], env=env
    )
    assert via_param.status is CheckStatus.OK


def test_sts_without_credentials_fails_clearly_and_fast(
    moto_endpoint: str, clean_aws_env: dict[str, str]
) -> None:
    env = {**clean_aws_env, "AWS_ENDPOINT_URL": moto_endpoint}
    [outcome] = run_requirements([AWS], env=env, timeout=5.0)
    # failed, not timeout: the credential chain gave up quickly (no IMDS retries).
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail is not None and "Unable to locate credentials" in outcome.detail
    assert outcome.hint is not None and "aws configure" in outcome.hint


def test_kubectl_can_i_yes_and_no(fake_tool: FakeTool, bin_dir: Path, tmp_path: Path) -> None:
    record = tmp_path / "argv"
    fake_tool(
        "kubectl",
        f'echo "$@" >> {record}\n'
        'if [ "$3" = "create" ]; then echo yes; exit 0; fi\n'
        'echo "no - RBAC: access denied"; exit 1',
    )
    declared = [
        ProbeRequirement(
            probe="kubectl-can-i",
            params={"verb": verb, "resource": "deployments", "namespace": "shop"},
        )
        for verb in ("create", "delete")
    ]
    filled = declared  # placeholders are the env-pack layer's job (preflight_for_settings)
    allowed, denied = run_requirements(filled, path=str(bin_dir), timeout=7)
    assert allowed.status is CheckStatus.OK
    assert allowed.found == "yes"
    assert allowed.required == "allowed to create deployments in namespace shop"
    assert denied.status is CheckStatus.FAILED
    assert denied.found == "no"
    assert denied.hint is not None and "delete deployments" in denied.hint
    calls = sorted(record.read_text().splitlines())
    assert calls == [
        "auth can-i create deployments -n shop --request-timeout=7s",
        "auth can-i delete deployments -n shop --request-timeout=7s",
    ]


def test_kubectl_unreachable_cluster_fails_with_its_message(
    fake_tool: FakeTool, bin_dir: Path
) -> None:
    fake_tool(
        "kubectl",
        'echo "The connection to the server localhost:8080 was refused" >&2\nexit 1',
    )
    [outcome] = run_requirements(
        [ProbeRequirement(probe="kubectl-can-i", params={"verb": "get", "resource": "pods"})],
        path=str(bin_dir),
    )
    assert outcome.status is CheckStatus.FAILED
    assert outcome.found is None
    assert "connection to the server localhost:8080 was refused" in (outcome.detail or "")
    assert outcome.hint is not None and "KUBECONFIG" in outcome.hint


def test_hanging_probe_times_out(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool("kubectl", "exec sleep 30")
    started = time.monotonic()
    [outcome] = run_requirements(
        [ProbeRequirement(probe="kubectl-can-i", params={"verb": "get", "resource": "pods"})],
        path=str(bin_dir),
        timeout=1.0,
    )
    assert outcome.status is CheckStatus.TIMEOUT
    assert time.monotonic() - started < 2.0


def test_gcloud_auth_list(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool(
        "gcloud",
        """echo '[{"account": "old@x.io", "status": ""},'"""
        """' {"account": "ci@x.iam", "status": "ACTIVE"}]'""",
    )
    [outcome] = run_requirements([ProbeRequirement(probe="gcloud-auth-list")], path=str(bin_dir))
    assert outcome.status is CheckStatus.OK
    assert outcome.found == "ci@x.iam"
    fake_tool("gcloud", "echo '[]'")
    [none] = run_requirements([ProbeRequirement(probe="gcloud-auth-list")], path=str(bin_dir))
    assert none.status is CheckStatus.FAILED
    assert none.hint is not None and "gcloud auth login" in none.hint


def test_az_account_show(fake_tool: FakeTool, bin_dir: Path) -> None:
    fake_tool(
        "az",
        """echo '{"id": "sub-1", "name": "Prod", "state": "Enabled",'"""
        """' "user": {"name": "ops@x.io", "type": "user"}}'""",
    )
    [outcome] = run_requirements([ProbeRequirement(probe="az-account-show")], path=str(bin_dir))
    assert outcome.status is CheckStatus.OK
    assert outcome.found == "ops@x.io"
    assert "subscription Prod (sub-1)" in (outcome.detail or "")
    fake_tool("az", "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1")
    [logged_out] = run_requirements([ProbeRequirement(probe="az-account-show")], path=str(bin_dir))
    assert logged_out.status is CheckStatus.FAILED
    assert "Please run 'az login'" in (logged_out.detail or "")


def test_pulumi_backend_runs_whoami_with_the_backend(
    fake_tool: FakeTool, bin_dir: Path, tmp_path: Path
) -> None:
    seen = tmp_path / "seen"
    fake_tool("pulumi", f'echo "$PULUMI_BACKEND_URL $@" > {seen}\necho alice')
    [outcome] = run_requirements(
        [ProbeRequirement(probe="pulumi-backend", params={"backend": "s3://bucket/state"})],
        path=str(bin_dir),
    )
    assert outcome.status is CheckStatus.OK
    assert "pulumi whoami: alice" in (outcome.detail or "")
    assert seen.read_text().strip() == "s3://bucket/state whoami --non-interactive"
    fake_tool("pulumi", 'echo "error: PULUMI_ACCESS_TOKEN must be set" >&2\nexit 255')
    [refused] = run_requirements(
        [ProbeRequirement(probe="pulumi-backend", params={"backend": "https://api.pulumi.com"})],
        path=str(bin_dir),
    )
    assert refused.status is CheckStatus.FAILED
    assert refused.hint == "`pulumi login https://api.pulumi.com`"


def test_aws_environment_report_on_a_machine_without_pulumi(
    bin_dir: Path, clean_aws_env: dict[str, str]
) -> None:
    """The issue's 'done when': pulumi missing with hints, aws identity failing clearly."""
    started = time.monotonic()
    report = build_tool_check_report(
        [
            (
                "deployer",
                "greentic.deployer.aws-ecs@0.1.0",
                [ToolRequirement(tool="pulumi", min_version="3.100.0"), AWS],
            ),
            ("secrets", "greentic.secrets.dev-store@0.1.0", []),
        ],
        env=clean_aws_env,
        path=str(bin_dir),
    )
    assert time.monotonic() - started < 12
    assert (report.failed_checks, report.total_checks) == (2, 2)
    pulumi, identity = report.per_binding[0].outcomes
    assert pulumi.hint is not None and "get.pulumi.com" in pulumi.hint
    assert identity.status is CheckStatus.FAILED
    assert "Unable to locate credentials" in (identity.detail or "")


@pytest.mark.parametrize(
    ("mode", "create", "present", "status"),
    [
        ("existing", True, True, CheckStatus.OK),
        ("existing", True, False, CheckStatus.FAILED),
        ("owned", False, False, CheckStatus.FAILED),
        ("owned", True, False, CheckStatus.OK),
    ],
)
def test_kubectl_namespace_must_exist_unless_the_stack_owns_it(
    fake_tool: FakeTool,
    bin_dir: Path,
    tmp_path: Path,
    mode: str,
    create: bool,
    present: bool,
    status: CheckStatus,
) -> None:
    record = tmp_path / "argv"
    found = (
        'echo "namespace/$3"; exit 0'
        if present
        else ('echo "Error from server (NotFound): namespaces \\"$3\\" not found" >&2; exit 1')
    )
    fake_tool("kubectl", f'echo "$@" >> {record}\n{found}')
    params = {"namespace": "greentic-acme", "context": "eks", "mode": mode, "create": create}
    [outcome] = run_requirements(
        [ProbeRequirement(probe="kubectl-namespace", params=params)], path=str(bin_dir), timeout=4
    )
    assert outcome.status is status
    assert record.read_text().split() == [
        "get", "namespace", "greentic-acme", "-o", "name", "--context", "eks",
        "--request-timeout=4s",
    ]  # fmt: skip
    if status is CheckStatus.FAILED:
        assert outcome.found == "absent"
        assert outcome.hint is not None and "kubectl create namespace greentic-acme" in outcome.hint
