"""Static checks of a manifest's requirements: known names, readable minimum versions,
the params each probe needs.

Meant for the env-pack manifest tests, so a typo in a manifest fails CI instead of a
user's ``env tool-check``. Placeholders are allowed here (they are filled per binding).
"""

from __future__ import annotations

from greentic_iac.errors import InvalidInputError
from greentic_iac.preflight.catalog import KNOWN_TOOLS
from greentic_iac.preflight.probes import KNOWN_PROBES, PROBE_CATALOG
from greentic_iac.preflight.versions import parse_min_version
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement


def validate_requirement(requirement: ToolRequirement | ProbeRequirement) -> None:
    """Raise InvalidInputError (one line naming the field) when preflight cannot run it."""
    if isinstance(requirement, ToolRequirement):
        if requirement.tool not in KNOWN_TOOLS:
            raise InvalidInputError(
                f"tool: unknown tool {requirement.tool!r} (known: {', '.join(sorted(KNOWN_TOOLS))})"
            )
        if requirement.min_version is not None:
            try:
                parse_min_version(requirement.min_version)
            except ValueError as error:
                raise InvalidInputError(f"tool {requirement.tool}: {error}") from None
        return
    spec = PROBE_CATALOG.get(requirement.probe)
    if spec is None:
        raise InvalidInputError(
            f"probe: unknown probe {requirement.probe!r} (known: {', '.join(sorted(KNOWN_PROBES))})"
        )
    given = set(requirement.params)
    missing = sorted(spec.required_params - given)
    if missing:
        raise InvalidInputError(f"probe {spec.name} params: missing {', '.join(missing)}")
    unknown = sorted(given - spec.required_params - spec.optional_params)
    if unknown:
        raise InvalidInputError(f"probe {spec.name} params: unknown {', '.join(unknown)}")
