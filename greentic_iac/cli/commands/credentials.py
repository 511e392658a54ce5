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
from pathlib import Path
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
    target = _target(state)
    pack = _rules_pack_report(ctx, state, target) if ctx.args.rules_pack else None
    rendered = _validate_aws(ctx, state) if target == AWS_ECS else _validate_k8s(ctx, state)
    if pack is None:
        return rendered
    result = {**(rendered.result or {}), "rules_pack": pack}
    lines = [rendered.text, f"rules pack {pack['directory']}: {'ok' if pack['ok'] else 'FAILED'}"]
    lines += [f"  {problem}" for problem in pack["problems"]]
    code = rendered.exit_code if pack["ok"] else PreflightError.exit_code
    return Rendered("\n".join(lines), code, result)


def _rules_pack_report(ctx: Context, state: EnvironmentState, target: str) -> dict[str, Any]:
    """The pack's hashes, its plan documents against the current plan, and on AWS the
    live role's inline policy against the pack's."""
    from greentic_iac.targets.rules_pack import check_rules_pack

    environment_id = state.environment.environment_id
    plan = compile_state(state)
    directory = Path(ctx.args.rules_pack).absolute()
    if target == K8S:
        report = check_rules_pack(directory, environment_id, target, _k8s_documents(plan))
        return report.to_json_dict()
    import boto3

    from greentic_iac.pulumi.stack_config import provider_config
    from greentic_iac.targets.aws_ecs.bootstrap import live_policy_matches
    from greentic_iac.targets.aws_ecs.credentials import iam_policy_for_plan

    document = iam_policy_for_plan(plan)
    expected = [d for d in _aws_documents(document, {}) if d.from_plan]
    report = check_rules_pack(directory, environment_id, target, expected)
    role_name = report.identity.get("role_name")
    if isinstance(role_name, str) and role_name:
        region = provider_config(state).get("aws:region")
        iam = boto3.Session(region_name=region).client("iam")
        live = live_policy_matches(iam, role_name, document)
        if live != "match":
            report.problems.append(
                f"role {role_name}: its inline policy is {live} "
                "(not the pack's; run `credentials bootstrap` again)"
            )
    return report.to_json_dict()


# -- credentials bootstrap ---------------------------------------------------------------

BOOTSTRAP_VERB: Final = "credentials bootstrap"


def _bootstrap_preflight(ctx: Context, state: EnvironmentState) -> None:
    """The deployer pack's probes (the admin's identity and reach; bootstrap never runs
    pulumi, so its tool checks don't apply), or an audited ``--skip-preflight``."""
    from greentic_iac.envpacks import binding_requirements
    from greentic_iac.preflight import DEFAULT_TIMEOUT, gate
    from greentic_iac.preflight.report import build_tool_check_report
    from greentic_iac.spec.checks import ProbeRequirement

    environment_id = state.environment.environment_id
    if ctx.args.skip_preflight:
        ctx.store.record(environment_id, BOOTSTRAP_VERB, {"skip_preflight": True}, grant=ctx.grant)
        return
    rows = [
        r for r in binding_requirements(state.environment, ctx.registry) if r.slot == "deployer"
    ]
    broken = [r for r in rows if r.problem]
    if broken:
        raise InvalidInputError(f"{broken[0].kind}: {broken[0].problem} (see `env doctor`)")
    checks = [
        (r.slot, r.kind, [q for q in r.requirements if isinstance(q, ProbeRequirement)])
        for r in rows
    ]
    timeout = ctx.args.timeout if ctx.args.timeout is not None else DEFAULT_TIMEOUT
    gate(build_tool_check_report(checks, timeout=timeout))


def _paths(ctx: Context, environment_id: str, target: str) -> tuple[Path, Path]:
    """(rules pack directory, kubeconfig file); the kubeconfig never inside the pack."""
    home = ctx.greentic_home
    pack = Path(ctx.args.rules_pack or home / "rules-packs" / environment_id).absolute()
    kubeconfig = Path(
        ctx.args.kubeconfig or home / "secrets" / "kubeconfigs" / environment_id
    ).absolute()
    if target == K8S and pack in kubeconfig.parents:
        raise InvalidInputError(
            f"--kubeconfig: {kubeconfig} is inside the rules pack {pack}; the pack is for "
            "review and must hold no token: put the kubeconfig elsewhere"
        )
    return pack, kubeconfig


def _aws_inputs(ctx: Context, environment_id: str) -> tuple[str, dict[str, Any]]:
    from greentic_iac.targets.aws_ecs.bootstrap import (
        DEFAULT_AUDIENCE,
        default_role_name,
        trust_policy,
        validate_role_name,
    )

    if ctx.args.kubeconfig:
        raise InvalidInputError(f"--kubeconfig: only for {K8S} environments")
    role_name = validate_role_name(ctx.args.role_name or default_role_name(environment_id))
    trust = trust_policy(
        principal=ctx.args.principal,
        oidc_provider=ctx.args.oidc_provider,
        oidc_subject=ctx.args.oidc_subject,
        oidc_audience=ctx.args.oidc_audience or DEFAULT_AUDIENCE,
    )
    return role_name, trust


def _aws_documents(policy_document: dict[str, Any], trust: dict[str, Any]) -> list[Any]:
    from greentic_iac.targets.rules_pack import Document

    return [
        Document(
            "identity-policy.json",
            (json.dumps(policy_document, indent=2) + "\n").encode(),
            "the deployer role's only inline policy (what `credentials policy` prints)",
        ),
        Document(
            "trust-policy.json",
            (json.dumps(trust, indent=2) + "\n").encode(),
            "who may assume the deployer role",
            from_plan=False,
        ),
    ]


