"""Fill ``{{ settings.<field> }}`` placeholders in probe params from a binding's settings.

A manifest cannot know the namespace a user picks, so ``kubectl-can-i`` declares
``namespace: "{{ settings.namespace }}"`` and the caller fills it per binding. Only this
one form is supported on purpose: no expressions, no filters, nothing to evaluate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement

_PLACEHOLDER = re.compile(r"\{\{\s*settings\.([A-Za-z0-9_.-]+)\s*\}\}")
_MISSING = object()

Requirement = TypeVar("Requirement", ToolRequirement, ProbeRequirement)


def _setting(settings: Mapping[str, Any], dotted: str) -> Any:
    value: Any = settings
    for key in dotted.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _fill(value: Any, settings: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole is not None:
            # A lone placeholder keeps the setting's type (a port stays an int).
            found = _setting(settings, whole.group(1))
            if found is _MISSING:
                raise InvalidInputError(f"{where}: settings.{whole.group(1)} is not set")
            return found

        def replace(match: re.Match[str]) -> str:
            found = _setting(settings, match.group(1))
            if found is _MISSING:
                raise InvalidInputError(f"{where}: settings.{match.group(1)} is not set")
            return str(found)

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, Mapping):
        return {key: _fill(item, settings, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, settings, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def fill_placeholders(requirement: Requirement, settings: Mapping[str, Any]) -> Requirement:
    """A copy of ``requirement`` with its params' placeholders filled from ``settings``.

    Raises InvalidInputError naming the param and the missing setting. Tool requirements
    have no params and come back unchanged.
    """
    if isinstance(requirement, ToolRequirement):
        return requirement
    filled = _fill(requirement.params, settings, f"probe {requirement.probe} params")
    return requirement.model_copy(update={"params": filled})


def has_placeholders(value: Any) -> bool:
    """True when any string inside ``value`` still holds a ``{{ ... }}`` placeholder."""
    if isinstance(value, str):
        return "{{" in value and "}}" in value
    if isinstance(value, Mapping):
        return any(has_placeholders(item) for item in value.values())
    if isinstance(value, list):
        return any(has_placeholders(item) for item in value)
    return False
