"""``env`` verbs: init, create, list, show, remove, policy, backups, restore.

``env list`` is the read verb people and scripts run most, so this module imports no
models up front: the verbs that need them load ``operations.environments`` when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError, NotFoundError
from greentic_iac.spec.environment_id import validate_environment_id

if TYPE_CHECKING:
    from greentic_iac.spec import EnvironmentState
    from greentic_iac.spec.answers import EnvCreatePayload, EnvRemovePayload, PolicySetPayload


def init(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.operations import environments as ops

    environment_id = validate_environment_id(ctx.args.environment_id)
    store = ctx.store
    if not store.exists(environment_id):
        store.create(ops.new_local_state(environment_id), verb="env init")
        return ops.init_result(store.load(environment_id), "created", [])
    healed: list[str] = []

    def heal(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        new, added = ops.heal_defaults(state)
        healed.extend(added)
        return new, ops.init_result(new, "healed", added)

    current = store.load(environment_id)
    if not ops.heal_defaults(current)[1]:
        return ops.init_result(current, "untouched", [])
    return store.mutate(environment_id, heal, verb="env init").result


def create(ctx: Context, payload: EnvCreatePayload) -> dict[str, Any]:
    from greentic_iac.operations import environments as ops

    state = ops.state_from_create(payload)
    registry = ctx.registry
    for index, binding in enumerate(state.environment.packs):
        registry.resolve_for_slot(binding.slot, binding.kind)
        registry.validate_settings(
            binding.kind, binding.settings, field_prefix=f"packs[{index}].settings"
        )
    result = ctx.store.create(
        state,
        verb="env create",
        idempotency_key=payload.idempotency_key,
        payload=payload.to_json_dict(),
    )
    assert result.state is not None
    return {"outcome": "created", **ops.environment_summary(result.state)}


def list_(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.store.reading import environment_summaries

    return {"environments": environment_summaries(ctx.store_url, ctx.home)}


def show(ctx: Context, _: None) -> dict[str, Any]:
    state = ctx.environment_state()
    return state.to_json_dict()


def remove(ctx: Context, payload: EnvRemovePayload) -> dict[str, Any]:
    state = ctx.store.load(payload.environment_id)
    live = state.active_deployments()
    if live and not payload.force:
        raise InvalidInputError(
            f"environment_id: environment {payload.environment_id} still has {len(live)} "
            "deployment(s); remove them first or set force: true"
        )
    ctx.store.remove(
        payload.environment_id, verb="env remove", idempotency_key=payload.idempotency_key
    )
    return {"environment_id": payload.environment_id, "outcome": "removed"}


def policy(ctx: Context, payload: PolicySetPayload) -> dict[str, Any]:
    from greentic_iac.operations import environments as ops

    return ctx.mutate(payload, "env policy", lambda s: ops.set_policy(s, payload)).result


def backups(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    return {
        "backups": [
            b.to_json_dict() if hasattr(b, "to_json_dict") else vars(b)
            for b in ctx.store.backups(environment_id)
        ]
    }


def restore(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    generation = ctx.args.generation
    if generation is None:
        raise InvalidInputError(
            "--generation: the generation to restore is required (see `env backups`)"
        )
    if generation < 0:
        raise NotFoundError(f"--generation: no backup of generation {generation}")
    result = ctx.store.restore_backup(environment_id, generation)
    return {
        "environment_id": environment_id,
        "restored_generation": generation,
        "generation": result.generation_after,
    }
