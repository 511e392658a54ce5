"""``LocalFileStore``: environments as files under ``$GREENTIC_HOME/environments/<env>/``.

Layout of one environment (see docs/store.md)::

    state.json                 the EnvironmentState and its sha256 (one file, one rename)
    .lock                      the kernel lock; holds the holder's pid/host/since/verb
    audit/events.jsonl         append-only AuditEvent lines (intent + done per mutation)
    backups/state.<gen>.json   the previous state files, newest N kept (hard links)
    idempotency/<sha256>.json  the first answer per idempotency key, newest 1000 kept
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from pydantic import ValidationError

from greentic_iac.errors import NotFoundError, StateCorruptError
from greentic_iac.spec import EnvironmentState, validate_environment_id
from greentic_iac.store.atomic import (
    OS_FILE_OPS,
    FileOps,
    append_line,
    read_last_line,
    sweep_stale_temps,
    temp_path,
    write_atomic,
)
from greentic_iac.store.authz import PolicyFile, PolicySource
from greentic_iac.store.base import TransactionalStore
from greentic_iac.store.codec import (
    CorruptDocument,
    decode_state,
    encode_state_with_digest,
    payload_digest,
    sha256_hex,
)
from greentic_iac.store.errors import StoreIOError
from greentic_iac.store.home import ensure_home_gitignore, greentic_home
from greentic_iac.store.lock import EnvironmentLock, lock_timeout_from_environment
from greentic_iac.store.migrations import (
    CURRENT_STORE_SCHEMA,
    MigrationReport,
    migrate,
    read_store_schema,
    write_store_schema,
)
from greentic_iac.store.model import AuditEvent, BackupInfo, Change, MutationResult
from greentic_iac.store.reading import (
    STATE_FILE,
    backup_generation,
    backup_name,
    corrupt_state_error,
    decode_at,
    is_verified_backup,
    parse_audit_event,
    parse_audit_records,
)
from greentic_iac.store.transaction import (
    DEFAULT_KEEP_BACKUPS,
    DEFAULT_KEEP_IDEMPOTENCY_KEYS,
    IdempotencyRecord,
    Mode,
    done_event,
    intent_event,
    plan_write,
    record_from_event,
    replay_or_conflict,
    transaction_event,
)

log = logging.getLogger("greentic_iac.store")

# The store's own subdirectories of an environment (none may be a symlink).
ENVIRONMENT_PARTS = ("audit", "backups", "idempotency")

# Denials of a create for an environment that has no directory (see _refuse_ungranted_create).
DENIED_CREATES_LOG = "audit/denied.jsonl"

# Called with a phase name at each step of a write; tests use it to inject crashes.
FaultHook = Callable[[str], None]


class LocalFileStore(TransactionalStore):
    def __init__(
        self,
        home: Path | None = None,
        *,
        lock_timeout: float | None = None,
        keep_backups: int = DEFAULT_KEEP_BACKUPS,
        keep_idempotency_keys: int = DEFAULT_KEEP_IDEMPOTENCY_KEYS,
        environ: Mapping[str, str] | None = None,
        file_ops: FileOps = OS_FILE_OPS,
        fault_hook: FaultHook | None = None,
    ) -> None:
        self.home = greentic_home(home)
        self.root = self.home / "environments"
        self.lock_timeout = lock_timeout_from_environment(lock_timeout)
        self.keep_backups = max(1, keep_backups)
        self.keep_idempotency_keys = max(1, keep_idempotency_keys)
        self._environ = environ
        self._ops = file_ops
        self._fault = fault_hook
        self._layout_checked = False
        self._schema_recorded = False
        self._gitignore_checked = False
        self.migration_report: MigrationReport | None = None

    def __repr__(self) -> str:
        return f"LocalFileStore({str(self.home)!r})"

    def policy_source(self) -> PolicySource:
        # The policy lives in the home that holds the state: pointing --home elsewhere
        # points at another store, never at this store's environments (see environment_dir).
        return PolicyFile(self.home)

    # ---- layout ---------------------------------------------------------------------------

    def environment_dir(self, environment_id: str) -> Path:
        """The environment's directory (validated id; the directory may not exist yet).

        Refused (StateCorruptError) when it resolves anywhere but ``environments/<id>`` of
        this home: a symlink ``environments/local -> prod`` would let a verb on ``local``
        (always allowed) move prod's state, and a linked ``environments/`` would put another
        home's environments under this home's policy. The home itself may be a link.
        """
        directory = self.root / validate_environment_id(environment_id)
        # Two lstat calls, not a realpath (this runs several times per transaction): with
        # neither environments/ nor <id> a link, the directory is where its name says.
        if self.root.is_symlink() or directory.is_symlink():
            resolved = os.path.realpath(directory)
            raise StateCorruptError(
                f"environment {environment_id}: {directory} resolves to {resolved}, outside "
                f"environments/{environment_id} (a symlink?); refusing to use it: replace "
                "the link with the environment's own directory"
            )
        return directory

    def _part(self, environment_id: str, name: str) -> Path:
        """``environments/<id>/<name>``, refused when that is a symlink: a linked
        ``backups/`` would let this environment's pruning delete another's backups."""
        path = self.environment_dir(environment_id) / name
        if path.is_symlink():
            raise StateCorruptError(
                f"environment {environment_id}: {path} is a symlink to {path.readlink()}; "
                f"refusing to use it: replace the link with the environment's own {name}/"
            )
        return path

    def audit_path(self, environment_id: str) -> Path:
        return self._part(environment_id, "audit") / "events.jsonl"

    def state_path(self, environment_id: str) -> Path:
        return self.environment_dir(environment_id) / STATE_FILE

    def _backup_path(self, environment_id: str, generation: int) -> Path:
        return self._part(environment_id, "backups") / backup_name(generation)

    def _idempotency_path(self, environment_id: str, key: str) -> Path:
        return self._part(environment_id, "idempotency") / f"{sha256_hex(key)}.json"

    def ensure_layout(self) -> MigrationReport:
        """Migrate an older layout once (loudly); refuse a newer or broken one."""
        if not self._layout_checked:
            self.migration_report = migrate(self.home, self.lock_timeout)
            self._layout_checked = True
            self._audit_migration(self.migration_report)
        assert self.migration_report is not None
        return self.migration_report

    def _audit_migration(self, report: MigrationReport) -> None:
        """The automatic layout migration is a change too: one event per environment it moved."""
        if not report.migrated:
            return
        for environment_id in report.environments:
            prefix = str(self.environment_dir(environment_id))
            steps = [s for s in report.steps if s.startswith(prefix)]
            self.record(
                environment_id,
                "store migrate",
                {
                    "from_schema": report.from_schema,
                    "to_schema": report.to_schema,
                    "steps": steps,
                },
                environ=self._environ,
            )

    def _hook(self, phase: str) -> None:
        if self._fault is not None:
            self._fault(phase)

    # ---- reads ----------------------------------------------------------------------------

    def list_environments(self) -> list[str]:
        self.ensure_layout()
        if not self.root.is_dir():
            return []
        names = []
        for entry in self.root.iterdir():
            if entry.is_symlink():
                log.warning("%s: a symlink, not an environment directory; skipped", entry)
                continue
            if (entry / STATE_FILE).is_file():
                with contextlib.suppress(Exception):
                    names.append(validate_environment_id(entry.name))
        return sorted(names)

    def exists(self, environment_id: str) -> bool:
        path = self.state_path(environment_id)
        self.ensure_layout()
        return path.is_file()

    def load(self, environment_id: str) -> EnvironmentState:
        path = self.state_path(environment_id)
        self.ensure_layout()
        loaded = self._read(environment_id)
        if loaded is None:
            raise NotFoundError(f"environment {environment_id}: not found ({path})")
        return loaded[0]

    def _read(self, environment_id: str) -> tuple[EnvironmentState, str] | None:
        path = self.state_path(environment_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreIOError(f"{path}: unreadable ({exc.strerror})") from None
        try:
            return decode_at(data, environment_id)
        except CorruptDocument as exc:
            raise corrupt_state_error(
                str(path), environment_id, str(exc), self.backups(environment_id)
            ) from None

    def backups(self, environment_id: str) -> list[BackupInfo]:
        directory = self._part(environment_id, "backups")
        found = []
        with contextlib.suppress(FileNotFoundError):
            for entry in directory.iterdir():
                generation = backup_generation(entry.name)
                if generation is None:
                    continue
                try:
                    data: bytes | None = entry.read_bytes()
                except OSError:
                    data = None
                found.append(
                    BackupInfo(
                        environment_id,
                        generation,
                        str(entry),
                        len(data or b""),
                        is_verified_backup(data),
                    )
                )
        return sorted(found, key=lambda b: b.generation)

    def load_backup(self, environment_id: str, generation: int) -> EnvironmentState:
        path = self._backup_path(environment_id, generation)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                f"environment {environment_id}: no backup of generation {generation} ({path})"
            ) from None
        try:
            return decode_state(data)[0]
        except CorruptDocument as exc:
            raise StateCorruptError(f"{path}: {exc}") from None

    def audit_events(self, environment_id: str, limit: int | None = None) -> list[AuditEvent]:
        """The environment's log, with the denied creates the store's own log holds for it."""
        path = self.audit_path(environment_id)
        try:
            lines = path.read_bytes().splitlines()
        except FileNotFoundError:
            lines = []
        events = parse_audit_records(lines, str(path))
        denied = self.home / DENIED_CREATES_LOG
        try:
            denied_lines = denied.read_bytes().splitlines()
        except FileNotFoundError:
            denied_lines = []
        if denied_lines:
            mine = [
                e
                for e in parse_audit_records(denied_lines, str(denied))
                if e.environment_id == environment_id
            ]
            events = sorted([*events, *mine], key=lambda e: e.time)
        return events[-limit:] if limit else events

    def _pending_intent(self, environment_id: str) -> AuditEvent | None:
        line = read_last_line(self.audit_path(environment_id))
        if not line:
            return None
        event = parse_audit_event(line)
        return event if event is not None and event.phase == "intent" else None

    def pending_operations(self, environment_id: str) -> list[AuditEvent]:
        """Operations a crash left between intent and done (the next mutation completes them)."""
        directory = self.environment_dir(environment_id)
        if not directory.is_dir():
            return []
        with EnvironmentLock(directory, environment_id, "pending check", self.lock_timeout):
            pending = self._pending_intent(environment_id)
        return [pending] if pending else []

    def lock(self, environment_id: str, verb: str) -> EnvironmentLock:
        """The environment's lock as a context manager (for callers outside a mutation)."""
        directory = self.environment_dir(environment_id)
        directory.mkdir(parents=True, exist_ok=True)
        return EnvironmentLock(directory, environment_id, verb, self.lock_timeout)

    # ---- mutations ------------------------------------------------------------------------

    def _prepare(self) -> None:
        self.ensure_layout()

    def _set_aside_damaged(self, environment_id: str, verb: str) -> str | None:
        directory = self.environment_dir(environment_id)
        principal, decision = self.authorize(environment_id)
        with EnvironmentLock(directory, environment_id, verb, self.lock_timeout):
            event = self.decision_event(environment_id, verb, principal, decision)
            if not decision.allowed:
                self._audit(environment_id, event.model_copy(update={"error": decision.reason}))
                raise decision.error(environment_id)
            try:
                self._read(environment_id)
                return None  # someone repaired it while we waited for the lock
            except StateCorruptError:
                pass
            target = self._part(environment_id, "backups") / f"damaged.{event.op_id}.json"
            target.parent.mkdir(exist_ok=True)
            self._ops.replace(self.state_path(environment_id), target)
            self._ops.fsync_directory(target.parent)
            self._ops.fsync_directory(directory)
            self._audit(
                environment_id, event.model_copy(update={"result": {"kept_as": str(target)}})
            )
            log.warning("environment %s: damaged state.json kept as %s", environment_id, target)
            return str(target)

    def _transaction(
        self,
        environment_id: str,
        mode: Mode,
        *,
        verb: str,
        idempotency_key: str | None,
        payload: object,
        expected_generation: int | None,
        change: Change | None,
        initial: EnvironmentState | None = None,
        create_result: dict[str, object] | None = None,
    ) -> MutationResult:
        directory = self.environment_dir(environment_id)
        self.ensure_layout()
        # A keyed removal that is retried finds no state but its record (checked under the lock).
        replayable_removal = mode == "remove" and idempotency_key is not None and directory.is_dir()
        if mode != "create" and not replayable_removal and not (directory / STATE_FILE).is_file():
            raise NotFoundError(
                f"environment {environment_id}: not found ({directory / STATE_FILE})"
            )
        for part in ENVIRONMENT_PARTS:  # refuse a linked part before anything is written
            self._part(environment_id, part)
        if mode == "create" and not directory.is_dir():
            self._refuse_ungranted_create(environment_id, verb)
        if not self._schema_recorded:
            if read_store_schema(self.home) is None:
                write_store_schema(self.home, CURRENT_STORE_SCHEMA)
            self._schema_recorded = True
        if mode == "create":
            directory.mkdir(parents=True, exist_ok=True)
        with EnvironmentLock(directory, environment_id, verb, self.lock_timeout):
            outcome = self._locked(
                environment_id,
                mode,
                verb=verb,
                idempotency_key=idempotency_key,
                payload=payload,
                expected_generation=expected_generation,
                change=change,
                initial=initial,
                create_result=create_result,
            )
        if not self._gitignore_checked:
            # After a committed change only (a refusal changes nothing); a home created
            # before the store wrote one gets it at its next change.
            ensure_home_gitignore(self.home)
            self._gitignore_checked = True
        return outcome

    def _refuse_ungranted_create(self, environment_id: str, verb: str) -> None:
        """A denied create leaves no ``environments/<id>/`` behind: the gate runs before the
        directory exists, and the denial goes to the store's own log ``audit/denied.jsonl``
        (the environment has no log of its own). The gate runs again under the lock."""
        principal, decision = self.authorize(environment_id)
        if decision.allowed:
            return
        event = self.denial_event(environment_id, verb, principal, decision)
        path = self.home / DENIED_CREATES_LOG
        path.parent.mkdir(parents=True, exist_ok=True)
        append_line(path, event.model_dump_json().encode() + b"\n", self._ops)
        raise decision.error(environment_id)

    def _locked(
        self,
        environment_id: str,
        mode: Mode,
        *,
        verb: str,
        idempotency_key: str | None,
        payload: object,
        expected_generation: int | None,
        change: Change | None,
        initial: EnvironmentState | None,
        create_result: dict[str, object] | None = None,
    ) -> MutationResult:
        loaded = self._read(environment_id)
        current, current_digest = loaded if loaded else (None, None)
        recovered = self._recover(environment_id, current_digest)
        principal, decision = self.authorize(environment_id)
        digest = payload_digest(payload) if idempotency_key is not None else None
        base = transaction_event(
            environment_id,
            verb,
            principal,
            decision,
            idempotency_key=idempotency_key,
            payload_sha256=digest,
        )
        if not decision.allowed:
            self._audit(
                environment_id,
                base.model_copy(
                    update={"decision": "deny", "outcome": "error", "error": decision.reason}
                ),
            )
            raise decision.error(environment_id)
        self._sweep_litter(environment_id)
        if idempotency_key is not None:
            record = self._idempotency_get(environment_id, idempotency_key)
            if record is not None:
                replay = replay_or_conflict(environment_id, record, digest, current)
                self._audit(
                    environment_id,
                    base.model_copy(
                        update={
                            "outcome": "ok",
                            "replayed": True,
                            "result": record.result,
                            "generation_before": record.generation_before,
                            "generation_after": record.generation_after,
                        }
                    ),
                )
                return dataclasses.replace(replay, recovered=tuple(recovered))
        planned = plan_write(
            environment_id,
            mode,
            current,
            initial=initial,
            change=change,
            expected_generation=expected_generation,
            create_result=create_result,
            next_generation=lambda: self._next_generation_after_removal(environment_id),
        )
        new_state, result = planned.state, planned.result
        generation_before, generation_after = planned.generation_before, planned.generation_after
        new_bytes, new_digest = encode_state_with_digest(new_state) if new_state else (None, None)
        intent = intent_event(base, planned, new_digest)
        self._audit(environment_id, intent)
        try:
            self._hook("after-intent")
            if current is not None:
                self._backup(environment_id, generation_before)
            self._hook("after-backup")
            state_path = self.state_path(environment_id)
            if new_bytes is not None:
                write_atomic(state_path, new_bytes, self._ops)
            else:
                state_path.unlink()
                self._ops.fsync_directory(state_path.parent)
            self._hook("after-write")
            recorded = record_from_event(intent)
            if recorded is not None:
                self._idempotency_put(environment_id, recorded)
        except BaseException as exc:
            if isinstance(exc, (OSError, StoreIOError)) and self._after_failed_write(
                environment_id, intent, new_digest, exc
            ):
                raise StoreIOError(
                    f"environment {environment_id}: operation {intent.op_id} was applied but "
                    f"not confirmed ({exc}); a retry with the same idempotency key replays it"
                ) from exc
            if isinstance(exc, OSError):
                raise StoreIOError(f"{self.state_path(environment_id)}: {exc}") from exc
            raise
        # The done record needs no fsync of its own: if a crash loses it, the durable intent
        # plus the state's hash let the next mutation rebuild it (see _recover).
        self._audit(environment_id, done_event(intent), durable=False)
        self._hook("after-done")
        with contextlib.suppress(OSError):  # housekeeping; the next transaction retries it
            self._prune_backups(environment_id)
        return MutationResult(
            result=result,
            generation_before=generation_before,
            generation_after=generation_after,
            replayed=False,
            state=new_state,
            op_id=intent.op_id,
            recovered=tuple(recovered),
        )

    # ---- pieces of a transaction ----------------------------------------------------------

    def _state_applied(self, environment_id: str, new_digest: str | None) -> bool:
        """Whether the document on disk is the one the intent promised (None: removed)."""
        path = self.state_path(environment_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return new_digest is None
        if new_digest is None:
            return False
        try:
            return decode_at(data, environment_id)[1] == new_digest
        except CorruptDocument:
            return False

    def _after_failed_write(
        self,
        environment_id: str,
        intent: AuditEvent,
        new_digest: str | None,
        exc: BaseException,
    ) -> bool:
        """Tell the audit log the truth about a write that raised (a full disk, EIO).

        When the state never moved, a ``done`` error closes the operation. When it did
        move (the rename went through and a later step failed: a directory fsync, the
        idempotency record) the operation happened, so it must not be recorded as failed:
        its intent stays the last audit line and the next transaction completes it as it
        would after a crash, writing the idempotency record from the intent (_recover).
        A retry with the same key then replays instead of applying a second time.
        Returns whether the change was applied.
        """
        try:
            applied = self._state_applied(environment_id, new_digest)
        except OSError:
            applied = True  # can't tell: leave it to recovery, which reads again
        if applied:
            log.warning(
                "environment %s: operation %s was applied but not confirmed (%s); "
                "the next transaction completes it",
                environment_id,
                intent.op_id,
                exc,
            )
            return True
        with contextlib.suppress(OSError, StoreIOError):
            # If even this append fails, recovery finds the intent and the old state.
            self._audit(environment_id, done_event(intent, error=f"write failed: {exc}"))
        return False

    def _audit(self, environment_id: str, event: AuditEvent, *, durable: bool = True) -> None:
        path = self.audit_path(environment_id)
        path.parent.mkdir(exist_ok=True)
        append_line(path, event.model_dump_json().encode() + b"\n", self._ops, durable=durable)

    def _append_record(self, environment_id: str, event: AuditEvent) -> None:
        # Recovery finds an unfinished operation as the LAST audit line, so nothing may be
        # appended after it before recovery ran: take the lock and recover first.
        directory = self.environment_dir(environment_id)
        if not directory.is_dir():
            self._audit(environment_id, event)
            return
        with EnvironmentLock(directory, environment_id, event.verb, self.lock_timeout):
            try:
                loaded = self._read(environment_id)
            except StateCorruptError:
                loaded = None  # nothing to compare an intent with; restore handles it
            else:
                self._recover(environment_id, loaded[1] if loaded else None)
            self._audit(environment_id, event)

    def _recover(self, environment_id: str, current_digest: str | None) -> list[AuditEvent]:
        """Complete an operation a crash left between intent and done (under the lock)."""
        intent = self._pending_intent(environment_id)
        if intent is None:
            return []
        applied = intent.state_sha256 == current_digest
        if applied:
            done = done_event(intent, recovered=True)
            recorded = record_from_event(intent)
            if recorded is not None:
                self._idempotency_put(environment_id, recorded)
        else:
            done = done_event(
                intent,
                recovered=True,
                error="interrupted before the state was written; not applied",
            )
        self._audit(environment_id, done)
        log.warning(
            "environment %s: completed interrupted operation %s (%s by %s): %s",
            environment_id,
            intent.op_id,
            intent.verb,
            intent.principal,
            "applied" if applied else "not applied",
        )
        return [done]

    def _backup(self, environment_id: str, generation: int) -> None:
        source = self.state_path(environment_id)
        target = self._backup_path(environment_id, generation)
        target.parent.mkdir(exist_ok=True)
        # The rename that follows gives state.json a new inode, so a hard link IS the old
        # document: O(1), no copy. A filesystem without links gets a durable copy.
        temporary = temp_path(target)
        try:
            os.link(source, temporary)
            self._ops.replace(temporary, target)
        except OSError:
            write_atomic(target, source.read_bytes(), self._ops)
        self._ops.fsync_directory(target.parent)

    def _prune_backups(self, environment_id: str) -> None:
        """Keep the newest N backups, at every transaction.

        The directory holds about N entries, so the full sweep costs one small scandir; a
        crash between a write and its prune leaves a surplus the next transaction removes.
        """
        directory = self._part(environment_id, "backups")
        try:
            generations = sorted(
                g for g in (backup_generation(name) for name in _names(directory)) if g is not None
            )
        except FileNotFoundError:
            return
        for generation in generations[: max(0, len(generations) - self.keep_backups)]:
            with contextlib.suppress(FileNotFoundError):
                (directory / backup_name(generation)).unlink()

    def _sweep_litter(self, environment_id: str) -> None:
        """Temp files of writers that died mid-write (under the lock, so none is ours)."""
        directory = self.environment_dir(environment_id)
        removed = sweep_stale_temps([directory, directory / "backups", directory / "idempotency"])
        if removed:
            log.warning(
                "environment %s: removed %d temp file(s) left by killed writers",
                environment_id,
                len(removed),
            )

    def _idempotency_get(self, environment_id: str, key: str) -> IdempotencyRecord | None:
        path = self._idempotency_path(environment_id, key)
        try:
            record = IdempotencyRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError:
            raise StateCorruptError(f"{path}: unreadable idempotency record") from None
        return record if record.idempotency_key == key else None

    def _idempotency_put(self, environment_id: str, record: IdempotencyRecord) -> None:
        path = self._idempotency_path(environment_id, record.idempotency_key)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, record.model_dump_json(indent=2).encode() + b"\n", self._ops)
        if record.generation_after % 50 == 0:
            self._prune_idempotency(path.parent)

    def _prune_idempotency(self, directory: Path) -> None:
        entries = list(_scan(directory))
        surplus = len(entries) - self.keep_idempotency_keys
        if surplus <= 0:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in entries[:surplus]:
            with contextlib.suppress(FileNotFoundError):
                Path(entry.path).unlink()


def _scan(directory: Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(directory) as entries:
        yield from (e for e in entries if e.name.endswith(".json"))


def _names(directory: Path) -> list[str]:
    with os.scandir(directory) as entries:
        return [e.name for e in entries]
