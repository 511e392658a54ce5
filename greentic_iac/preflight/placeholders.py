"""Recognise a ``{{ settings.<field> }}`` placeholder that nobody filled.

Manifests cannot know a user's namespace, so probe params may say
``namespace: "{{ settings.namespace }}"``. Filling them is the env-pack layer's job
(``greentic_iac.envpacks.preflight_for_settings``, the one filler: it knows each pack's
settings schema and defaults). The runner only uses this check to refuse a requirement
that reached it unfilled, instead of asking kubectl about a namespace called ``{{``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def has_placeholders(value: Any) -> bool:
    """True when any string inside ``value`` still holds a ``{{ ... }}`` placeholder."""
    if isinstance(value, str):
        return "{{" in value and "}}" in value
    if isinstance(value, Mapping):
        return any(has_placeholders(item) for item in value.values())
    if isinstance(value, list):
        return any(has_placeholders(item) for item in value)
    return False