def _bootstrap_aws(
    ctx: Context, state: EnvironmentState, role_name: str, trust: dict[str, Any], pack: Path
) -> dict[str, Any]:
    import boto3

    from greentic_iac.pulumi.stack_config import provider_config
    from greentic_iac.targets.aws_ecs.bootstrap import bootstrap_role
    from greentic_iac.targets.aws_ecs.credentials import iam_policy_for_plan
    from greentic_iac.targets.rules_pack import write_rules_pack

    environment_id = state.environment.environment_id
    document = iam_policy_for_plan(compile_state(state))
    region = provider_config(state).get("aws:region")
    iam = boto3.Session(region_name=region).client("iam")
    role = bootstrap_role(
        iam, environment_id=environment_id, role_name=role_name, trust=trust, policy=document
    )
    identity = {"role_name": role.role_name, "role_arn": role.role_arn}
    written = write_rules_pack(
        pack, environment_id, AWS_ECS, identity, _aws_documents(document, trust)
    )
    return {**role.to_json_dict(), "rules_pack": {"directory": str(pack), "written": written}}


def _k8s_documents(plan: Any) -> list[Any]:
    import yaml

    from greentic_iac.targets.k8s.bootstrap import identity_documents
    from greentic_iac.targets.k8s.credentials import rbac_role_for_plan
    from greentic_iac.targets.rules_pack import Document

    identity = yaml.safe_dump_all(identity_documents(plan), sort_keys=False)
    return [
        Document(
            "rbac.yaml",
            rbac_role_for_plan(plan).encode(),
            "the deployer's Role/ClusterRole (what `credentials policy` prints)",
        ),
        Document(
            "identity.yaml",
            identity.encode(),
            "the ServiceAccount, its token Secret (no data) and the bindings to the roles",
        ),
    ]


def _bootstrap_k8s(
    ctx: Context, state: EnvironmentState, pack: Path, kubeconfig: Path
) -> dict[str, Any]:
    from greentic_iac.files import write_bytes_atomic
    from greentic_iac.preflight import DEFAULT_TIMEOUT
    from greentic_iac.pulumi.stack_config import provider_config
    from greentic_iac.targets.k8s.bootstrap import ACCOUNT_NAME, bootstrap_account
    from greentic_iac.targets.rules_pack import write_rules_pack

    environment_id = state.environment.environment_id
    plan = compile_state(state)
    context = provider_config(state).get("kubernetes:context")
    timeout = ctx.args.timeout if ctx.args.timeout is not None else DEFAULT_TIMEOUT
    account = bootstrap_account(plan, context=context, timeout=timeout)
    kubeconfig_changed = not (
        kubeconfig.is_file() and kubeconfig.read_bytes() == account.kubeconfig
    )
    if kubeconfig_changed:
        kubeconfig.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_bytes_atomic(kubeconfig, account.kubeconfig, mode=0o600)
    identity = {
        "service_account": ACCOUNT_NAME,
        "namespace": account.namespace,
        "context": context,
        "kubeconfig": str(kubeconfig),
    }
    written = write_rules_pack(pack, environment_id, K8S, identity, _k8s_documents(plan))
    changes = [*account.changes, *(["wrote kubeconfig"] if kubeconfig_changed else [])]
    return {
        **account.to_json_dict(),
        "changes": changes,
        "kubeconfig": str(kubeconfig),
        "rules_pack": {"directory": str(pack), "written": written},
    }


def bootstrap(ctx: Context, _: None) -> Rendered:
    """Create (or converge) the deployer identity with exactly ``credentials policy``, and
    export the rules pack. Order: bad input (exit 2) before the grant, the grant before
    preflight, preflight before any cloud write; the outcome is audited either way."""
    from greentic_iac.errors import GreenticError

    state = ctx.environment_state()
    target = _target(state)
    environment_id = state.environment.environment_id
    if ctx.args.timeout is not None and not ctx.args.timeout > 0:
        raise InvalidInputError(
            f"--timeout: must be a positive number of seconds, got {ctx.args.timeout}"
        )
    pack, kubeconfig = _paths(ctx, environment_id, target)
    aws_inputs: tuple[str, dict[str, Any]] | None = None
    if target == AWS_ECS:
        aws_inputs = _aws_inputs(ctx, environment_id)
    else:
        for flag in ("principal", "oidc_provider", "oidc_subject", "oidc_audience", "role_name"):
            if getattr(ctx.args, flag):
                raise InvalidInputError(
                    f"--{flag.replace('_', '-')}: only for {AWS_ECS} environments"
                )
    ctx.grant = ctx.store.require_grant(environment_id, BOOTSTRAP_VERB).grant
    _bootstrap_preflight(ctx, state)
    try:
        if aws_inputs is not None:
            result = _bootstrap_aws(ctx, state, *aws_inputs, pack)
        else:
            result = _bootstrap_k8s(ctx, state, pack, kubeconfig)
    except GreenticError as error:
        ctx.store.record(
            environment_id,
            BOOTSTRAP_VERB,
            {"error": str(error).splitlines()[0]},
            outcome="error",
            grant=ctx.grant,
        )
        raise
    result = {"target": target, "environment_id": environment_id, **result}
    audited = {k: v for k, v in result.items() if k != "kubeconfig"}
    ctx.store.record(environment_id, BOOTSTRAP_VERB, audited, grant=ctx.grant)
    lines = [f"{target}: {', '.join(result['changes']) or 'no change'}"]
    lines.append(
        f"rules pack: {pack} ({', '.join(result['rules_pack']['written']) or 'unchanged'})"
    )
    if target == K8S:
        lines.append(f"kubeconfig (0600, holds the token): {kubeconfig}")
    return Rendered("\n".join(lines), 0, result)
