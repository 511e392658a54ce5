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


def read_claim(home: Path, scope: str, kind: str) -> dict[str, Any]:
    """The record of ``scope`` (an empty one when none exists yet)."""
    path = claim_path(home, scope)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty(scope, kind)
    except (OSError, ValueError) as exc:
        raise StateCorruptError(f"{path}: unreadable claim record ({exc})") from None
    if (
        not isinstance(document, dict)
        or document.get("format") != CLAIM_FORMAT
        or document.get("scope") != scope
        or not isinstance(document.get("holders"), dict)
        or not isinstance(document.get("released"), list)
    ):
        raise StateCorruptError(f"{path}: not a claim record for {scope}")
    return document


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


def forget_environment(
    home: Path, environment_id: str, lock_timeout: float, *, deployed: bool, generation: int
) -> list[str]:
    """Drop a removed environment from every claim record; returns the scopes it held in.

    ``deployed``: its resources may still exist (an applied plan and no destroy), so its
    values are released at ``generation`` and stay unavailable (nothing will apply that
    generation); otherwise they are free at once.
    """
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
            held = record.get("holders", {}).pop(environment_id, None)
            before = record.get("released", [])
            released = [r for r in before if deployed or r.get("environment_id") != environment_id]
            if held is None and len(released) == len(before):
                continue
            if deployed and held:
                released += [
                    {"environment_id": environment_id, "owner_key": owner, "value": e["value"],
                     "counts": e.get("counts", []), "released_at_generation": generation}
                    for owner, e in sorted(held.items())
                ]  # fmt: skip
            record["released"] = released
            record["generation"] = int(record.get("generation", 0)) + 1
            write_atomic(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
            scopes.append(str(record.get("scope")))
    return scopes


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
            )
    if entries:
        holders[env] = entries
    updated = {**record, "holders": holders, "released": released}
    return chosen, updated
