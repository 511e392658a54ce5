"""Pure operations behind ``messaging add|update|remove|rollback|list``.

Messaging is the one slot bound N times per environment (seed 001: a parallel collection,
``Environment.messaging_endpoints``, not ``packs``). The contract is the extensions' one:
``endpoint_id`` is the identity (a channel keeps its id when it changes provider or
version); ``add`` refuses a bound id; ``update`` bumps ``generation`` and keeps the previous
binding; ``rollback`` restores it, one step only; after ``remove`` nothing is left to roll
back. A kind with a registered handler must be a messaging pack with valid settings; a
kind without one is allowed (``env doctor`` lists it), as for extensions.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from greentic_iac.envpacks.binding_set import BindingSet, check_environment
from greentic_iac.envpacks.errors import UnknownKind
from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.spec import CapabilitySlot, Environment, MessagingEndpoint, PackDescriptor
from greentic_iac.spec.answers import Mutation

_ENDPOINT_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


class MessagingEndpointPayload(Mutation):
    """``messaging add`` / ``update``: one endpoint, named by ``endpoint_id``."""

    endpoint_id: str = Field(pattern=_ENDPOINT_PATTERN, description="the endpoint's identity")
    kind: PackDescriptor
    pack_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="where the pack comes from (default builtin://<kind path>)",
    )
    answers_ref: str | None = Field(default=None, max_length=1024)
    settings: dict[str, Any] = Field(default_factory=dict)


class MessagingEndpointRemovePayload(Mutation):
    """``messaging remove`` / ``rollback``."""

    endpoint_id: str = Field(pattern=_ENDPOINT_PATTERN)


def check_endpoint_kind(
    registry: EnvPackRegistry,
    kind: PackDescriptor,
    settings: dict[str, Any],
    field_prefix: str = "settings",
) -> None:
    """A registered kind must serve the messaging slot and accept ``settings``."""
    try:
        registry.get(kind.path)
    except UnknownKind:
        return
    registry.resolve_for_slot(CapabilitySlot.MESSAGING, kind)
    registry.validate_settings(kind, settings, field_prefix=field_prefix)


ENDPOINTS: BindingSet[MessagingEndpoint, str] = BindingSet(
    field="messaging_endpoints",
    key_of=lambda endpoint: endpoint.key,
    label=lambda endpoint_id: f"endpoint_id: messaging endpoint {endpoint_id!r}",
    update_verb="messaging update",
    build=lambda endpoint_id, **fields: MessagingEndpoint(endpoint_id=endpoint_id, **fields),
    identity=lambda endpoint: {"endpoint_id": endpoint.endpoint_id, "kind": str(endpoint.kind)},
)


def _bind(
    environment: Environment,
    payload: MessagingEndpointPayload,
    registry: EnvPackRegistry,
    current: MessagingEndpoint | None,
) -> tuple[Environment, dict[str, Any]]:
    check_endpoint_kind(registry, payload.kind, payload.settings)
    return ENDPOINTS.bind(
        environment,
        payload.endpoint_id,
        current,
        kind=payload.kind,
        pack_ref=payload.pack_ref or f"builtin://{payload.kind.path}",
        answers_ref=payload.answers_ref,
        settings=payload.settings,
    )


def add_endpoint(
    environment: Environment, payload: MessagingEndpointPayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Bind a new endpoint id (``ConflictError`` if bound: use ``update``)."""
    check_environment(environment, payload.environment_id)
    ENDPOINTS.refuse_bound(environment, payload.endpoint_id)
    return _bind(environment, payload, registry, None)


def update_endpoint(
    environment: Environment, payload: MessagingEndpointPayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Replace an endpoint's binding: ``generation`` + 1, the old one kept for rollback."""
    check_environment(environment, payload.environment_id)
    return _bind(environment, payload, registry, ENDPOINTS.bound(environment, payload.endpoint_id))


def remove_endpoint(
    environment: Environment, payload: MessagingEndpointRemovePayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Detach an endpoint (works for unknown kinds too); terminal for rollback."""
    check_environment(environment, payload.environment_id)
    return ENDPOINTS.remove(environment, payload.endpoint_id)


def rollback_endpoint(
    environment: Environment, payload: MessagingEndpointRemovePayload, registry: EnvPackRegistry
) -> tuple[Environment, dict[str, Any]]:
    """Restore what the last ``update`` replaced (one step; ``NotFoundError`` if none)."""
    check_environment(environment, payload.environment_id)
    return ENDPOINTS.rollback(environment, payload.endpoint_id)


def list_endpoints(environment: Environment) -> list[dict[str, Any]]:
    """``messaging list``: one row per endpoint, by id."""
    return [
        {
            "endpoint_id": e.endpoint_id,
            "kind": str(e.kind),
            "pack_ref": e.pack_ref,
            "answers_ref": e.answers_ref,
            "generation": e.generation,
            "has_previous": e.previous is not None,
        }
        for e in environment.messaging_endpoints
    ]
