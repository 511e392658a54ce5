"""Shared claim records: values several environments take from one space (a listener).

Two environments attached to one existing ALB listener must never hold one rule priority,
and the listener's quotas count the rules of all of them. Each shared space (a *scope*,
e.g. ``listener:<arn>``) has one record under ``$GREENTIC_HOME/claims/``; every change to
it runs under the record's own lock, re-reads it, checks its generation (compare-and-swap,
so a writer that lost its lock can't overwrite a newer record) and replaces it atomically.

The record is written inside the environment's transaction, before the environment's state
(lock order: environment, then claim, never the reverse). If that transaction then fails,
the claim holds values for owners the environment does not have: the environment's next
change releases them, so they cost capacity for a while, never a collision.

A released value names the environment and the generation whose plan deletes its rule; it
is reused only once that environment's applied plan is at least that generation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import ConflictError, InvalidInputError, StateCorruptError
from greentic_iac.spec.allocations import ClaimRequest, QuotaExceededError, lowest_free
from greentic_iac.store.atomic import write_atomic
from greentic_iac.store.errors import StoreIOError
from greentic_iac.store.lock import EnvironmentLock

CLAIM_FORMAT: Final = "greentic.store.claim.v1"
CLAIMS_DIR: Final = "claims"

AppliedGeneration = Callable[[str], "int | None"]


def claim_path(home: Path, scope: str) -> Path:
    digest = hashlib.sha256(scope.encode()).hexdigest()[:24]
    return home / CLAIMS_DIR / f"{digest}.json"


def _empty(scope: str, kind: str) -> dict[str, Any]:
    return {"format": CLAIM_FORMAT, "scope": scope, "kind": kind, "generation": 0,
            "holders": {}, "released": []}  # fmt: skip


def parse_claim(data: bytes, where: str, scope: str) -> dict[str, Any]:
    """A claim record's document, checked to be a record of ``scope``."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StateCorruptError(f"{where}: unreadable claim record ({exc})") from None
    if (
        not isinstance(document, dict)
        or document.get("format") != CLAIM_FORMAT
        or document.get("scope") != scope
        or not isinstance(document.get("holders"), dict)
        or not isinstance(document.get("released"), list)
    ):
        raise StateCorruptError(f"{where}: not a claim record for {scope}")
    return document


def read_claim(home: Path, scope: str, kind: str) -> dict[str, Any]:
    """The record of ``scope`` (an empty one when none exists yet)."""
    path = claim_path(home, scope)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _empty(scope, kind)
    except OSError as exc:
        raise StateCorruptError(f"{path}: unreadable claim record ({exc})") from None
    return parse_claim(data, str(path), scope)


def _encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


class LocalClaims:
    """``SharedClaims`` in local files beside the environments."""

    def __init__(
        self, home: Path, lock_timeout: float, applied_generation_of: AppliedGeneration
    ) -> None:
        self.home = home
        self.lock_timeout = lock_timeout
        self.applied_generation_of = applied_generation_of

    def hold(self, request: ClaimRequest) -> dict[str, int]:
        path = claim_path(self.home, request.scope)
        path.parent.mkdir(parents=True, exist_ok=True)
        with EnvironmentLock(path.parent, f"claim {path.stem}", "claim", self.lock_timeout):
            record = read_claim(self.home, request.scope, request.kind)
            chosen, updated = _held(record, request, self.applied_generation_of)
            if (
                read_claim(self.home, request.scope, request.kind)["generation"]
                != record["generation"]
            ):
                raise ConflictError(f"{path}: claim record changed while held; retry")
            if updated != record:
                updated["generation"] = record["generation"] + 1
                body = json.dumps(updated, indent=2, sort_keys=True) + "\n"
                write_atomic(path, body.encode())
        return chosen

    def forget(self, environment_id: str, *, deployed: bool, generation: int) -> list[str]:
        return forget_environment(
            self.home, environment_id, self.lock_timeout, deployed=deployed, generation=generation
        )


