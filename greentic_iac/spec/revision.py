"""``Revision``: one immutable version of a deployment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.ids import BundleDigest, DeploymentId, RevisionId
from greentic_iac.spec.lifecycle import RevisionLifecycle


class Revision(SpecModel):
    revision_id: RevisionId
    deployment_id: DeploymentId
    bundle_digest: BundleDigest
    sequence: int = Field(ge=1)
    lifecycle: RevisionLifecycle = RevisionLifecycle.STAGED
    created_at: datetime
    updated_at: datetime
    # Optional explicit container image (targets otherwise derive it from the digest) and a
    # command for the local target; immutable like the digest.
    image: str | None = Field(default=None, max_length=512)
    command: list[str] | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
