"""Store layout versions and the migrations between them (seed A6).

``$GREENTIC_HOME/store.json`` records ``{"store_schema": N}``. Opening a home with an older
layout migrates it once, under a store-wide lock, with a WARNING log line per step and a
returned report; if anything of the old layout is left behind afterwards the store refuses
to proceed.

Layouts:

- 0 (the seed's Rust tool): ``environments/<env>/environment.json`` holds a bare
  ``Environment`` document; no store.json; the audit log's lines have the seed's shape.
  Its bindings may carry the seed's ``previous_binding_ref`` (the binding an update
  replaced): an inline binding becomes ``previous``; a relative path to a binding document
  beside ``environment.json`` is read; anything else is dropped, and the report says so.
- 1 (current): ``environments/<env>/state.json`` holds an ``EnvironmentState`` with its
  sha256 (see ``codec``); audit events are ``AuditEvent`` lines.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import StateCorruptError
from greentic_iac.store.atomic import write_atomic
from greentic_iac.store.codec import decode_state, encode_state
from greentic_iac.store.lock import EnvironmentLock

CURRENT_STORE_SCHEMA: Final = 1
STORE_FILE = "store.json"
LEGACY_ENVIRONMENT_FILE = "environment.json"
LEGACY_AUDIT_NAME = "events.v0.jsonl"

log = logging.getLogger("greentic_iac.store.migrations")


@dataclass
class MigrationReport:
    from_schema: int
    to_schema: int
    steps: list[str] = field(default_factory=list)
    # The environments whose documents moved (each gets an audit event).
    environments: list[str] = field(default_factory=list)

    @property
    def migrated(self) -> bool:
        return self.from_schema != self.to_schema


def read_store_schema(home: Path) -> int | None:
    """The recorded layout version, None when no store.json exists yet."""
    path = home / STORE_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateCorruptError(f"{path}: unreadable store descriptor ({exc})") from None
    schema = document.get("store_schema") if isinstance(document, dict) else None
    if not isinstance(schema, int) or schema < 0:
        raise StateCorruptError(f"{path}: store_schema missing or not an integer")
    if schema > CURRENT_STORE_SCHEMA:
        raise StateCorruptError(
            f"{path}: store_schema {schema} is newer than this greentic-iac understands "
            f"({CURRENT_STORE_SCHEMA}); upgrade greentic-iac"
        )
    return schema


def write_store_schema(home: Path, schema: int = CURRENT_STORE_SCHEMA) -> None:
    home.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"store_schema": schema}, indent=2, sort_keys=True) + "\n"
    write_atomic(home / STORE_FILE, body.encode())


def _legacy_files(home: Path) -> list[Path]:
    root = home / "environments"
    if not root.is_dir():
        return []
    return sorted(root.glob(f"*/{LEGACY_ENVIRONMENT_FILE}"))


def detect_schema(home: Path) -> int:
    recorded = read_store_schema(home)
    if recorded is not None:
        return recorded
    return 0 if _legacy_files(home) else CURRENT_STORE_SCHEMA


def _migrate_v0_environment(legacy: Path, report: MigrationReport, *, apply: bool = True) -> None:
    """Move one v0 document into the current layout; with ``apply=False`` only report it."""
    # The models load only when a legacy layout is found: checking the layout stays cheap.
    from pydantic import ValidationError

    from greentic_iac.spec import Environment, EnvironmentState, format_validation_error

    directory = legacy.parent
    try:
        document = json.loads(legacy.read_bytes())
        if isinstance(document, dict):
            accept_previous_binding_refs(document, directory, legacy, report)
        environment = Environment.model_validate(document)
    except ValueError as exc:
        if not isinstance(exc, ValidationError):
            raise StateCorruptError(f"{legacy}: cannot migrate: not JSON ({exc})") from None
        raise StateCorruptError(
            format_validation_error(exc, prefix=f"{legacy}: cannot migrate: ")
        ) from None
    except OSError as exc:
        raise StateCorruptError(f"{legacy}: cannot migrate: {exc.strerror}") from None
    if environment.environment_id != directory.name:
        raise StateCorruptError(
            f"{legacy}: cannot migrate: environment_id {environment.environment_id!r} "
            f"differs from its directory {directory.name!r}"
        )
    report.environments.append(environment.environment_id)
    target = directory / "state.json"
    if target.exists():
        decode_state(target.read_bytes())  # both exist: an interrupted migration; verify it
    else:
        if apply:
            write_atomic(target, encode_state(EnvironmentState(environment=environment)))
        report.steps.append(f"{legacy} -> {target} (generation 0)")
    backups = directory / "backups"
    if apply:
        backups.mkdir(exist_ok=True)
        legacy.replace(backups / "environment.v0.json")
    report.steps.append(f"{legacy} kept as {backups / 'environment.v0.json'}")
    old_audit = directory / "audit" / "events.jsonl"
    if old_audit.exists():
        if apply:
            old_audit.replace(old_audit.with_name(LEGACY_AUDIT_NAME))
        report.steps.append(f"{old_audit} (seed format) kept as {LEGACY_AUDIT_NAME}")


_SNAPSHOT_FIELDS: Final = ("kind", "pack_ref", "answers_ref", "settings", "generation")


def accept_previous_binding_refs(
    document: dict[str, Any], directory: Path, legacy: Path, report: MigrationReport
) -> None:
    """Rewrite the seed's ``previous_binding_ref`` on each binding into ``previous``."""
    for collection in ("packs", "extensions"):
        bindings = document.get(collection)
        if not isinstance(bindings, list):
            continue
        for index, binding in enumerate(bindings):
            if not isinstance(binding, dict) or "previous_binding_ref" not in binding:
                continue
            where = f"{legacy}: {collection}[{index}]"
            ref = binding.pop("previous_binding_ref")
            if binding.get("previous") is not None and ref is not None:
                raise StateCorruptError(
                    f"{where}: cannot migrate: both previous and previous_binding_ref are set"
                )
            previous = _resolve_previous(ref, directory)
            if previous is None:
                if ref is not None:
                    report.steps.append(
                        f"{where}.previous_binding_ref {str(ref)[:80]!r} dropped: it names no "
                        "binding greentic-iac can read (rollback of it has nothing to restore)"
                    )
                continue
            generation = binding.get("generation", 0)
            fallback = max(generation - 1, 0) if isinstance(generation, int) else 0
            binding["previous"] = {
                **{k: previous[k] for k in _SNAPSHOT_FIELDS if k in previous},
                "generation": previous.get("generation", fallback),
            }
            report.steps.append(f"{where}.previous_binding_ref -> previous (one-step rollback)")


