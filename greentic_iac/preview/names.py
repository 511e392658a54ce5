"""Names a person reads beside the ULIDs: ``shop`` for a deployment, ``shop@3`` for a revision.

The preview document carries a ``names`` section built from the state (bundle id, host and
path per deployment; bundle id and sequence per revision) so every renderer can say
``shop@3`` where the plan only knows ``01J9…``. A resource is named after the revision or
deployment whose id its logical name holds (names derive from ids, lowercased). Ids that
the state no longer knows (a deployment only the baseline had) keep their ULID.
"""

from __future__ import annotations

from typing import Any

from greentic_iac.spec.state import EnvironmentState

ULID_LENGTH = 26


def revision_name(bundle_id: str, sequence: int) -> str:
    return f"{bundle_id}@{sequence}"


def names_of(state: EnvironmentState) -> dict[str, Any]:
    """``{"deployments": {id: {bundle_id, host, path_prefix}}, "revisions": {id: {…}}}``."""
    deployments = {
        deployment_id: {
            "bundle_id": deployment.bundle_id,
            "host": deployment.route_binding.host,
            "path_prefix": deployment.route_binding.path_prefix,
        }
        for deployment_id, deployment in sorted(state.deployments.items())
    }
    revisions = {}
    for revision_id, revision in sorted(state.revisions.items()):
        owner = state.deployments[revision.deployment_id]
        revisions[revision_id] = {
            "deployment_id": revision.deployment_id,
            "sequence": revision.sequence,
            "name": revision_name(owner.bundle_id, revision.sequence),
        }
    return {"deployments": deployments, "revisions": revisions}


def deployment_label(names: dict[str, Any] | None, deployment_id: str) -> str:
    """``shop`` (or the id when the state does not know the deployment)."""
    found = (names or {}).get("deployments", {}).get(deployment_id)
    return str(found["bundle_id"]) if found else deployment_id


def route_label(names: dict[str, Any] | None, deployment_id: str) -> str:
    """``shop.example.com/cart`` (empty when the state does not know the deployment)."""
    found = (names or {}).get("deployments", {}).get(deployment_id)
    return f"{found['host']}{found['path_prefix']}" if found else ""


def revision_label(names: dict[str, Any] | None, revision_id: str) -> str:
    """``shop@3`` (or the id when the state does not know the revision)."""
    found = (names or {}).get("revisions", {}).get(revision_id)
    return str(found["name"]) if found else revision_id


def resource_subject(names: dict[str, Any] | None, resource_name: str) -> str | None:
    """The revision (``shop@3``) or deployment (``shop``) a resource belongs to, if any.

    Every 26-character window of the name is looked up (a ULID is 26 characters), so the
    cost follows the name's length, not the number of revisions."""
    lowered = resource_name.lower()
    revisions = (names or {}).get("revisions", {})
    deployments = (names or {}).get("deployments", {})
    windows = {lowered[i : i + ULID_LENGTH] for i in range(len(lowered) - ULID_LENGTH + 1)}
    deployment = None
    for window in windows:
        identifier = window.upper()
        if identifier in revisions:
            return str(revisions[identifier]["name"])
        if identifier in deployments:
            deployment = str(deployments[identifier]["bundle_id"])
    return deployment
