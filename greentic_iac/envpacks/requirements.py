"""What ``env tool-check`` must check for an environment: each binding's preflight list.

The preflight package runs the checks; this module only gathers them per binding, with
``{{ settings.<field> }}`` probe parameters filled from the binding's settings, so the
runner never needs to know about manifests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from greentic_iac.envpacks.handler import Requirement, preflight_for_settings
from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.errors import GreenticError
from greentic_iac.spec import Environment


@dataclass(frozen=True)
class BindingRequirements:
    """One binding (core slot or extension) and the checks its pack asks for."""

    slot: str
    kind: str
    instance_id: str | None = None
    requirements: list[Requirement] = field(default_factory=list)
    # Why the requirements could not be gathered (unknown kind, broken plug-in, ...).
    problem: str | None = None


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
            requirements = preflight_for_settings(handler, settings)
        except GreenticError as exc:
            rows.append(BindingRequirements(slot, str(kind), instance_id, problem=str(exc)))
            continue
        rows.append(BindingRequirements(slot, str(kind), instance_id, requirements))
    return rows
