"""``env doctor``: static health of an environment's bindings against the registry.

Seed 001's composite report: model validation (including each binding's settings against
its pack's schema), missing core slots, unknown kinds, slot mismatches, version skew,
plug-ins that failed to load or were refused, and the extensions' unknown kinds
(informational: an extension without a handler is allowed), and the same for the
messaging endpoints. Nothing here raises for a
finding; a finding is data in the report.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from greentic_iac.envpacks.errors import BrokenPlugin, UnknownKind
from greentic_iac.envpacks.handler import EnvPackHandler
from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import (
    CapabilitySlot,
    Environment,
    PackDescriptor,
    format_validation_error,
)


def _lookup(
    registry: EnvPackRegistry, kind: PackDescriptor, finding: dict[str, Any], unknown: list[Any]
) -> EnvPackHandler | None:
    try:
        return registry.get(kind.path)
    except UnknownKind:
        unknown.append({**finding, "reason": f"no handler is registered for {kind.path!r}"})
    except BrokenPlugin:
        unknown.append({**finding, "reason": "its plug-in failed to load (see broken_plugins)"})
    return None


def _check(
    handler: EnvPackHandler, expected_slot: CapabilitySlot, kind: PackDescriptor
) -> tuple[str, dict[str, str]] | None:
    """The slot/version finding for a resolved binding, as ``(report key, extra fields)``."""
    if handler.slot != expected_slot:
        return "slot_mismatches", {"handler_slot": handler.slot.value}
    if not handler.supported_versions.matches(kind.version):
        return "version_skew", {"supported_versions": str(handler.supported_versions)}
    return None


def _settings_error(
    registry: EnvPackRegistry, kind: PackDescriptor, settings: dict[str, Any], where: str
) -> str | None:
    try:
        registry.validate_settings(kind, settings, field_prefix=f"{where}.settings")
    except InvalidInputError as exc:
        return str(exc)
    return None


def doctor(environment: Environment, registry: EnvPackRegistry) -> dict[str, Any]:
    """The ``env doctor`` report (JSON-ready); see docs/envpacks.md for every key."""
    errors: list[str] = []
    try:
        Environment.model_validate(environment.model_dump())
    except ValidationError as exc:
        errors.append(format_validation_error(exc))

    report: dict[str, Any] = {
        "missing_slots": [slot.value for slot in environment.missing_slots()],
        "unknown_kinds": [],
        "slot_mismatches": [],
        "version_skew": [],
    }
    for binding in environment.packs:
        finding = {"slot": binding.slot.value, "kind": str(binding.kind)}
        handler = _lookup(registry, binding.kind, finding, report["unknown_kinds"])
        if handler is None:
            continue
        problem = _check(handler, binding.slot, binding.kind)
        if problem is not None:
            report[problem[0]].append({**finding, **problem[1]})
            continue
        where = f"packs[{binding.slot.value}]"
        error = _settings_error(registry, binding.kind, binding.settings, where)
        if error is not None:
            errors.append(error)

    extensions: dict[str, Any] = {"unknown_kinds": [], "slot_mismatches": [], "version_skew": []}
    for extension in environment.extensions:
        ext_finding: dict[str, Any] = {
            "kind": str(extension.kind),
            "instance_id": extension.instance_id,
        }
        handler = _lookup(registry, extension.kind, ext_finding, extensions["unknown_kinds"])
        if handler is None:
            continue
        problem = _check(handler, CapabilitySlot.EXTENSION, extension.kind)
        if problem is not None:
            extensions[problem[0]].append({**ext_finding, **problem[1]})
            continue
        where = f"extensions[{extension.kind.path}/{extension.instance_id or ''}]"
        error = _settings_error(registry, extension.kind, extension.settings, where)
        if error is not None:
            errors.append(error)

    messaging = _messaging_findings(environment, registry, errors)
    validate: dict[str, Any] = {"status": "error", "errors": errors} if errors else {"status": "ok"}
    return {
        "validate": validate,
        **report,
        "broken_plugins": [problem.to_dict() for problem in registry.load_all()],
        "extensions": extensions,
        "messaging": messaging,
    }


def _messaging_findings(
    environment: Environment, registry: EnvPackRegistry, errors: list[str]
) -> dict[str, Any]:
    """As for extensions: an endpoint kind without a handler is informational."""
    findings: dict[str, Any] = {"unknown_kinds": [], "slot_mismatches": [], "version_skew": []}
    for endpoint in environment.messaging_endpoints:
        finding: dict[str, Any] = {"endpoint_id": endpoint.endpoint_id, "kind": str(endpoint.kind)}
        handler = _lookup(registry, endpoint.kind, finding, findings["unknown_kinds"])
        if handler is None:
            continue
        problem = _check(handler, CapabilitySlot.MESSAGING, endpoint.kind)
        if problem is not None:
            findings[problem[0]].append({**finding, **problem[1]})
            continue
        where = f"messaging_endpoints[{endpoint.endpoint_id}]"
        error = _settings_error(registry, endpoint.kind, endpoint.settings, where)
        if error is not None:
            errors.append(error)
    return findings


def is_healthy(report: dict[str, Any], allow_missing: tuple[str, ...] = ("revocation",)) -> bool:
    """No finding beyond the allowed missing slots (revocation has no built-in yet)."""
    extensions = report["extensions"]
    return (
        report["validate"]["status"] == "ok"
        and all(slot in allow_missing for slot in report["missing_slots"])
        and not any(
            report[k]
            for k in ("unknown_kinds", "slot_mismatches", "version_skew", "broken_plugins")
        )
        and not extensions["slot_mismatches"]
        and not extensions["version_skew"]
        and not any(report.get("messaging", {}).get(k) for k in ("slot_mismatches", "version_skew"))
    )
