"""``env`` verbs: init, create, list, show, remove, policy, backups, restore.

``env list`` is the read verb people and scripts run most, so this module imports no
models up front: the verbs that need them load ``operations.environments`` when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError, NotFoundError, StateCorruptError
from greentic_iac.spec.environment_id import validate_environment_id

if TYPE_CHECKING:
    from greentic_iac.spec import EnvironmentState
    from greentic_iac.spec.answers import EnvCreatePayload, EnvRemovePayload, PolicySetPayload


def init(ctx: Context, _: None) -> dict[str, Any]:
    return ensure_environment(ctx, validate_environment_id(ctx.args.environment_id), "env init")


def ensure_environment(ctx: Context, environment_id: str, verb: str) -> dict[str, Any]:
    """Create ``environment_id`` with the local defaults, or heal its missing slots (A4)."""
    from greentic_iac.operations import environments as ops

    store = ctx.store
    if not store.exists(environment_id):
        store.create(ops.new_local_state(environment_id), verb=verb)
        return ops.init_result(store.load(environment_id), "created", [])
    healed: list[str] = []

    def heal(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        new, added = ops.heal_defaults(state)
        healed.extend(added)
        return new, ops.init_result(new, "healed", added)

    current = store.load(environment_id)
    if not ops.heal_defaults(current)[1]:
        return ops.init_result(current, "untouched", [])
    return store.mutate(environment_id, heal, verb=verb).result


def create(ctx: Context, payload: EnvCreatePayload) -> dict[str, Any]:
    from greentic_iac.operations import environments as ops

    if payload.expected_generation is not None:
        # Refused rather than ignored: a new environment has no generation to compare with.
        raise InvalidInputError(
            "expected_generation: env create makes a new environment, so there is no "
            "generation to compare with; omit it (an idempotency_key makes a retry safe)"
        )
    state = ops.state_from_create(payload)
    registry = ctx.registry
    # The payload's order, not the state's (sorted by slot): errors name the entry written.
    for index, binding in enumerate(payload.packs):
        try:
            registry.resolve_for_slot(binding.slot, binding.kind)
        except InvalidInputError as exc:
            text = str(exc)
            where = f"packs[{index}]." if text.startswith("kind: ") else f"packs[{index}].kind: "
            raise type(exc)(where + text) from None
        registry.validate_settings(
            binding.kind, binding.settings, field_prefix=f"packs[{index}].settings"
        )
    if state.environment.messaging_endpoints:
        from greentic_iac.envpacks.messaging import check_endpoint_kind

        for endpoint in state.environment.messaging_endpoints:
            check_endpoint_kind(
                registry,
                endpoint.kind,
                endpoint.settings,
                field_prefix=f"messaging_endpoints[{endpoint.endpoint_id}].settings",
            )
    # The deployer's hook checks what its target refuses beyond the schema (and allocates).
    state = ctx.allocated(lambda s: (s, {}))(state)[0]
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
    environment_id = payload.environment_id
    store = ctx.store
    try:
        state: EnvironmentState | None = store.load(environment_id)
    except StateCorruptError as exc:
        return _remove_damaged(ctx, payload, exc)
    except NotFoundError:
        if payload.idempotency_key is None:
            raise
        state = None  # a retried removal: its record replays the first answer (or not found)
    live = state.active_deployments() if state is not None else []
    if live and not payload.force:
        raise InvalidInputError(
            f"environment_id: environment {environment_id} still has {len(live)} "
            "deployment(s); remove them first or set force: true"
        )
    store.remove(
        environment_id,
        verb="env remove",
        idempotency_key=payload.idempotency_key,
        expected_generation=payload.expected_generation,
        payload=payload.to_json_dict(),
    )
    if state is not None:
        _forget_claims(ctx, environment_id, state.generation + 1)
    return {"environment_id": environment_id, "outcome": "removed"}


def _forget_claims(ctx: Context, environment_id: str, generation: int) -> None:
    """Shared claims (a listener's priorities) must not outlive the environment; values of
    an environment that was never destroyed stay held back (its rules may still exist)."""
    from greentic_iac.operations.baseline import applied_generation, baseline_path
    from greentic_iac.store.claims import claims_for

    home = ctx.greentic_home
    claims = claims_for(
        ctx.store,
        home,
        float(getattr(ctx.store, "lock_timeout", 10.0)),
        lambda other: applied_generation(home, other),
    )
    claims.forget(
        environment_id,
        deployed=baseline_path(home, environment_id).is_file(),
        generation=generation,
    )


def _remove_damaged(
    ctx: Context, payload: EnvRemovePayload, damaged: StateCorruptError
) -> dict[str, Any]:
    if not payload.force:
        raise StateCorruptError(
            f"{damaged}; to remove the environment instead, set force: true "
            "(the damaged file is kept aside)"
        )
    if payload.expected_generation is not None:
        raise InvalidInputError(
            "expected_generation: the state is damaged, so its generation is unknown; "
            "omit expected_generation to remove it with force: true"
        )
    kept = ctx.store.remove_damaged(payload.environment_id, verb="env remove")
    if kept is None:  # it was repaired meanwhile: remove it the ordinary way
        return remove(ctx, payload)
    return {
        "environment_id": payload.environment_id,
        "outcome": "removed",
        "damaged_state_kept_as": kept,
    }


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
    result = ctx.store.restore_backup(
        environment_id, generation, override_policy=bool(ctx.args.override_policy)
    )
    return {
        "environment_id": environment_id,
        "restored_generation": generation,
        "generation": result.generation_after,
    }
