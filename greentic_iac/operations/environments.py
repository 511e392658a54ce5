"""Environment bootstrap (seed A4/A4+) and non-secret configuration."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError, NotFoundError
from greentic_iac.spec import (
    CapabilitySlot,
    Environment,
    EnvironmentState,
    EnvPackBinding,
    MessagingEndpoint,
    format_validation_error,
    local_environment,
)
from greentic_iac.spec.answers import ConfigSetPayload, EnvCreatePayload, PolicySetPayload
from greentic_iac.spec.defaults import LOCAL_DEFAULT_BINDINGS, default_binding
from greentic_iac.store.reading import environment_summary as summary_of_document

Result = tuple[EnvironmentState, dict[str, Any]]


def environment_summary(state: EnvironmentState) -> dict[str, Any]:
    # One definition of the row, shared with the model-free ``env list`` path.
    return summary_of_document(state.to_json_dict())


def new_local_state(environment_id: str) -> EnvironmentState:
    return EnvironmentState(environment=local_environment(environment_id))


def heal_defaults(state: EnvironmentState) -> tuple[EnvironmentState, list[str]]:
    """Fill default slots that are missing (the seed's ``healed`` outcome)."""
    bound = {b.slot for b in state.environment.packs}
    added = [
        default_binding(slot, descriptor)
        for slot, descriptor in LOCAL_DEFAULT_BINDINGS
        if slot not in bound
    ]
    if not added:
        return state, []
    new = state.model_copy(deep=True)
    new.environment = Environment.model_validate(
        {**new.environment.to_json_dict(), "packs": [*new.environment.packs, *added]}
    )
    return new, [b.slot.value for b in added]


def init_result(state: EnvironmentState, outcome: str, healed: list[str]) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "environment_id": state.environment.environment_id,
        "pack_count": len(state.environment.packs),
        "healed_slots": healed,
        "packs": [{"slot": b.slot.value, "kind": str(b.kind)} for b in state.environment.packs],
    }


def state_from_create(payload: EnvCreatePayload) -> EnvironmentState:
    """The new environment; the caller validates pack settings against the registry."""
    packs = [
        EnvPackBinding(
            slot=p.slot,
            kind=p.kind,
            pack_ref=p.pack_ref or f"builtin://{p.kind.path}",
            answers_ref=p.answers_ref,
            settings=p.settings,
        )
        for p in payload.packs
    ]
    if not any(p.slot == CapabilitySlot.DEPLOYER for p in packs):
        raise InvalidInputError("packs: a deployer binding is required (slot 'deployer')")
    try:
        environment = Environment(
            environment_id=payload.environment_id,
            tenant=payload.tenant,
            deployment=payload.deployment,
            packs=packs,
        )
    except ValueError as exc:
        raise InvalidInputError(f"packs: {exc}") from None
    endpoints = [
        MessagingEndpoint(
            endpoint_id=e.endpoint_id,
            kind=e.kind,
            pack_ref=e.pack_ref or f"builtin://{e.kind.path}",
            answers_ref=e.answers_ref,
            settings=e.settings,
        )
        for e in payload.messaging_endpoints
    ]
    try:
        environment = Environment.model_validate(
            {**environment.model_dump(), "messaging_endpoints": endpoints}
        )
    except ValidationError as exc:
        raise InvalidInputError(format_validation_error(exc)) from None
    return EnvironmentState(environment=environment, policy=payload.policy)


def set_config(state: EnvironmentState, payload: ConfigSetPayload) -> Result:
    new = state.model_copy(deep=True)
    if payload.deployment_id is not None:
        if payload.deployment_id not in new.deployments:
            raise NotFoundError(f"deployment_id: deployment {payload.deployment_id} does not exist")
        table = new.deployment_config.setdefault(payload.deployment_id, {})
    else:
        table = new.config
    previous = table.get(payload.key)
    if payload.value is None:
        if payload.key not in table:
            raise NotFoundError(f"key: {payload.key!r} is not set")
        del table[payload.key]
    else:
        table[payload.key] = payload.value
    if payload.deployment_id is not None and not table:
        new.deployment_config.pop(payload.deployment_id, None)
    return new, {
        "key": payload.key,
        "deployment_id": payload.deployment_id,
        "value": payload.value,
        "previous": previous,
    }


def set_policy(state: EnvironmentState, payload: PolicySetPayload) -> Result:
    new = state.model_copy(deep=True)
    new.policy = payload.policy
    return new, {"policy": new.policy.to_json_dict()}
