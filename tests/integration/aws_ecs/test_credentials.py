"""credentials policy / validate against a real moto_server (and a stubbed simulation)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from greentic_iac.errors import PreflightError
from greentic_iac.targets.aws_ecs import compile_plan
from greentic_iac.targets.aws_ecs.credentials import (
    iam_policy_for_plan,
    principal_arn,
    required_actions,
    validate_credentials,
)
from tests.targets.aws_ecs.cases import CASES

pytestmark = pytest.mark.integration


def test_policy_is_accepted_by_iam_and_scopes_pass_role(aws_session: boto3.Session) -> None:
    import json

    plan = compile_plan(CASES["https-redirect-secrets"]())
    policy = iam_policy_for_plan(plan)
    iam = aws_session.client("iam")
    created = iam.create_policy(PolicyName="greentic-prod-eu", PolicyDocument=json.dumps(policy))
    assert created["Policy"]["PolicyName"] == "greentic-prod-eu"
    passing = [s for s in policy["Statement"] if s["Sid"] == "PassExecutionRoleToEcs"]
    assert passing[0]["Resource"] == ["arn:*:iam::*:role/greentic-prod-eu-ecs-exec"]


def test_actions_follow_the_resource_types() -> None:
    with_nat = required_actions(compile_plan(CASES["create-all-http-one-revision"]()))
    without = required_actions(compile_plan(CASES["existing-network-cluster-listener"]()))
    assert "ec2:CreateNatGateway" in with_nat
    assert "ec2:CreateNatGateway" not in without
    assert "ec2:CreateVpc" not in without
    assert "elasticloadbalancing:CreateRule" in without


def test_validate_reports_identity_when_simulation_is_unavailable(
    aws_session: boto3.Session,
) -> None:
    plan = compile_plan(CASES["create-all-http-one-revision"]())
    report = validate_credentials(plan, aws_session)
    assert report.account == "123456789012"
    assert report.caller_arn.startswith("arn:aws:")
    assert not report.simulated
    assert "simulation unavailable" in report.note


class _StubbedSession:
    """STS from moto; IAM stubbed, since moto does not implement SimulatePrincipalPolicy."""

    def __init__(self, real: boto3.Session, denied: set[str]) -> None:
        self.real = real
        self.iam = real.client("iam")
        self.stubber = Stubber(self.iam)
        self.denied = denied

    def expect(self, actions: list[str], source: str) -> None:
        self.stubber.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": a,
                        "EvalDecision": "implicitDeny" if a in self.denied else "allowed",
                    }
                    for a in actions
                ],
                "IsTruncated": False,
            },
            {"PolicySourceArn": source, "ActionNames": actions},
        )

    def client(self, name: str) -> object:
        return self.iam if name == "iam" else self.real.client(name)


def test_validate_reports_each_denied_action(aws_session: boto3.Session) -> None:
    plan = compile_plan(CASES["create-all-http-one-revision"]())
    actions = required_actions(plan)
    caller = aws_session.client("sts").get_caller_identity()["Arn"]
    session = _StubbedSession(aws_session, {"ecs:CreateService", "iam:PassRole"})
    for start in range(0, len(actions), 100):
        session.expect(actions[start : start + 100], principal_arn(caller))
    with session.stubber:
        report = validate_credentials(plan, session)
    assert report.simulated
    assert report.missing_actions == ["ecs:CreateService", "iam:PassRole"]
    assert not report.ok


def test_assumed_role_maps_to_its_role() -> None:
    arn = "arn:aws:sts::123456789012:assumed-role/deployer/ci-run"
    assert principal_arn(arn) == "arn:aws:iam::123456789012:role/deployer"


def test_no_reachable_sts_is_a_preflight_error() -> None:
    session = boto3.Session(
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="eu-west-1",
    )
    plan = compile_plan(CASES["create-all-http-one-revision"]())

    class _Broken:
        def client(self, name: str) -> object:
            return session.client(name, endpoint_url="http://127.0.0.1:9")

    with pytest.raises(PreflightError, match="STS GetCallerIdentity failed"):
        validate_credentials(plan, _Broken())