def _forgotten(
    record: dict[str, Any], environment_id: str, *, deployed: bool, generation: int
) -> dict[str, Any] | None:
    """The record without ``environment_id``'s holdings (None: it held nothing there).

    ``deployed``: its resources may still exist (an applied plan and no destroy), so its
    values are released at ``generation`` and stay unavailable (nothing will apply that
    generation); otherwise they are free at once.
    """
    holders = dict(record.get("holders", {}))
    held = holders.pop(environment_id, None)
    before = record.get("released", [])
    released = [r for r in before if deployed or r.get("environment_id") != environment_id]
    if held is None and len(released) == len(before):
        return None
    if deployed and held:
        released += [
            {"environment_id": environment_id, "owner_key": owner, "value": e["value"],
             "counts": e.get("counts", []), "released_at_generation": generation}
            for owner, e in sorted(held.items())
        ]  # fmt: skip
    generation_after = int(record.get("generation", 0)) + 1
    return {**record, "holders": holders, "released": released, "generation": generation_after}


def forget_environment(
    home: Path, environment_id: str, lock_timeout: float, *, deployed: bool, generation: int
) -> list[str]:
    """Drop a removed environment from every local claim record; returns its scopes."""
    directory = home / CLAIMS_DIR
    if not directory.is_dir():
        return []
    scopes: list[str] = []
    with EnvironmentLock(directory, "claims", "env remove", lock_timeout):
        for path in sorted(directory.glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StateCorruptError(f"{path}: unreadable claim record ({exc})") from None
            updated = _forgotten(record, environment_id, deployed=deployed, generation=generation)
            if updated is not None:
                write_atomic(path, _encode(updated))
                scopes.append(str(record.get("scope")))
    return scopes


class S3Claims:
    """``SharedClaims`` as objects beside an S3 store's environments, so operators on
    several machines share them. No lock: each change re-reads the record and replaces it
    with ``IfMatch`` on the ETag it read (``IfNoneMatch="*"`` for a new one); a 412 means
    another writer won, and the change is recomputed from the newer record."""

    ATTEMPTS: Final = 20

    def __init__(
        self, client: Any, bucket: str, prefix: str, applied_generation_of: AppliedGeneration
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.applied_generation_of = applied_generation_of

    def _key(self, scope: str) -> str:
        return f"{self.prefix}{CLAIMS_DIR}/{claim_path(Path(), scope).name}"

    def _read(self, key: str, scope: str, kind: str) -> tuple[dict[str, Any], str | None]:
        from greentic_iac.store.s3 import _missing

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _missing(exc):
                return _empty(scope, kind), None
            raise StoreIOError(f"s3://{self.bucket}/{key}: read failed ({exc})") from None
        where = f"s3://{self.bucket}/{key}"
        return parse_claim(response["Body"].read(), where, scope), str(response["ETag"])

    def _replace(self, key: str, record: dict[str, Any], etag: str | None) -> bool:
        """Write ``record`` if the object is still ``etag``; False when another writer won."""
        from greentic_iac.store.s3 import _precondition_failed

        condition = {"IfMatch": etag} if etag is not None else {"IfNoneMatch": "*"}
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=_encode(record),
                ContentType="application/json",
                **condition,
            )
        except Exception as exc:
            if _precondition_failed(exc):
                return False
            raise StoreIOError(f"s3://{self.bucket}/{key}: write failed ({exc})") from None
        return True

    def hold(self, request: ClaimRequest) -> dict[str, int]:
        key = self._key(request.scope)
        for _ in range(self.ATTEMPTS):
            record, etag = self._read(key, request.scope, request.kind)
            chosen, updated = _held(record, request, self.applied_generation_of)
            if updated == record:
                return chosen
            updated["generation"] = record["generation"] + 1
            if self._replace(key, updated, etag):
                return chosen
        raise ConflictError(
            f"s3://{self.bucket}/{key}: the claim record kept changing under "
            f"{self.ATTEMPTS} attempts; retry"
        )

    def forget(self, environment_id: str, *, deployed: bool, generation: int) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        scopes: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}{CLAIMS_DIR}/"):
            for item in page.get("Contents", []):
                for _ in range(self.ATTEMPTS):
                    response = self.client.get_object(Bucket=self.bucket, Key=item["Key"])
                    record = json.loads(response["Body"].read())
                    updated = _forgotten(
                        record, environment_id, deployed=deployed, generation=generation
                    )
                    if updated is None:
                        break
                    if self._replace(item["Key"], updated, response["ETag"]):
                        scopes.append(str(record.get("scope")))
                        break
                else:
                    raise ConflictError(
                        f"s3://{self.bucket}/{item['Key']}: the claim record kept changing; "
                        "retry env remove"
                    )
        return scopes


