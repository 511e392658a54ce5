"""``S3Store``: the same contract as the local store on an S3 bucket, without a lock server.

Compare-and-swap replaces the lock: the state object is created with ``IfNoneMatch="*"``
and replaced with ``IfMatch=<etag it was read with>``; a 412 means someone else wrote
first. A caller that named an ``expected_generation`` gets a ``ConflictError``; one that
did not is retried (reload, re-apply the pure change) until the lock timeout. Because the
whole design rests on those 412s, the store proves at start that the bucket honours them.

Keys under ``s3://<bucket>/<prefix>``::

    store.json                                   {"store_schema": 1}
    policy.json                                  the grants that guard this store
    audit/denied/<env>/<time>-<op>-done.json     a denied create of an environment without state
    environments/<env>/state.json                same bytes as the local state file;
                                                 metadata greentic-sha256 repeats the hash
    environments/<env>/audit/<time>-<op>-<phase>.json   one object per audit event
    environments/<env>/pending/<op_id>.json      the intent of an operation in flight
    environments/<env>/backups/state.<gen>.json  previous documents, newest N kept
    environments/<env>/idempotency/<sha256>.json first answer per key, newest 1000 kept
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from greentic_iac.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreflightError,
    StateCorruptError,
)
from greentic_iac.spec import EnvironmentState, new_ulid, validate_environment_id
from greentic_iac.store.authz import POLICY_FILE, Decision, Policy, PolicySource, parse_policy
from greentic_iac.store.base import TransactionalStore
from greentic_iac.store.codec import (
    CorruptDocument,
    decode_state,
    encode_state_with_digest,
    payload_digest,
    sha256_hex,
    state_digest,
)
from greentic_iac.store.errors import StoreIOError
from greentic_iac.store.home import greentic_home
from greentic_iac.store.lock import lock_timeout_from_environment
from greentic_iac.store.migrations import CURRENT_STORE_SCHEMA
from greentic_iac.store.model import AuditEvent, BackupInfo, Change, MutationResult
from greentic_iac.store.reading import (
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
    now,
    plan_write,
    record_from_event,
    replay_or_conflict,
    transaction_event,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("greentic_iac.store")

_HASH_METADATA = "greentic-sha256"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: Exception) -> int:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _precondition_failed(exc: Exception) -> bool:
    # 409 ConditionalRequestConflict: S3's answer to two conditional writes racing.
    return _status(exc) in (409, 412) or _error_code(exc) in (
        "PreconditionFailed",
        "ConditionalRequestConflict",
    )


def _missing(exc: Exception) -> bool:
    return _status(exc) == 404 or _error_code(exc) in ("NoSuchKey", "404", "NotFound")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")``."""
    if not url.startswith("s3://"):
        raise InvalidInputError(f"store: {url!r} is not an s3:// URL")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise InvalidInputError(f"store: {url!r} names no bucket")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


@dataclass(frozen=True)
class BucketPolicy:
    """The S3 store's grants: ``s3://bucket/prefix/policy.json``, beside the state.

    Not ``--home``: a remote store is shared, and a policy a caller can pick per command
    (``--home EVIL`` with a grant of ``*``) guards nothing. Writing this object is an
    operator's act, restricted by the bucket's IAM policy (see docs/store.md).
    """

    store: S3Store

    @property
    def key(self) -> str:
        return f"{self.store.prefix}{POLICY_FILE}"

    @property
    def label(self) -> str:
        return self.location

    @property
    def location(self) -> str:
        return f"s3://{self.store.bucket}/{self.key}"

    def load(self) -> Policy:
        try:
            found = self.store._get(self.key)
        except StoreIOError as exc:
            raise ValueError(str(exc)) from None
        if found is None:
            return Policy()
        return parse_policy(found[0], self.location)


