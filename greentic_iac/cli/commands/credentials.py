"""``credentials policy``, ``validate`` and ``bootstrap``: least privilege for the deployer.

The policy is derived from the environment's plan by the deployer's target
(``Target.credentials``, ``plan.target.Credentials``), so it is only as wide as this
environment needs (the built-in targets: an IAM policy for AWS ECS, an RBAC Role and maybe
a ClusterRole for Kubernetes). ``validate`` asks the same member to check the credentials
at hand against the plan; a failed validation exits 3 like any failed preflight, with the
full report on stdout so CI can show every missing permission, not just the first.
``bootstrap`` asks ``Target.bootstrap`` to make the deployer identity and writes the rules
pack (``plan/rules_pack.py``) from the documents it returns. A deployer without the member
is refused with exit 2; this module names no target.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from greentic_iac.cli.commands.plan import compile_state
from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import InvalidInputError, PreflightError

if TYPE_CHECKING:
    from greentic_iac.plan.model import Plan
    from greentic_iac.plan.target import Bootstrap, Credentials, Target, TargetContext
    from greentic_iac.spec.state import EnvironmentState

BOOTSTRAP_VERB: Final = "credentials bootstrap"
# The bootstrap options every target gets; the verb's other options belong to targets.
_COMMON_BOOTSTRAP_OPTIONS: Final = frozenset(
    {"environment_id", "rules_pack", "skip_preflight", "timeout"}
)


def _target(ctx: Context, state: EnvironmentState) -> Target:
    from greentic_iac.targets import target_for

    return target_for(state, lambda: ctx.registry)


def _credentials(ctx: Context, state: EnvironmentState) -> tuple[Target, Credentials]:
    from greentic_iac.plan.target import no_member_message

    target = _target(ctx, state)
    if target.credentials is None:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: "
            f"{no_member_message(target, 'credentials policy')}: it needs no cloud credentials"
        )
    return target, target.credentials


def _bootstrap_of(target: Target, field: str) -> Bootstrap:
    from greentic_iac.plan.target import no_member_message

    if target.bootstrap is None:
        raise InvalidInputError(f"{field}: {no_member_message(target, 'credentials bootstrap')}")
    return target.bootstrap


def _timeout(ctx: Context) -> float:
    from greentic_iac.preflight import DEFAULT_TIMEOUT

    timeout: float | None = getattr(ctx.args, "timeout", None)
    if timeout is None:
        return DEFAULT_TIMEOUT
    if not timeout > 0:
        raise InvalidInputError(f"--timeout: must be a positive number of seconds, got {timeout}")
    return timeout


def _context(ctx: Context, state: EnvironmentState, **extra: Any) -> TargetContext:
    """The verb's flags, the stack's provider settings and ``extra`` for the target."""
    from greentic_iac.plan.target import TargetContext
    from greentic_iac.pulumi.stack_config import provider_config

    options = {**vars(ctx.args), "provider_config": provider_config(state), **extra}
    return TargetContext(greentic_home=ctx.greentic_home, timeout=_timeout(ctx), options=options)


def policy(ctx: Context, _: None) -> dict[str, Any] | Rendered:
    """The target's policy document, printed verbatim, ready to apply."""
    state = ctx.environment_state()
    credentials = _credentials(ctx, state)[1]
    return Rendered(credentials.policy(compile_state(state), state).text)


def validate(ctx: Context, _: None) -> Rendered:
    state = ctx.environment_state()
    _timeout(ctx)
    target, credentials = _credentials(ctx, state)
    plan = compile_state(state)
    context = _context(ctx, state)
    pack = _rules_pack_report(ctx, state, target, plan, context) if ctx.args.rules_pack else None
    report = credentials.validate(plan, state, context)
    code = 0 if report.ok else PreflightError.exit_code
    if pack is None:
        return Rendered("\n".join(report.lines), code, dict(report.result))
    result = {**report.result, "rules_pack": pack}
    lines = [
        "\n".join(report.lines),
        f"rules pack {pack['directory']}: {'ok' if pack['ok'] else 'FAILED'}",
    ]
    lines += [f"  {problem}" for problem in pack["problems"]]
    return Rendered("\n".join(lines), code if pack["ok"] else PreflightError.exit_code, result)


