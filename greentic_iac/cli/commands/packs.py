"""``env-packs``, ``extensions``, ``messaging``, ``env doctor`` and ``env tool-check`` verbs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.envpacks import binding_requirements, messaging
from greentic_iac.envpacks import bindings as ops
from greentic_iac.envpacks import doctor as doctor_report
from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.spec import Environment, EnvironmentState

EnvChange = Callable[[Environment, Any, EnvPackRegistry], tuple[Environment, dict[str, Any]]]
Handler = Callable[[Context, Any], dict[str, Any]]


def _mutate(ctx: Context, payload: BaseModel, verb: str, change: EnvChange) -> dict[str, Any]:
    registry = ctx.registry
    environment_id: str = getattr(payload, "environment_id")  # noqa: B009 (every payload has one)

    def apply(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        environment, result = change(state.environment, payload, registry)
        new = state.model_copy(deep=True)
        new.environment = environment
        _check_deployer_settings(state, new)
        return new, result

    return ctx.store.mutate(
        environment_id,
        ctx.allocated(apply),  # a settings change may move the allocation scope
        verb=verb,
        idempotency_key=getattr(payload, "idempotency_key", None),
        expected_generation=getattr(payload, "expected_generation", None),
        payload=payload.model_dump(mode="json"),
    ).result


def _check_deployer_settings(before: EnvironmentState, after: EnvironmentState) -> None:
    """New settings for the same deployer: what its compiler refuses is refused now.

    The manifest's JSON Schema can't say everything the target's model checks (a Fargate
    cpu/memory pair, a health-check timeout below its interval). A rebind to another
    deployer is judged at plan time: the old compiler can't judge the new pack's settings.
    """
    from greentic_iac.operations.settings_gate import check_new_settings

    old, new = before.environment.deployer(), after.environment.deployer()
    if old is None or new is None or old.kind.path != new.kind.path:
        return
    if old.settings != new.settings:
        check_new_settings(before, after, "deployer settings")


def _environment(ctx: Context) -> Environment:
    return ctx.environment_state().environment


def _mutating(verb: str, change: EnvChange) -> Handler:
    """The handler of one binding verb: the pure change inside a store transaction."""

    def handler(ctx: Context, payload: BaseModel) -> dict[str, Any]:
        return _mutate(ctx, payload, verb, change)

    handler.__doc__ = f"``{verb}``"
    return handler


packs_add = _mutating("env-packs add", ops.add_env_pack)
packs_update = _mutating("env-packs update", ops.update_env_pack)
packs_remove = _mutating("env-packs remove", ops.remove_env_pack)
packs_rollback = _mutating("env-packs rollback", ops.rollback_env_pack)
ext_add = _mutating("extensions add", ops.add_extension)
ext_update = _mutating("extensions update", ops.update_extension)
ext_remove = _mutating("extensions remove", ops.remove_extension)
ext_rollback = _mutating("extensions rollback", ops.rollback_extension)

msg_add = _mutating("messaging add", messaging.add_endpoint)
msg_update = _mutating("messaging update", messaging.update_endpoint)
msg_remove = _mutating("messaging remove", messaging.remove_endpoint)
msg_rollback = _mutating("messaging rollback", messaging.rollback_endpoint)


def packs_list(ctx: Context, _: None) -> dict[str, Any]:
    environment = _environment(ctx)
    return {"environment_id": environment.environment_id, "packs": ops.list_bindings(environment)}


def ext_list(ctx: Context, _: None) -> dict[str, Any]:
    environment = _environment(ctx)
    return {
        "environment_id": environment.environment_id,
        "extensions": ops.list_extensions(environment),
    }


def msg_list(ctx: Context, _: None) -> dict[str, Any]:
    environment = _environment(ctx)
    return {
        "environment_id": environment.environment_id,
        "messaging_endpoints": messaging.list_endpoints(environment),
    }


def ext_resolve(ctx: Context, _: None) -> dict[str, Any]:
    return ops.resolve_extension(_environment(ctx), ctx.args.uri)


def doctor(ctx: Context, _: None) -> dict[str, Any]:
    return doctor_report(_environment(ctx), ctx.registry)


GATED_VERBS = ("preview --engine pulumi", "up", "destroy", "drift")


def needed_by(requirement: Any) -> list[str]:
    """The verbs a check is for (``verbs`` in the manifest; absent: every gated verb)."""
    verbs = getattr(requirement, "verbs", None)
    return list(verbs) if verbs else list(GATED_VERBS)


def checks_for(rows: list[Any], verb: str | None) -> list[tuple[str, str, list[Any]]]:
    """``(slot, kind, requirements)`` per binding, keeping what ``verb`` needs (all: None)."""
    return [
        (r.slot, r.kind, [q for q in r.requirements if verb is None or verb in needed_by(q)])
        for r in rows
    ]


def tool_check_report(
    ctx: Context, environment: Environment, timeout: float | None, verb: str | None = None
) -> Any:
    """Run every binding's preflight; shared by ``env tool-check`` and the apply gate.

    With ``verb``, only the checks that verb needs run (the aws CLI is for ``credentials
    validate``, not for ``up``)."""
    from greentic_iac.errors import InvalidInputError
    from greentic_iac.preflight.report import build_tool_check_report

    rows = binding_requirements(environment, ctx.registry)
    broken = [r for r in rows if r.problem]
    if broken:
        raise InvalidInputError(f"{broken[0].kind}: {broken[0].problem} (see `env doctor`)")
    checks = checks_for(rows, verb)
    if timeout is None:
        return build_tool_check_report(checks)
    return build_tool_check_report(checks, timeout=timeout)


def tool_check(ctx: Context, _: None) -> Rendered:
    """The whole report on stdout either way; exit 3 (preflight failed) when a check failed.
    Each check says which verbs need it (outcomes come in requirement order per binding)."""
    from greentic_iac.errors import PreflightError

    environment = _environment(ctx)
    report = tool_check_report(ctx, environment, ctx.args.timeout)
    data: dict[str, Any] = report.model_dump(mode="json")
    rows = binding_requirements(environment, ctx.registry)
    for binding, row in zip(data["per_binding"], rows, strict=False):
        for outcome, requirement in zip(binding["outcomes"], row.requirements, strict=False):
            outcome["needed_by"] = needed_by(requirement)
    return Rendered(exit_code=PreflightError.exit_code if report.failed_checks else 0, result=data)
