"""What ``env tool-check`` must check for an environment: each binding's preflight list.

The preflight package runs the checks; this module only gathers them per binding, with
``{{ settings.<field> }}`` probe parameters filled in, so the runner never needs to know
about manifests. There is one filler, ``preflight_for_settings`` (it knows the pack's
settings schema and its defaults); the preflight runner only refuses a requirement that
still holds a placeholder.

A setting the binding leaves unset (or null) falls back, before the schema default, to what
the environment implies: ``namespace`` is ``greentic-<tenant>-<env>`` (or
``greentic-<tenant>`` for ``namespace_mode: existing``), the namespace the Kubernetes target
deploys into when none is configured, so
``kubectl auth can-i`` asks about the namespace the apply will really use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from greentic_iac.envpacks.handler import Requirement, preflight_for_settings
from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.errors import GreenticError
from greentic_iac.spec import Environment

_UNSAFE = re.compile(r"[^a-z0-9-]+")
_MAX_LABEL = 63
_HASH_LENGTH = 8


@dataclass(frozen=True)
class BindingRequirements:
    """One binding (core slot or extension) and the checks its pack asks for."""

    slot: str
    kind: str
    instance_id: str | None = None
    requirements: list[Requirement] = field(default_factory=list)
    # Why the requirements could not be gathered (unknown kind, broken plug-in, ...).
    problem: str | None = None


def default_namespace(environment: Environment, *, owned: bool = True) -> str:
    """``greentic-<tenant>-<env>`` (owned) or ``greentic-<tenant>`` (an existing, shared
    namespace) as a DNS label: the same rule as the Kubernetes target's
    ``naming.namespace_name`` (envpacks may not import targets; a test holds them equal)."""
    parts = ["greentic", environment.tenant.tenant]
    if owned:
        parts.append(environment.environment_id)
    natural = "-".join(_UNSAFE.sub("-", part.lower()).strip("-") for part in parts)
    if len(natural) <= _MAX_LABEL:
        return natural
    digest = hashlib.sha256(natural.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{natural[: _MAX_LABEL - _HASH_LENGTH - 1].rstrip('-')}-{digest}"


def environment_defaults(
    environment: Environment, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Settings the environment implies for any binding that leaves them unset (the
    default namespace depends on whether the binding owns it: ``namespace_mode``)."""
    given = settings or {}
    owned = (
        given.get("namespace_mode", "owned") == "owned"
        and given.get("create_namespace", True) is not False
    )
    return {"namespace": default_namespace(environment, owned=owned)}


def effective_settings(environment: Environment, settings: dict[str, Any]) -> dict[str, Any]:
    """The binding's settings over the environment's implied ones; a null setting counts
    as unset (``namespace: null`` means "the default namespace", not "no namespace")."""
    given = {key: value for key, value in settings.items() if value is not None}
    return {**environment_defaults(environment, given), **given}


def binding_requirements(
    environment: Environment, registry: EnvPackRegistry
) -> list[BindingRequirements]:
    """Per binding, in slot order then extensions; local defaults all return ``[]``."""
    rows: list[BindingRequirements] = []
    bindings = [(b.slot.value, b.kind, None, b.settings) for b in environment.packs] + [
        ("extension", e.kind, e.instance_id, e.settings) for e in environment.extensions
    ]
    for slot, kind, instance_id, settings in bindings:
        try:
            handler = registry.get(kind.path)
            requirements = preflight_for_settings(
                handler, effective_settings(environment, settings)
            )
        except GreenticError as exc:
            rows.append(BindingRequirements(slot, str(kind), instance_id, problem=str(exc)))
            continue
        rows.append(BindingRequirements(slot, str(kind), instance_id, requirements))
    return rows