def _rules_pack_report(
    ctx: Context, state: EnvironmentState, target: Target, plan: Plan, context: TargetContext
) -> dict[str, Any]:
    """The pack's hashes, its plan documents against the current plan, and the target's
    check of the live identity the pack records."""
    from greentic_iac.plan.rules_pack import check_rules_pack

    bootstrap = _bootstrap_of(target, "--rules-pack")
    directory = Path(ctx.args.rules_pack).absolute()
    expected = [d for d in bootstrap.pack_documents(plan, state) if d.from_plan]
    environment_id = state.environment.environment_id
    report = check_rules_pack(directory, environment_id, target.descriptor, expected)
    report.problems += bootstrap.check_live(plan, state, report.identity, context)
    return report.to_json_dict()


# -- credentials bootstrap ---------------------------------------------------------------


def _bootstrap_preflight(ctx: Context, state: EnvironmentState) -> None:
    """The deployer pack's probes (the admin's identity and reach; bootstrap never runs
    pulumi, so its tool checks don't apply), or an audited ``--skip-preflight``."""
    from greentic_iac.envpacks import binding_requirements
    from greentic_iac.preflight import gate
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
    gate(build_tool_check_report(checks, timeout=_timeout(ctx)))


def _target_options() -> list[str]:
    """The bootstrap options that belong to some target (``--principal``, ...), in the
    verb's order."""
    from greentic_iac.cli.verbs import VERBS

    (verb,) = [v for v in VERBS if v.command == BOOTSTRAP_VERB]
    names = [arg.name.lstrip("-").replace("-", "_") for arg in verb.args]
    return [name for name in names if name not in _COMMON_BOOTSTRAP_OPTIONS]


def _refuse_foreign_flags(ctx: Context, target: Target, bootstrap: Bootstrap) -> None:
    """A flag this target doesn't read is bad input, named with the targets that read it."""
    from greentic_iac.targets import registered_targets

    for name in _target_options():
        if name in bootstrap.flags or not getattr(ctx.args, name, None):
            continue
        flag = f"--{name.replace('_', '-')}"
        takers = [
            t.descriptor
            for t in registered_targets(ctx.registry)
            if t.bootstrap is not None and name in t.bootstrap.flags
        ]
        if takers:
            raise InvalidInputError(f"{flag}: only for {' or '.join(takers)} environments")
        raise InvalidInputError(f"{flag}: deployer {target.descriptor} does not take it")


def bootstrap(ctx: Context, _: None) -> Rendered:
    """Create (or converge) the deployer identity with exactly ``credentials policy``, and
    export the rules pack. Order: bad input (exit 2) before the grant, the grant before
    preflight, preflight before any cloud write; the outcome is audited either way."""
    from greentic_iac.errors import GreenticError
    from greentic_iac.plan.rules_pack import write_rules_pack

    state = ctx.environment_state()
    target = _credentials(ctx, state)[0]
    environment_id = state.environment.environment_id
    _timeout(ctx)
    pack = Path(
        ctx.args.rules_pack or ctx.greentic_home / "rules-packs" / environment_id
    ).absolute()
    member = _bootstrap_of(target, "credentials bootstrap")
    _refuse_foreign_flags(ctx, target, member)
    context = _context(ctx, state, rules_pack=pack)
    member.check_inputs(state, context)
    ctx.grant = ctx.store.require_grant(environment_id, BOOTSTRAP_VERB).grant
    _bootstrap_preflight(ctx, state)
    try:
        made = member.bootstrap(compile_state(state), state, context)
        written = write_rules_pack(
            pack, environment_id, target.descriptor, made.identity, made.documents
        )
    except GreenticError as error:
        ctx.store.record(
            environment_id,
            BOOTSTRAP_VERB,
            {"error": str(error).splitlines()[0]},
            outcome="error",
            grant=ctx.grant,
        )
        raise
    rules_pack = {"directory": str(pack), "written": written}
    audited = {
        "target": target.descriptor,
        "environment_id": environment_id,
        **made.result,
        "rules_pack": rules_pack,
    }
    ctx.store.record(environment_id, BOOTSTRAP_VERB, audited, grant=ctx.grant)
    result = {
        "target": target.descriptor,
        "environment_id": environment_id,
        **made.result,
        **made.private,
        "rules_pack": rules_pack,
    }
    lines = [f"{target.descriptor}: {', '.join(made.changes) or 'no change'}"]
    lines.append(f"rules pack: {pack} ({', '.join(written) or 'unchanged'})")
    lines += made.notes
    return Rendered("\n".join(lines), 0, result)