def _resolve_previous(ref: object, directory: Path) -> dict[str, Any] | None:
    """An inline binding, or the binding document a relative path beside it names."""
    if isinstance(ref, dict):
        return ref
    if not isinstance(ref, str) or not ref or ref.startswith("/") or ".." in ref.split("/"):
        return None
    path = directory / ref
    if not path.is_file():
        return None
    try:
        loaded = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) and "kind" in loaded else None


def check_migration(home: Path) -> MigrationReport:
    """What ``migrate`` would do to ``home``, changing nothing (``env migrate-state --check``).

    A document that could not be migrated raises here just as it would there.
    """
    found = detect_schema(home)
    report = MigrationReport(from_schema=found, to_schema=CURRENT_STORE_SCHEMA)
    if found != CURRENT_STORE_SCHEMA:
        for legacy in _legacy_files(home):
            _migrate_v0_environment(legacy, report, apply=False)
    return report


def migrate(home: Path, lock_timeout: float) -> MigrationReport:
    """Bring ``home`` to the current layout; a no-op report when it already is."""
    found = detect_schema(home)
    report = MigrationReport(from_schema=found, to_schema=CURRENT_STORE_SCHEMA)
    if found == CURRENT_STORE_SCHEMA:
        return report
    home.mkdir(parents=True, exist_ok=True)
    with EnvironmentLock(home, "(store)", "store migrate", lock_timeout):
        found = detect_schema(home)  # another process may have migrated while we waited
        report.from_schema = found
        if found == CURRENT_STORE_SCHEMA:
            return report
        log.warning(
            "migrating the store at %s from layout %d to %d", home, found, CURRENT_STORE_SCHEMA
        )
        for legacy in _legacy_files(home):
            _migrate_v0_environment(legacy, report)
        left = _legacy_files(home)
        if left:
            raise StateCorruptError(
                f"{left[0]}: still present after migrating the store; refusing to proceed"
            )
        write_store_schema(home)
        for step in report.steps:
            log.warning("migrated: %s", step)
    return report