def claims_for(
    store: object, home: Path, lock_timeout: float, applied_generation_of: AppliedGeneration
) -> LocalClaims | S3Claims:
    """The claim records of ``store``'s kind: beside an S3 store's objects, else local."""
    from greentic_iac.store.s3 import S3Store

    if isinstance(store, S3Store):
        return S3Claims(store.client, store.bucket, store.prefix, applied_generation_of)
    return LocalClaims(home, lock_timeout, applied_generation_of)


def _held(
    record: dict[str, Any], request: ClaimRequest, applied_of: AppliedGeneration
) -> tuple[dict[str, int], dict[str, Any]]:
    """(owner -> value for the requesting environment, the record after the change)."""
    env = request.environment_id
    holders: dict[str, dict[str, dict[str, Any]]] = {
        k: dict(v) for k, v in record["holders"].items()
    }
    mine: dict[str, dict[str, Any]] = holders.pop(env, {})

    def applied(environment_id: str) -> int | None:
        return request.applied_generation if environment_id == env else applied_of(environment_id)

    released = [
        r
        for r in record["released"]
        if not (
            (gen := applied(r["environment_id"])) is not None and gen >= r["released_at_generation"]
        )
    ]
    taken = {e["value"] for h in holders.values() for e in h.values()} | {
        r["value"] for r in released
    }
    chosen: dict[str, int] = {}
    for owner, wanted in sorted(request.wanted.items()):
        for candidate in (mine.get(owner, {}).get("value"), wanted.preferred):
            if candidate is not None and candidate not in taken:
                chosen[owner] = candidate
                taken.add(candidate)
                break
    # A value freed by this very request is still on a live rule: not reusable yet.
    taken |= {e["value"] for o, e in mine.items() if o not in chosen}
    new_owners = sorted(o for o in request.wanted if o not in mine)
    for owner, wanted in sorted(request.wanted.items()):
        if owner in chosen:
            continue
        value = lowest_free(wanted.low, wanted.high, taken)
        if value is None:
            raise InvalidInputError(
                f"{owner}: no free {request.kind} left in {wanted.low}-{wanted.high} on "
                f"{request.scope} (held across {len(holders) + 1} environments)"
            )
        chosen[owner] = value
        taken.add(value)
    for owner, entry in sorted(mine.items()):
        if chosen.get(owner) != entry["value"]:
            released.append(
                {
                    "environment_id": env,
                    "owner_key": owner,
                    "value": entry["value"],
                    "counts": entry.get("counts", []),
                    "released_at_generation": request.released_at_generation,
                }
            )
    entries = {
        owner: {"value": value, "counts": list(request.wanted[owner].counts)}
        for owner, value in chosen.items()
    }
    for quota, limit in request.quotas.items():
        count = sum(
            quota in e.get("counts", []) for h in [*holders.values(), entries] for e in h.values()
        ) + sum(quota in r.get("counts", []) for r in released)
        if count > limit and new_owners:
            raise QuotaExceededError(
                f"{new_owners[0]}: quota {quota} ({limit}) on {request.scope} reached "
                f"({count} across {len({*holders, env})} environments)",
                quota=quota,
                count=count,
                owners=new_owners,
                environments=sorted({*holders, env, *(str(r["environment_id"]) for r in released)}),
            )
    if entries:
        holders[env] = entries
    updated = {**record, "holders": holders, "released": released}
    return chosen, updated
