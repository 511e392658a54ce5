"""What an env-pack asks preflight to check: tools with minimum versions, credential probes.

Shared by ``envpacks`` (manifests declare them) and ``preflight`` (runs them); both sit on
``spec`` and neither imports the other.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from greentic_iac.spec.base import SpecModel

_NAME = r"^[a-z0-9][a-z0-9-]*$"


class ToolRequirement(SpecModel):
    """An external executable, e.g. ``{"tool": "pulumi", "min_version": "3.100.0"}``."""

    tool: str = Field(pattern=_NAME)
    min_version: str | None = None
    # Why the pack needs it, shown next to the install hint.
    purpose: str | None = None
    # The verbs that need it (``credentials validate``); None: every verb behind the
    # preflight gate (``preview --engine pulumi``, ``up``, ``destroy``, ``drift``).
    verbs: list[str] | None = None


class ProbeRequirement(SpecModel):
    """A credential/reachability probe, e.g. ``{"probe": "aws-caller-identity"}``.

    ``params`` are probe-specific (``kubectl-can-i`` takes ``{"verb", "resource",
    "namespace"}``); values may be ``{{ settings.<field> }}`` placeholders that the caller
    fills from the binding's settings.
    """

    probe: str = Field(pattern=_NAME)
    params: dict[str, Any] = Field(default_factory=dict)
    purpose: str | None = None
    verbs: list[str] | None = None  # as ToolRequirement.verbs
