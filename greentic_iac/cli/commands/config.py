"""``config``, ``secrets`` and ``audit`` verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError, NotFoundError
from greentic_iac.operations import environments as ops
from greentic_iac.secrets.fingerprint import value_fingerprint
from greentic_iac.spec import EnvironmentState, validate_environment_id
from greentic_iac.spec.answers import ConfigSetPayload, SecretPutPayload

if TYPE_CHECKING:
    from greentic_iac.secrets import SecretsBackend


def config_set(ctx: Context, payload: ConfigSetPayload) -> dict[str, Any]:
    return ctx.mutate(payload, "config set", lambda s: ops.set_config(s, payload)).result


def config_get(ctx: Context, _: None) -> dict[str, Any]:
    state = ctx.environment_state()
    deployment = ctx.args.deployment
    table = state.deployment_config.get(deployment, {}) if deployment else state.config
    key = ctx.args.key
    if key not in table:
        raise NotFoundError(f"key: {key!r} is not set")
    return {"key": key, "deployment_id": deployment, "value": table[key]}


def config_list(ctx: Context, _: None) -> dict[str, Any]:
    state = ctx.environment_state()
    rows = [{"deployment_id": None, "key": k, "value": v} for k, v in sorted(state.config.items())]
    for deployment_id, table in sorted(state.deployment_config.items()):
        rows += [
            {"deployment_id": deployment_id, "key": k, "value": v} for k, v in sorted(table.items())
        ]
    return {"config": rows}


def _secrets_backend(ctx: Context, environment_id: str) -> SecretsBackend:
    from greentic_iac.cli.secrets_backend import backend_for

    return backend_for(ctx, ctx.store.load(environment_id))


def secrets_put(ctx: Context, payload: SecretPutPayload) -> dict[str, Any]:
    backend = _secrets_backend(ctx, payload.environment_id)

    def write(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        # Inside the transaction: the grant is checked and the environment locked before
        # the value leaves this process; the audit event names the secret, never its value.
        written = backend.put(payload.name, payload.value)
        return state, {
            "name": payload.name,
            "outcome": written.outcome,
            "backend": backend.kind,
            "reference": written.reference,
        }

    return ctx.store.mutate(
        payload.environment_id,
        write,
        verb="secrets put",
        idempotency_key=payload.idempotency_key,
        expected_generation=payload.expected_generation,
        payload={
            "name": payload.name,
            "value": value_fingerprint(
                "secrets put", payload.environment_id, payload.name, payload.value
            ),
        },
    ).result


def secrets_get(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    backend = _secrets_backend(ctx, environment_id)
    return {"name": ctx.args.name, "value": backend.get(ctx.args.name)}


def secrets_list(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    backend = _secrets_backend(ctx, environment_id)
    return {"secrets": [{"name": n} for n in backend.names()], "backend": backend.kind}


def audit_list(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    limit = ctx.args.limit
    if limit is not None and limit < 1:
        raise InvalidInputError("--limit: must be at least 1")
    events = ctx.store.audit_events(environment_id, limit=limit)
    rows = [e.model_dump(mode="json") if hasattr(e, "model_dump") else dict(e) for e in events]
    pending = ctx.store.pending_operations(environment_id)
    return {
        "events": rows,
        "pending_operations": [
            p.model_dump(mode="json") if hasattr(p, "model_dump") else dict(p) for p in pending
        ],
    }
