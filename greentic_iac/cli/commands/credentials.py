"""``credentials policy`` and ``credentials validate``: least privilege for the deployer.

The policy is derived from the environment's plan (the resource types it will create), so it
is only as wide as this environment needs: an IAM policy document for AWS ECS, an RBAC
Role (and a ClusterRole when the plan owns its namespace) for Kubernetes. ``validate``
checks the credentials at hand against the same plan: STS plus an IAM policy simulation on
AWS (when the simulation can't run the status is ``unverified``: exit 3 unless
``--allow-unverified``), ``kubectl auth can-i`` per kind and verb (through preflight,
bounded by ``--timeout``) on Kubernetes. A failed validation exits 3 like any failed
preflight, with the full report on stdout so CI can show every missing permission, not
just the first.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from greentic_iac.cli.commands.plan import compile_state
from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import InvalidInputError, PreflightError

if TYPE_CHECKING:
    from greentic_iac.spec.state import EnvironmentState

AWS_ECS: Final = "greentic.deployer.aws-ecs"
K8S: Final = "greentic.deployer.k8s"


def _target(state: EnvironmentState) -> str:
    deployer = state.environment.deployer()
    environment_id = state.environment.environment_id
    if deployer is None:
        raise InvalidInputError(f"environment {environment_id}: no deployer pack is bound")
    path = deployer.kind.path
    if path not in {AWS_ECS, K8S}:
        raise InvalidInputError(
            f"environment {environment_id}: deployer {deployer.kind} needs no cloud "
            f"credentials (credentials apply to {AWS_ECS} and {K8S})"
        )
    return path


def policy(ctx: Context, _: None) -> dict[str, Any] | Rendered:
    """AWS: the IAM policy JSON; Kubernetes: the RBAC YAML. Printed verbatim, ready to apply."""
    state = ctx.environment_state()
    target = _target(state)
    compiled = compile_state(state)
    if target == AWS_ECS:
        from greentic_iac.targets.aws_ecs.credentials import iam_policy_for_plan

        document = iam_policy_for_plan(compiled)
        return Rendered(json.dumps(document, indent=2) + "\n")
    from greentic_iac.targets.k8s.credentials import rbac_role_for_plan

    return Rendered(rbac_role_for_plan(compiled))


def _report(result: dict[str, Any], ok: bool, lines: list[str]) -> Rendered:
    """The JSON envelope (or lines for a terminal), exit 0 when ok, 3 (preflight) when not."""
    return Rendered("\n".join(lines), 0 if ok else PreflightError.exit_code, result)


def _validate_aws(ctx: Context, state: EnvironmentState) -> Rendered:
    import boto3

    from greentic_iac.pulumi.stack_config import provider_config
    from greentic_iac.targets.aws_ecs.credentials import validate_credentials

    compiled = compile_state(state)
    region = provider_config(state).get("aws:region")
    report = validate_credentials(compiled, boto3.Session(region_name=region))
    result = {"target": AWS_ECS, **report.to_json_dict()}
    lines = [f"caller {report.caller_arn} (account {report.account})"]
    if not report.simulated:
        lines.append(f"unverified (permissions not simulated): {report.note}")
    elif report.ok:
        lines.append(f"all {report.actions_checked} actions allowed")
    lines += [f"missing: {action}" for action in report.missing_actions]
    # Unverified is not ok; a caller who accepts an identity-only check says so by name.
    accepted = report.ok or (report.status == "unverified" and bool(ctx.args.allow_unverified))
    return _report(result, accepted, lines)


def _validate_k8s(ctx: Context, state: EnvironmentState) -> Rendered:
    from greentic_iac.preflight import DEFAULT_TIMEOUT, run_requirements
    from greentic_iac.pulumi.stack_config import provider_config
    from greentic_iac.targets.k8s.credentials import can_i_requirements

    compiled = compile_state(state)
    context = provider_config(state).get("kubernetes:context")
    requirements = can_i_requirements(compiled, context=context)
    timeout: float = ctx.args.timeout if ctx.args.timeout is not None else DEFAULT_TIMEOUT
    outcomes = run_requirements(requirements, timeout=timeout)
    checks = [
        {"purpose": requirement.purpose, **outcome.model_dump(mode="json", exclude_none=True)}
        for requirement, outcome in zip(requirements, outcomes, strict=True)
    ]
    ok = not any(outcome.blocking for outcome in outcomes)
    result = {"target": K8S, "context": context, "ok": ok, "checks": checks}
    lines = [
        f"{outcome.status.value:8} {requirement.purpose}"
        + (f" ({outcome.hint})" if outcome.hint and outcome.blocking else "")
        for requirement, outcome in zip(requirements, outcomes, strict=True)
    ]
    return _report(result, ok, lines)


def validate(ctx: Context, _: None) -> Rendered:
    state = ctx.environment_state()
    if ctx.args.timeout is not None and not ctx.args.timeout > 0:
        raise InvalidInputError(
            f"--timeout: must be a positive number of seconds, got {ctx.args.timeout}"
        )
    if _target(state) == AWS_ECS:
        return _validate_aws(ctx, state)
    return _validate_k8s(ctx, state)
