"""``setup BUNDLE_ARCHIVE``'s change to the state: the deployment and the staged revision.

One pure change, so the deployment (added or reused) and the revision (staged or reused)
land in one transaction: a refused route binding leaves neither behind. Re-running
``setup`` with the same archive is a no-op that reports what it reused: the deployment is
the active one of that ``bundle_id``, and a revision of the same digest that has not been
drained, deactivated or archived is the revision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.operations import rollout
from greentic_iac.spec import EnvironmentState, RevisionLifecycle
from greentic_iac.spec.answers import BundleAddPayload, RevisionStagePayload
from greentic_iac.spec.deployment import RouteBinding

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".gtbundle")
_REUSABLE = frozenset(
    {RevisionLifecycle.STAGED, RevisionLifecycle.WARMING, RevisionLifecycle.READY}
)


@dataclass(frozen=True)
class SetupRequest:
    environment_id: str
    bundle_id: str
    digest: str
    # None: reuse the deployment's binding, or localhost / for a new deployment.
    route_binding: RouteBinding | None


def bundle_id_from_archive(file_name: str) -> str:
    """``My_Bundle-1.2.tar.gz`` -> ``my-bundle-1.2``; ``InvalidInputError`` if nothing is left."""
    stem = file_name
    for suffix in _ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    candidate = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("._-")[:128].strip("._-")
    if not candidate:
        raise InvalidInputError(
            f"--bundle-id: no bundle id can be derived from {file_name!r}; give --bundle-id"
        )
    return candidate


def setup_deployment(state: EnvironmentState, request: SetupRequest) -> rollout.Result:
    """Add (or reuse) the deployment of ``request.bundle_id`` and stage (or reuse) the
    revision of ``request.digest``."""
    environment_id = state.environment.environment_id
    existing = next(
        (d for d in state.active_deployments() if d.bundle_id == request.bundle_id), None
    )
    new = state
    if existing is None:
        add = BundleAddPayload(
            environment_id=environment_id,
            bundle_id=request.bundle_id,
            route_binding=request.route_binding or RouteBinding(host="localhost"),
        )
        new, added = rollout.add_bundle(new, add)
        deployment_id, deployment_outcome = str(added["deployment_id"]), "added"
    else:
        if request.route_binding is not None and request.route_binding != existing.route_binding:
            raise InvalidInputError(
                f"--host/--path-prefix: deployment {existing.deployment_id} of bundle "
                f"{request.bundle_id!r} is bound to host {existing.route_binding.host!r} path "
                f"{existing.route_binding.path_prefix!r}; leave them out to reuse it, or give "
                "another --bundle-id for a second deployment"
            )
        deployment_id, deployment_outcome = existing.deployment_id, "reused"
    deployment = new.deployments[deployment_id]
    same = [
        r
        for r in new.revisions_of(deployment_id)
        if r.bundle_digest == request.digest and r.lifecycle in _REUSABLE
    ]
    if same:
        revision = max(same, key=lambda r: r.sequence)
        staged: dict[str, Any] = {
            "revision_id": revision.revision_id,
            "lifecycle": revision.lifecycle.value,
            "sequence": revision.sequence,
        }
        revision_outcome = "reused"
    else:
        stage = RevisionStagePayload(
            environment_id=environment_id, deployment_id=deployment_id, bundle_digest=request.digest
        )
        new, staged = rollout.stage_revision(new, stage, request.digest)
        revision_outcome = "staged"
    return new, {
        "environment_id": environment_id,
        "bundle_id": deployment.bundle_id,
        "deployment_id": deployment_id,
        "deployment": deployment_outcome,
        "route_binding": deployment.route_binding.to_json_dict(),
        "revision_id": staged["revision_id"],
        "revision": revision_outcome,
        "lifecycle": staged["lifecycle"],
        "sequence": staged["sequence"],
        "bundle_digest": request.digest,
    }
