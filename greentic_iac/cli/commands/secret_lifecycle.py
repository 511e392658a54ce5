"""``secrets rotate`` and ``secrets delete``: a secret's later life, through its backend.

Like ``secrets put``, each runs inside a store transaction, so the grant is checked and the
environment locked before anything reaches the backend, and the audit event names the
secret and what was asked (never a value).
"""

from __future__ import annotations

import secrets as random_source
from typing import Any

from greentic_iac.cli.context import Context
from greentic_iac.secrets import DeleteRequest, SecretsBackend
from greentic_iac.secrets.fingerprint import value_fingerprint
from greentic_iac.spec import EnvironmentState
from greentic_iac.spec.answers import SecretDeletePayload, SecretRotatePayload

GENERATED_BYTES = 32


def _backend(ctx: Context, environment_id: str) -> SecretsBackend:
    from greentic_iac.cli.secrets_backend import backend_for

    return backend_for(ctx, ctx.store.load(environment_id))


def rotate(ctx: Context, payload: SecretRotatePayload) -> dict[str, Any]:
    backend = _backend(ctx, payload.environment_id)
    generated = payload.value is None
    value = random_source.token_urlsafe(GENERATED_BYTES) if generated else payload.value
    assert value is not None

    def write(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        rotated = backend.rotate(payload.name, value)
        return state, {
            "name": payload.name,
            "outcome": "rotated",
            "backend": backend.kind,
            "reference": rotated.reference,
            "version": rotated.version,
            "previous": rotated.previous,
            "generated": generated,
        }

    # A keyed retry replays the first rotation (a generated value is not rotated twice);
    # an explicit value is compared by its slow salted fingerprint, never stored.
    fingerprint = (
        None
        if payload.value is None
        else value_fingerprint(
            "secrets rotate", payload.environment_id, payload.name, payload.value
        )
    )
    return ctx.store.mutate(
        payload.environment_id,
        write,
        verb="secrets rotate",
        idempotency_key=payload.idempotency_key,
        expected_generation=payload.expected_generation,
        payload={"name": payload.name, "generated": generated, "value": fingerprint},
    ).result


def delete(ctx: Context, payload: SecretDeletePayload) -> dict[str, Any]:
    force = payload.force_delete_without_recovery or bool(
        getattr(ctx.args, "force_delete_without_recovery", False)
    )
    if force and payload.recovery_window_days is not None:
        from greentic_iac.errors import InvalidInputError

        raise InvalidInputError(
            "--force-delete-without-recovery: not with recovery_window_days (choose one)"
        )
    request = DeleteRequest(
        recovery_window_days=payload.recovery_window_days, force_without_recovery=force
    )
    backend = _backend(ctx, payload.environment_id)

    def remove(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        deleted = backend.delete(payload.name, request)
        return state, {
            "name": payload.name,
            "outcome": "scheduled-for-deletion" if deleted.recoverable_until else "deleted",
            "backend": backend.kind,
            "reference": deleted.reference,
            "recoverable_until": deleted.recoverable_until,
        }

    return ctx.store.mutate(
        payload.environment_id,
        remove,
        verb="secrets delete",
        idempotency_key=payload.idempotency_key,
        expected_generation=payload.expected_generation,
        payload={
            "name": payload.name,
            "recovery_window_days": payload.recovery_window_days,
            "force_delete_without_recovery": force,
        },
    ).result
