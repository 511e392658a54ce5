"""The AWS ECS target's ``Credentials`` and ``Bootstrap`` members (``plan.target``).

They wrap ``credentials`` (the IAM policy derived from the plan, and the STS + policy
simulation check) and ``bootstrap`` (the deployer role) in the protocol the CLI speaks,
so ``credentials policy|validate|bootstrap`` name no target. boto3 is imported only when
a member reaches AWS; the region comes from the stack's provider settings, which the CLI
passes as ``context.options["provider_config"]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from greentic_iac.plan.model import Plan
from greentic_iac.plan.target import (
    BootstrapResult,
    CredentialsReport,
    PackDocument,
    PolicyDocument,
    TargetContext,
)
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets.aws_ecs import bootstrap as role_bootstrap
from greentic_iac.targets.aws_ecs import credentials as iam_credentials

DESCRIPTOR: Final = "greentic.deployer.aws-ecs"
POLICY_FILE: Final = "identity-policy.json"
TRUST_FILE: Final = "trust-policy.json"


def _region(context: TargetContext) -> str | None:
    config = context.options.get("provider_config")
    region = config.get("aws:region") if isinstance(config, Mapping) else None
    return region if isinstance(region, str) else None


def _session(context: TargetContext) -> Any:
    import boto3

    return boto3.Session(region_name=_region(context))


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode()


class AwsCredentials:
    """The IAM policy ``credentials policy`` prints, and ``credentials validate``."""

    def policy(self, plan: Plan, state: EnvironmentState) -> PolicyDocument:
        document = iam_credentials.iam_policy_for_plan(plan)
        return PolicyDocument(_json_bytes(document).decode(), "application/json", POLICY_FILE)

    def validate(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> CredentialsReport:
        # Looked up on the module at call time: a test stubs the simulation there.
        report = iam_credentials.validate_credentials(plan, _session(context))
        lines = [f"caller {report.caller_arn} (account {report.account})"]
        if not report.simulated:
            lines.append(f"unverified (permissions not simulated): {report.note}")
        elif report.ok:
            lines.append(f"all {report.actions_checked} actions allowed")
        lines += [f"missing: {action}" for action in report.missing_actions]
        # Unverified is not ok; a caller who accepts an identity-only check says so by name.
        unverified_accepted = report.status == "unverified" and bool(
            context.options.get("allow_unverified")
        )
        result = {"target": DESCRIPTOR, **report.to_json_dict()}
        return CredentialsReport(report.ok or unverified_accepted, result, lines)


def _trust(context: TargetContext) -> dict[str, Any]:
    options = context.options
    return role_bootstrap.trust_policy(
        principal=options.get("principal"),
        oidc_provider=options.get("oidc_provider"),
        oidc_subject=options.get("oidc_subject"),
        oidc_audience=options.get("oidc_audience") or role_bootstrap.DEFAULT_AUDIENCE,
    )


def _role_name(state: EnvironmentState, context: TargetContext) -> str:
    name = context.options.get("role_name") or role_bootstrap.default_role_name(
        state.environment.environment_id
    )
    return role_bootstrap.validate_role_name(str(name))


class AwsBootstrap:
    """The deployer role with exactly the printed policy, and its rules pack documents."""

    flags: frozenset[str] = frozenset(
        {"principal", "oidc_provider", "oidc_subject", "oidc_audience", "role_name"}
    )

    def check_inputs(self, state: EnvironmentState, context: TargetContext) -> None:
        _role_name(state, context)
        _trust(context)

    def pack_documents(self, plan: Plan, state: EnvironmentState) -> list[PackDocument]:
        return [
            PackDocument(
                POLICY_FILE,
                _json_bytes(iam_credentials.iam_policy_for_plan(plan)),
                "the deployer role's only inline policy (what `credentials policy` prints)",
            )
        ]

    def bootstrap(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> BootstrapResult:
        trust = _trust(context)
        iam = _session(context).client("iam")
        role = role_bootstrap.bootstrap_role(
            iam,
            environment_id=state.environment.environment_id,
            role_name=_role_name(state, context),
            trust=trust,
            policy=iam_credentials.iam_policy_for_plan(plan),
        )
        documents = [
            *self.pack_documents(plan, state),
            PackDocument(
                TRUST_FILE, _json_bytes(trust), "who may assume the deployer role", from_plan=False
            ),
        ]
        return BootstrapResult(
            changes=role.changes,
            identity={"role_name": role.role_name, "role_arn": role.role_arn},
            documents=documents,
            result=role.to_json_dict(),
        )

    def check_live(
        self,
        plan: Plan,
        state: EnvironmentState,
        identity: Mapping[str, Any],
        context: TargetContext,
    ) -> list[str]:
        role_name = identity.get("role_name")
        if not isinstance(role_name, str) or not role_name:
            return []
        iam = _session(context).client("iam")
        policy = iam_credentials.iam_policy_for_plan(plan)
        live = role_bootstrap.live_policy_matches(iam, role_name, policy)
        if live == "match":
            return []
        return [
            f"role {role_name}: its inline policy is {live} "
            "(not the pack's; run `credentials bootstrap` again)"
        ]


CREDENTIALS: Final = AwsCredentials()
BOOTSTRAP: Final = AwsBootstrap()
