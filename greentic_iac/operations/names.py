"""Names an answers file may use instead of ULIDs, resolved once when the payload is read.

A revision may be named ``<bundle_id>@<sequence>`` (``shop@3``) or by a unique prefix of its
id; a deployment by its bundle id when exactly one active deployment has it. This is the one
resolver: every payload field that takes a deployment or revision id (a rollout's
``targets`` included) and the quick forms' flags (cli/quick_forms.py) go through it. The raw
answers document is rewritten to the full ids before it is validated, so every verb, its
audit event (which keeps the payload), its stored records and its idempotency hash see
exactly what an id-only file gives.
An ambiguous or unknown name is invalid input naming the field. A value that already has the
shape of a ULID is left alone: the operation reports an unknown id as it always has.
"""

from __future__ import annotations

import re
from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec.deployment import DeploymentLifecycle
from greentic_iac.spec.state import EnvironmentState

_ULID: Final = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_SEQUENCE_NAME: Final = re.compile(
    r"^(?P<bundle>[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?)@(?P<n>\d+)$"
)
# Up to the whole id: a full id in lower case is a prefix of itself.
_PREFIX: Final = re.compile(r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{1,26}$")
# Below this many characters an id prefix is too likely to match a revision created later
# (an answers file kept in a repository must keep meaning the same thing).
MIN_PREFIX: Final = 6


def is_ulid(value: Any) -> bool:
    return isinstance(value, str) and bool(_ULID.fullmatch(value))


def needs_resolving(document: dict[str, Any]) -> bool:
    """Whether any id field of the document holds a name rather than a ULID (no store read
    is needed otherwise)."""
    return any(not is_ulid(value) for _, value in _id_fields(document))


# The fields of an object that name a revision; ``deployment_id`` beside them scopes them.
_REVISION_FIELDS: Final = ("revision_id", "stable_revision_id", "canary_revision_id")
# The lists whose items are objects of their own deployment: a split per deployment of
# ``traffic set`` and a rollout's targets (``rollout start``).
_ITEM_LISTS: Final = ("deployments", "targets")


def _objects(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The document and each item of its per-deployment lists, with the field prefix of each."""
    found: list[tuple[str, dict[str, Any]]] = [("", document)]
    for key in _ITEM_LISTS:
        items = document.get(key)
        if isinstance(items, list):
            found.extend(
                (f"{key}[{index}].", item)
                for index, item in enumerate(items)
                if isinstance(item, dict)
            )
    return found


def _id_fields(document: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for where, item in _objects(document):
        for key in ("deployment_id", *_REVISION_FIELDS):
            if isinstance(item.get(key), str):
                found.append((f"{where}{key}", item[key]))
        entries = item.get("entries")
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if isinstance(entry, dict) and isinstance(entry.get("revision_id"), str):
                    found.append((f"{where}entries[{index}].revision_id", entry["revision_id"]))
    return found


def resolve_deployment(state: EnvironmentState, value: str, field: str) -> str:
    """The id of the deployment ``value`` names (its id, or its bundle id when unique)."""
    if is_ulid(value) or value in state.deployments:
        return value
    matches = [
        d.deployment_id
        for d in state.deployments.values()
        if d.bundle_id == value and d.lifecycle == DeploymentLifecycle.ACTIVE
    ]
    if len(matches) == 1:
        return matches[0]
    environment = state.environment.environment_id
    if matches:
        raise InvalidInputError(
            f"{field}: {len(matches)} active deployments of {environment} have bundle id "
            f"{value!r} ({', '.join(sorted(matches))}); name one by its deployment id"
        )
    raise InvalidInputError(
        f"{field}: no active deployment of {environment} has the id or bundle id {value!r}"
    )


def resolve_revision(
    state: EnvironmentState, value: str, field: str, deployment_id: str | None = None
) -> str:
    """The id of the revision ``value`` names: its id, ``bundle@sequence`` or a unique id
    prefix (among ``deployment_id``'s revisions when the field sits under a deployment)."""
    if is_ulid(value) or value in state.revisions:
        return value
    environment = state.environment.environment_id
    named = _SEQUENCE_NAME.fullmatch(value)
    if named is not None:
        bundle, sequence = named["bundle"], int(named["n"])
        owners = [
            d
            for d in state.deployments.values()
            if d.bundle_id == bundle and d.lifecycle == DeploymentLifecycle.ACTIVE
        ]
        if deployment_id is not None:
            owners = [d for d in owners if d.deployment_id == deployment_id] or owners
        if len(owners) > 1:
            raise InvalidInputError(
                f"{field}: {value!r} is ambiguous: {len(owners)} active deployments of "
                f"{environment} have bundle id {bundle!r}; name the revision by its id"
            )
        for owner in owners:
            for revision in state.revisions_of(owner.deployment_id):
                if revision.sequence == sequence:
                    return revision.revision_id
        raise InvalidInputError(f"{field}: {environment} has no revision {value!r}")
    if _PREFIX.fullmatch(value):
        if len(value) < MIN_PREFIX:
            raise InvalidInputError(
                f"{field}: the id prefix {value!r} is shorter than {MIN_PREFIX} characters"
            )
        prefix = value.upper()
        candidates = (
            state.revisions_of(deployment_id)
            if deployment_id in state.deployments
            else list(state.revisions.values())
        )
        matches = sorted(r.revision_id for r in candidates if r.revision_id.startswith(prefix))
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise InvalidInputError(
                f"{field}: the id prefix {value!r} matches {len(matches)} revisions "
                f"({', '.join(matches[:5])}{', …' if len(matches) > 5 else ''}); give more of it"
            )
    raise InvalidInputError(
        f"{field}: {environment} has no revision named {value!r} "
        "(give its id, a unique id prefix or <bundle_id>@<sequence>)"
    )


def resolve_names(document: dict[str, Any], state: EnvironmentState) -> dict[str, Any]:
    """A copy of the answers ``document`` with every named deployment and revision replaced
    by its full id (see the module docstring). Raises InvalidInputError naming the field."""
    resolved = _resolved_object(state, document, "")
    for key in _ITEM_LISTS:
        items = resolved.get(key)
        if isinstance(items, list):
            resolved[key] = [
                _resolved_object(state, item, f"{key}[{index}].")
                if isinstance(item, dict)
                else item
                for index, item in enumerate(items)
            ]
    return resolved


def _resolved_object(
    state: EnvironmentState, original: dict[str, Any], where: str
) -> dict[str, Any]:
    """``original`` with its own deployment and revision fields resolved; its revisions are
    looked up among its deployment's first (``shop@2`` of the deployment it names)."""
    item = dict(original)
    owner = None
    if isinstance(item.get("deployment_id"), str):
        owner = resolve_deployment(state, item["deployment_id"], f"{where}deployment_id")
        item["deployment_id"] = owner
    for key in _REVISION_FIELDS:
        if isinstance(item.get(key), str):
            item[key] = resolve_revision(state, item[key], f"{where}{key}", owner)
    if isinstance(item.get("entries"), list):
        item["entries"] = _resolved_entries(state, item["entries"], f"{where}entries", owner)
    return item


def _resolved_entries(
    state: EnvironmentState, entries: list[Any], path: str, deployment_id: str | None
) -> list[Any]:
    out: list[Any] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and isinstance(entry.get("revision_id"), str):
            field = f"{path}[{index}].revision_id"
            revision = resolve_revision(state, entry["revision_id"], field, deployment_id)
            out.append({**entry, "revision_id": revision})
        else:
            out.append(entry)
    return out