class S3Store(TransactionalStore):
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: S3Client | None = None,
        home: Path | None = None,
        lock_timeout: float | None = None,
        keep_backups: int = DEFAULT_KEEP_BACKUPS,
        keep_idempotency_keys: int = DEFAULT_KEEP_IDEMPOTENCY_KEYS,
        environ: Mapping[str, str] | None = None,
        pending_grace_seconds: float = 60.0,
    ) -> None:
        if client is None:
            import boto3  # lazy: read verbs on the local store never pay for boto3

            client = boto3.client("s3")
        self.client: S3Client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # Kept for callers that pass it; the grants are NOT read from here (policy_source).
        self.home = greentic_home(home)
        self.lock_timeout = lock_timeout_from_environment(lock_timeout)
        self.keep_backups = max(1, keep_backups)
        self.keep_idempotency_keys = max(1, keep_idempotency_keys)
        self.pending_grace = timedelta(seconds=pending_grace_seconds)
        self._environ = environ
        self._ready = False
        self._schema_recorded = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3Store:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, **options)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def __repr__(self) -> str:
        return f"S3Store({self.url!r})"

    def policy_source(self) -> PolicySource:
        return BucketPolicy(self)

    # ---- keys and raw objects -------------------------------------------------------------

    def _key(self, environment_id: str, *parts: str) -> str:
        return f"{self.prefix}environments/{environment_id}/" + "/".join(parts)

    def _get(self, key: str) -> tuple[bytes, str, dict[str, str]] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                return None
            raise StoreIOError(f"s3://{self.bucket}/{key}: read failed ({exc})") from None
        return response["Body"].read(), response["ETag"], dict(response.get("Metadata", {}))

    def _put(self, key: str, body: bytes, **conditions: Any) -> str:
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", **conditions
            )
        except Exception as exc:
            if _precondition_failed(exc):
                raise
            raise StoreIOError(f"s3://{self.bucket}/{key}: write failed ({exc})") from None
        return response["ETag"]

    def _delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise StoreIOError(f"s3://{self.bucket}/{key}: delete failed ({exc})") from None

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield dict(item)

    # ---- start-up proof -------------------------------------------------------------------

    def ensure_ready(self) -> None:
        """Prove the bucket honours conditional writes and check the store schema, once."""
        if self._ready:
            return
        self.verify_conditional_writes()
        found = self._get(f"{self.prefix}store.json")
        if found is not None:
            try:
                schema = json.loads(found[0]).get("store_schema")
            except (ValueError, AttributeError):
                schema = None
            if not isinstance(schema, int) or schema > CURRENT_STORE_SCHEMA:
                raise StateCorruptError(
                    f"{self.url}store.json: store_schema {schema!r} is not one this "
                    f"greentic-iac understands ({CURRENT_STORE_SCHEMA})"
                )
        self._ready = True

    def verify_conditional_writes(self) -> None:
        """Create-twice and a stale-ETag write must both answer 412, else refuse the bucket."""
        key = f"{self.prefix}.greentic-probe/{new_ulid()}"
        refuse = (
            f"{self.url}: the bucket does not honour conditional writes "
            "(IfNoneMatch/IfMatch); refusing to use it as a store"
        )
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"1", IfNoneMatch="*")
        except Exception as exc:
            raise PreflightError(f"{self.url}: cannot write to the bucket ({exc})") from None
        stale = '"00000000000000000000000000000000"'
        try:
            for label in ("IfNoneMatch=*", f"IfMatch={stale}"):
                try:
                    if label.startswith("IfNoneMatch"):
                        self.client.put_object(
                            Bucket=self.bucket, Key=key, Body=b"2", IfNoneMatch="*"
                        )
                    else:
                        self.client.put_object(
                            Bucket=self.bucket, Key=key, Body=b"2", IfMatch=stale
                        )
                except Exception as exc:
                    if _precondition_failed(exc):
                        continue
                    raise PreflightError(f"{refuse}: {exc}") from None
                raise PreflightError(f"{refuse}: a write with {label} succeeded")
        finally:
            with contextlib.suppress(Exception):
                self.client.delete_object(Bucket=self.bucket, Key=key)

    # ---- reads ----------------------------------------------------------------------------

    def _read(self, environment_id: str) -> tuple[EnvironmentState, str, bytes, str] | None:
        key = self._key(environment_id, "state.json")
        found = self._get(key)
        if found is None:
            return None
        body, etag, metadata = found
        try:
            state, digest = decode_at(body, environment_id)
            recorded = metadata.get(_HASH_METADATA)
            if recorded != digest:
                raise CorruptDocument(f"metadata {_HASH_METADATA} {recorded!r} != document hash")
        except CorruptDocument as exc:
            raise corrupt_state_error(
                f"s3://{self.bucket}/{key}", environment_id, str(exc), self.backups(environment_id)
            ) from None
        return state, digest, body, etag

    def list_environments(self) -> list[str]:
        self.ensure_ready()
        paginator = self.client.get_paginator("list_objects_v2")
        names = []
        base = f"{self.prefix}environments/"
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                name = common["Prefix"][len(base) :].rstrip("/")
                with contextlib.suppress(Exception):
                    if self.exists(name):
                        names.append(name)
        return sorted(names)

    def exists(self, environment_id: str) -> bool:
        key = self._key(validate_environment_id(environment_id), "state.json")
        self.ensure_ready()
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                return False
            raise StoreIOError(f"s3://{self.bucket}/{key}: {exc}") from None
        return True

    def load(self, environment_id: str) -> EnvironmentState:
        validate_environment_id(environment_id)
        self.ensure_ready()
        loaded = self._read(environment_id)
        if loaded is None:
            key = self._key(environment_id, "state.json")
            raise NotFoundError(
                f"environment {environment_id}: not found (s3://{self.bucket}/{key})"
            )
        return loaded[0]

    def backups(self, environment_id: str) -> list[BackupInfo]:
        validate_environment_id(environment_id)
        found = []
        for item in self._list(self._key(environment_id, "backups/")):
            generation = backup_generation(item["Key"])
            if generation is None:
                continue
            got = self._get(item["Key"])
            found.append(
                BackupInfo(
                    environment_id,
                    generation,
                    f"s3://{self.bucket}/{item['Key']}",
                    int(item.get("Size", 0)),
                    is_verified_backup(got[0] if got else None),
                )
            )
        return sorted(found, key=lambda b: b.generation)

    def load_backup(self, environment_id: str, generation: int) -> EnvironmentState:
        key = self._key(
            validate_environment_id(environment_id), f"backups/{backup_name(generation)}"
        )
        got = self._get(key)
        if got is None:
            raise NotFoundError(
                f"environment {environment_id}: no backup of generation {generation} "
                f"(s3://{self.bucket}/{key})"
            )
        try:
            return decode_state(got[0])[0]
        except CorruptDocument as exc:
            raise StateCorruptError(f"s3://{self.bucket}/{key}: {exc}") from None

    def _events(self, prefix: str) -> list[AuditEvent]:
        bodies = []
        for item in sorted(self._list(prefix), key=lambda i: str(i["Key"])):
            got = self._get(item["Key"])
            if got is not None:
                bodies.append(got[0])
        return parse_audit_records(bodies, f"s3://{self.bucket}/{prefix}")

    def _denied_prefix(self, environment_id: str) -> str:
        """Denied creates of an environment with no state: outside ``environments/<id>/``,
        so a refusal leaves nothing under the environment (as the local store does)."""
        return f"{self.prefix}audit/denied/{environment_id}/"

    def audit_events(self, environment_id: str, limit: int | None = None) -> list[AuditEvent]:
        validate_environment_id(environment_id)
        prefix = self._key(environment_id, "audit/")
        denied = self._denied_prefix(environment_id)
        if not limit:
            merged = [*self._events(prefix), *self._events(denied)]
            return sorted(merged, key=lambda e: e.time)
        found = [str(i["Key"]) for p in (prefix, denied) for i in self._list(p)]
        # Both key forms start their last segment with the nanosecond stamp.
        keys = sorted(found, key=lambda k: k.rsplit("/", 1)[-1])[-limit:]
        events = []
        for key in keys:
            got = self._get(key)
            event = parse_audit_event(got[0]) if got is not None else None
            if event is not None:
                events.append(event)
        return events

    def pending_operations(self, environment_id: str) -> list[AuditEvent]:
        """Intents without a done record: interrupted, or (if younger than the grace) in flight."""
        validate_environment_id(environment_id)
        return self._events(self._key(environment_id, "pending/"))

    # ---- mutations ------------------------------------------------------------------------

    def _prepare(self) -> None:
        self.ensure_ready()

    def _set_aside_damaged(self, environment_id: str, verb: str) -> str:
        principal, decision = self.authorize(environment_id)
        event = self.decision_event(environment_id, verb, principal, decision)
        if not decision.allowed:
            self._audit(environment_id, event.model_copy(update={"error": decision.reason}))
            raise decision.error(environment_id)
        state_key = self._key(environment_id, "state.json")
        found = self._get(state_key)
        if found is None:
            raise NotFoundError(f"environment {environment_id}: not found")
        kept = self._key(environment_id, f"backups/damaged.{event.op_id}.json")
        self._put(kept, found[0])
        try:
            self.client.delete_object(Bucket=self.bucket, Key=state_key, IfMatch=found[1])
        except Exception as exc:
            if _precondition_failed(exc):
                raise ConflictError(
                    f"environment {environment_id}: the damaged state changed while restoring; "
                    "retry"
                ) from None
            raise StoreIOError(f"s3://{self.bucket}/{state_key}: {exc}") from None
        location = f"s3://{self.bucket}/{kept}"
        self._audit(environment_id, event.model_copy(update={"result": {"kept_as": location}}))
        log.warning("environment %s: damaged state kept as %s", environment_id, location)
        return location

    def _audit(self, environment_id: str, event: AuditEvent) -> None:
        stamp = f"{time.time_ns():020d}"
        key = self._key(environment_id, f"audit/{stamp}-{event.op_id}-{event.phase}.json")
        self._put(key, event.model_dump_json().encode())

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
        validate_environment_id(environment_id)
        self.ensure_ready()
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
        if not self._schema_recorded:
            with contextlib.suppress(Exception):
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=f"{self.prefix}store.json",
                    IfNoneMatch="*",
                    Body=json.dumps({"store_schema": CURRENT_STORE_SCHEMA}).encode(),
                )
            self._schema_recorded = True
        deadline = time.monotonic() + self.lock_timeout
        recovered: list[AuditEvent] = []
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(
                environment_id,
                mode,
                base.model_copy(update={"op_id": new_ulid()}),
                expected_generation=expected_generation,
                change=change,
                initial=initial,
                recovered=recovered,
                first_attempt=attempt == 1,
                decision=decision,
                create_result=create_result,
            )
            if outcome is not None:
                return outcome
            if mode == "create" or expected_generation is not None:
                raise ConflictError(
                    f"environment {environment_id}: another writer changed it first "
                    "(conditional write refused); reload and retry"
                )
            if time.monotonic() > deadline:
                raise ConflictError(
                    f"environment {environment_id}: still losing to concurrent writers after "
                    f"{attempt} attempts in {self.lock_timeout:g}s"
                )
            time.sleep(random.uniform(0, min(0.2, 0.005 * attempt)))  # noqa: S311 (jitter)

    def _attempt(  # noqa: PLR0912, PLR0915 (the transaction reads best as one sequence)
        self,
        environment_id: str,
        mode: Mode,
        base: AuditEvent,
        *,
        expected_generation: int | None,
        change: Change | None,
        initial: EnvironmentState | None,
        recovered: list[AuditEvent],
        first_attempt: bool,
        decision: Decision,
        create_result: dict[str, object] | None = None,
    ) -> MutationResult | None:
        """One optimistic try; None when a conditional write lost the race."""
        loaded = self._read(environment_id)
        current, etag = (loaded[0], loaded[3]) if loaded else (None, None)
        # A keyed removal that is retried finds no state but its record (checked below).
        replayable_removal = mode == "remove" and base.idempotency_key is not None
        if current is None and mode != "create" and not replayable_removal:
            raise NotFoundError(f"environment {environment_id}: not found")
        # As in the local store: load and verify first, then the gate (denials are audited).
        if not decision.allowed:
            denial = base.model_copy(
                update={"decision": "deny", "outcome": "error", "error": decision.reason}
            )
            if current is None and mode == "create":
                stamp = f"{time.time_ns():020d}"
                denied = f"{self._denied_prefix(environment_id)}{stamp}-{denial.op_id}-done.json"
                self._put(denied, denial.model_dump_json().encode())
            else:
                self._audit(environment_id, denial)
            raise decision.error(environment_id)
        if first_attempt:
            recovered.extend(self._recover(environment_id, current))
        key = base.idempotency_key
        if key is not None:
            record = self._idempotency_get(environment_id, key) or self._record_from_pending(
                environment_id, key, current
            )
            if record is not None:
                replay = replay_or_conflict(environment_id, record, base.payload_sha256, current)
                self._audit(
                    environment_id,
                    base.model_copy(
                        update={
                            "time": now(),
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
        body, new_digest = encode_state_with_digest(new_state) if new_state else (b"", None)
        intent = intent_event(base, planned, new_digest)
        pending_key = self._key(environment_id, f"pending/{intent.op_id}.json")
        self._audit(environment_id, intent)
        self._put(pending_key, intent.model_dump_json().encode())
        state_key = self._key(environment_id, "state.json")
        try:
            if loaded is not None:
                backup_key = self._key(environment_id, f"backups/{backup_name(generation_before)}")
                self._put(backup_key, loaded[2])
            if new_state is not None:
                conditions = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
                self._put(
                    state_key,
                    body,
                    Metadata={_HASH_METADATA: str(new_digest)},
                    **conditions,
                )
            else:
                assert etag is not None
                self.client.delete_object(Bucket=self.bucket, Key=state_key, IfMatch=etag)
        except Exception as exc:
            lost = _precondition_failed(exc)
            if not lost and self._state_applied(environment_id, new_digest):
                # The write went through although the call failed (a timeout after the
                # PUT): the pending intent stays, so recovery writes its idempotency record.
                raise StoreIOError(
                    f"environment {environment_id}: operation {intent.op_id} was applied but "
                    f"not confirmed ({exc}); a retry with the same idempotency key replays it"
                ) from None
            reason = "lost the race: another writer changed the state first" if lost else str(exc)
            self._audit(environment_id, done_event(intent, error=reason))
            self._delete(pending_key)
            if lost:
                return None
            if isinstance(exc, StoreIOError):
                raise
            raise StoreIOError(f"s3://{self.bucket}/{state_key}: {exc}") from None
        recorded = record_from_event(intent)
        if recorded is not None:
            self._idempotency_put(environment_id, recorded)
        self._audit(environment_id, done_event(intent))
        self._delete(pending_key)
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

    def _state_applied(self, environment_id: str, new_digest: str | None) -> bool:
        try:
            loaded = self._read(environment_id)
        except Exception:  # can't tell: treat it as not applied, as before
            return False
        if loaded is None:
            return new_digest is None
        return new_digest is not None and loaded[1] == new_digest

    def _record_from_pending(
        self, environment_id: str, key: str, current: EnvironmentState | None
    ) -> IdempotencyRecord | None:
        """The record of a keyed operation whose state landed but whose record did not.

        Recovery waits out ``pending_grace`` before it completes someone else's intent, but
        a retry with the same key can't wait: if the state history shows the intent was
        applied, its record is written now and replayed. One still undecided inside the
        grace may be in flight: a conflict (retry shortly), never a second application.
        """
        for intent in self.pending_operations(environment_id):
            if intent.idempotency_key != key or intent.generation_after is None:
                continue
            if intent.state_sha256 is None:  # a removal: it landed when the state is gone
                decided = current is None
            else:
                decided = current is not None and current.generation >= intent.generation_after
            if not decided:
                if now() - intent.time < self.pending_grace:
                    raise ConflictError(
                        f"environment {environment_id}: idempotency key {key!r} belongs to "
                        f"operation {intent.op_id}, which may still be in flight; retry shortly"
                    )
                continue  # older than the grace and never written: not applied
            landed = intent.state_sha256 is None or (
                self._document_at(environment_id, intent.generation_after, current)
                == intent.state_sha256
            )
            recorded = record_from_event(intent) if landed else None
            if recorded is not None:
                self._idempotency_put(environment_id, recorded)
                return recorded
        return None

    def _document_at(
        self, environment_id: str, generation: int, current: EnvironmentState | None
    ) -> str | None:
        if current is not None and current.generation == generation:
            return state_digest(current)
        got = self._get(self._key(environment_id, f"backups/{backup_name(generation)}"))
        if got is None:
            return None
        with contextlib.suppress(CorruptDocument):
            return decode_state(got[0])[1]
        return None

    def _recover(self, environment_id: str, current: EnvironmentState | None) -> list[AuditEvent]:
        """Complete intents older than the grace whose outcome the state history decides."""
        done_list = []
        for intent in self.pending_operations(environment_id):
            if now() - intent.time < self.pending_grace or intent.generation_after is None:
                continue
            if current is None or current.generation < intent.generation_after:
                continue  # not decidable yet: nothing has taken that generation
            applied = (
                intent.state_sha256 is not None
                and self._document_at(environment_id, intent.generation_after, current)
                == intent.state_sha256
            )
            if applied:
                done = done_event(intent, recovered=True)
                recorded = record_from_event(intent)
                if recorded is not None:
                    self._idempotency_put(environment_id, recorded)
            else:
                done = done_event(intent, recovered=True, error="interrupted; not applied")
            self._audit(environment_id, done)
            self._delete(self._key(environment_id, f"pending/{intent.op_id}.json"))
            log.warning(
                "environment %s: completed interrupted operation %s (%s): %s",
                environment_id,
                intent.op_id,
                intent.verb,
                "applied" if applied else "not applied",
            )
            done_list.append(done)
        return done_list

    def _prune_backups(self, environment_id: str) -> None:
        keys = sorted(
            str(i["Key"])
            for i in self._list(self._key(environment_id, "backups/"))
            if backup_generation(str(i["Key"])) is not None
        )
        for key in keys[: max(0, len(keys) - self.keep_backups)]:
            with contextlib.suppress(StoreIOError):
                self._delete(key)

    def _idempotency_key(self, environment_id: str, key: str) -> str:
        return self._key(environment_id, f"idempotency/{sha256_hex(key)}.json")

    def _idempotency_get(self, environment_id: str, key: str) -> IdempotencyRecord | None:
        got = self._get(self._idempotency_key(environment_id, key))
        if got is None:
            return None
        try:
            record = IdempotencyRecord.model_validate_json(got[0])
        except ValidationError:
            raise StateCorruptError(
                f"s3://{self.bucket}/{self._idempotency_key(environment_id, key)}: unreadable"
            ) from None
        return record if record.idempotency_key == key else None

    def _idempotency_put(self, environment_id: str, record: IdempotencyRecord) -> None:
        self._put(
            self._idempotency_key(environment_id, record.idempotency_key),
            record.model_dump_json().encode(),
        )
        if record.generation_after % 50 == 0:
            items = list(self._list(self._key(environment_id, "idempotency/")))
            surplus = len(items) - self.keep_idempotency_keys
            if surplus > 0:
                items.sort(key=lambda i: i["LastModified"])
                for item in items[:surplus]:
                    with contextlib.suppress(StoreIOError):
                        self._delete(str(item["Key"]))
