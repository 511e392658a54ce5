"""Read-side logic both stores share, and the cheap listing behind ``env list``.

The local and S3 stores differ in where bytes live (files, objects) but not in what they
mean: how a state document is checked against the place it was read from, which backups
count as good, how an audit record is parsed, and what a corrupt-state error tells the
operator. That lives here once.

``environment_summaries`` serves the most frequent read verb. It verifies each local state
file's hash with the standard library only and summarises the JSON document without
building the pydantic models (importing them costs several times Python's own start-up);
any document it cannot vouch for goes through the full store, so a damaged one is listed
as damaged with exactly the error ``load`` gives (and the other environments still list).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import StateCorruptError
from greentic_iac.store.codec import CorruptDocument, decode_state, verified_document

if TYPE_CHECKING:
    from greentic_iac.spec import EnvironmentState
    from greentic_iac.store.model import AuditEvent, BackupInfo

log = logging.getLogger("greentic_iac.store")

STATE_FILE = "state.json"
STORE_VARIABLE = "GREENTIC_STORE"
# Both state schemas carry the summary's fields where the light check reads them.
_STATE_SCHEMAS = ("greentic.environment-state.v1", "greentic.environment-state.v2")
_BACKUP_NAME = re.compile(r"state\.(\d{10})\.json")


def backup_name(generation: int) -> str:
    return f"state.{generation:010d}.json"


def backup_generation(name: str) -> int | None:
    """The generation a backup file or key holds (``…/state.0000000042.json`` -> 42)."""
    match = _BACKUP_NAME.fullmatch(name.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else None


def is_verified_backup(data: bytes | None) -> bool:
    """True when the backup's bytes are a state file whose hash and model both check out."""
    if data is None:
        return False
    try:
        decode_state(data)
    except CorruptDocument:
        return False
    return True


def decode_at(data: bytes, environment_id: str) -> tuple[EnvironmentState, str]:
    """Decode a state file read from ``environment_id``'s place; a mismatch is corruption."""
    state, digest = decode_state(data)
    if state.environment.environment_id != environment_id:
        raise CorruptDocument(
            f"environment_id {state.environment.environment_id!r} does not match its location"
        )
    return state, digest


def corrupt_state_error(
    location: str, environment_id: str, reason: str, backups: Iterable[BackupInfo]
) -> StateCorruptError:
    """The one-line error for a damaged state, naming the newest good backup to restore."""
    good = next((b for b in sorted(backups, key=lambda b: -b.generation) if b.verified), None)
    if good is None:
        hint = "no verified backup exists"
    else:
        hint = (
            f"newest good backup is generation {good.generation} ({good.location}); "
            f"restore it with: {restore_command(environment_id, good.generation)}"
        )
    return StateCorruptError(f"{location}: {reason}; {hint}")


def restore_command(environment_id: str, generation: int) -> str:
    return f"greentic-iac env restore {environment_id} --generation {generation}"


def parse_audit_event(data: bytes) -> AuditEvent | None:
    """One audit record, or None when it does not parse (a line torn by a crash)."""
    from pydantic import ValidationError

    from greentic_iac.store.model import AuditEvent

    try:
        return AuditEvent.model_validate_json(data)
    except ValidationError:
        return None


def parse_audit_records(records: Iterable[bytes], location: str) -> list[AuditEvent]:
    """Every record that parses, in order; the unparsable ones are counted in one warning."""
    events = []
    skipped = 0
    for record in records:
        if not record.strip():
            continue
        event = parse_audit_event(record)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    if skipped:
        log.warning(
            "%s: skipped %d unparsable audit record(s) (torn by a crash?)", location, skipped
        )
    return events


# ---- the env list summary ------------------------------------------------------------------


def environment_summary(document: dict[str, Any]) -> dict[str, Any]:
    """One ``env list`` row from a state document in its JSON form.

    Raises ``KeyError``/``TypeError``/``AttributeError`` on a document of another shape
    (the light listing then defers to the full store).
    """
    environment = document["environment"]
    deployer = next((p for p in environment["packs"] if p["slot"] == "deployer"), None)
    deployments = document.get("deployments", {})
    return {
        "environment_id": environment["environment_id"],
        "generation": document["generation"],
        "pack_count": len(environment["packs"]),
        "deployer": str(deployer["kind"]) if deployer else None,
        "tenant": environment["tenant"]["tenant"],
        "cloud": environment["deployment"]["cloud"],
        "region": environment["deployment"]["region"],
        "deployment_count": sum(1 for d in deployments.values() if d["lifecycle"] == "active"),
        "revision_count": len(document.get("revisions", {})),
    }


def environment_summaries(store_url: str | None, home: Path | None) -> list[dict[str, Any]]:
    """``env list``: a summary per environment, id order, from whichever store is chosen."""
    url = store_url or os.environ.get(STORE_VARIABLE) or None
    if url is not None and url.startswith("file://"):
        home, url = (Path(url[len("file://") :]) if url[len("file://") :] else home), None
    if url is None:
        light = _local_summaries(home)
        if light is not None:
            return light
    from greentic_iac.store.open import open_store

    store = open_store(store_url, home=home)
    return [_summary_or_damaged(store, e) for e in store.list_environments()]


def damaged_summary(environment_id: str, error: StateCorruptError) -> dict[str, Any]:
    """The row of an environment whose state can't be read: the others still list.

    ``error`` names the file and the newest good backup (or says there is none: then
    ``env remove`` with ``force: true`` sets the damaged file aside).
    """
    return {
        "environment_id": environment_id,
        "generation": None,
        "damaged": True,
        "error": str(error),
    }


def _summary_or_damaged(store: Any, environment_id: str) -> dict[str, Any]:
    try:
        return environment_summary(store.load(environment_id).to_json_dict())
    except StateCorruptError as exc:
        return damaged_summary(environment_id, exc)


def _local_summaries(home: Path | None) -> list[dict[str, Any]] | None:
    """None when the home needs a layout migration (the full store performs it)."""
    from greentic_iac.spec.environment_id import check_environment_id
    from greentic_iac.store.home import greentic_home
    from greentic_iac.store.migrations import CURRENT_STORE_SCHEMA, detect_schema

    base = greentic_home(home)
    if detect_schema(base) != CURRENT_STORE_SCHEMA:
        return None
    root = base / "environments"
    try:
        # a symlinked entry is not an environment directory (LocalFileStore refuses it)
        names = sorted(
            entry.name for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)
        )
    except (FileNotFoundError, NotADirectoryError):
        return []
    summaries = []
    for name in names:
        try:
            check_environment_id(name)
            data = (root / name / STATE_FILE).read_bytes()
        except (ValueError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue  # not an environment directory (the full store skips these too)
        except OSError:
            data = b""  # unreadable: the full load reports it
        summaries.append(_summary_or_full_load(data, name, base))
    return summaries


def _summary_or_full_load(data: bytes, environment_id: str, home: Path) -> dict[str, Any]:
    try:
        document, _ = verified_document(data)
        if document.get("schema_version") not in _STATE_SCHEMAS:
            raise CorruptDocument("not the current state schema")
        summary = environment_summary(document)
        if summary["environment_id"] != environment_id:
            raise CorruptDocument("environment_id does not match its directory")
        return summary
    except (CorruptDocument, KeyError, TypeError, AttributeError):
        pass
    # The full store's own load either succeeds (a document this light check does not know)
    # or raises exactly the error every other verb gives for it.
    from greentic_iac.store.local import LocalFileStore

    return _summary_or_damaged(LocalFileStore(home), environment_id)
