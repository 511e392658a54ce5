"""``EnvironmentState``: the one persisted document per environment.

The store keeps exactly this document (plus its integrity hash); the targets compile
exactly this document. Deployments, revisions and splits are maps keyed by id, so the
JSON on disk diffs by entity, not by list position.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Self

from pydantic import Field, model_validator

from greentic_iac.spec.allocations import ReleasedValue
from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.deployment import BundleDeployment, DeploymentLifecycle
from greentic_iac.spec.environment import Environment
from greentic_iac.spec.lifecycle import RevisionLifecycle
from greentic_iac.spec.revision import Revision
from greentic_iac.spec.rollout import Rollout, RolloutDefinition
from greentic_iac.spec.traffic import TOTAL_BPS, TrafficSplit

STATE_SCHEMA: Final = "greentic.environment-state.v2"
# v1 had no allocations; reading one upgrades it (``upgrade_state_document``).
STATE_SCHEMA_V1: Final = "greentic.environment-state.v1"


class TrafficPolicy(SpecModel):
    """Per-environment guard rails for traffic changes (enforced by preview and set)."""

    # Cloud targets: `revisions warm` applies the plan (as `up`) before its health wait.
    warm_apply: bool = False
    # No revision's share may rise by more than this many bps in one change (None: no limit).
    max_step_bps: int | None = Field(default=None, ge=1, le=TOTAL_BPS)
    # Honour the x-greentic-revision override header at the router / route rules.
    trust_override_header: bool = False
    # What `rollout start` uses when its answers give no steps. Left out of dumps while
    # unset, so documents (and integrity hashes) of states without it stay as they were.
    default_rollout: RolloutDefinition | None = Field(
        default=None, exclude_if=lambda value: value is None
    )


def upgrade_state_document(document: dict[str, Any]) -> dict[str, Any]:
    """A v1 state document as v2: the same state with no allocations yet.

    The deployer's allocation hook fills them in (keeping the values the v1 compiler chose,
    so no live resource moves) the first time the state is compiled or changed. A k8s
    environment that relied on v1's tenant-wide namespace default gets that name pinned in
    its settings, so the new per-environment default doesn't move its objects.
    """
    if document.get("schema_version") != STATE_SCHEMA_V1:
        return document
    from greentic_iac.spec.legacy_k8s_namespace import pin_legacy_k8s_namespace

    return {**pin_legacy_k8s_namespace(document), "schema_version": STATE_SCHEMA}


class EnvironmentState(SpecModel):
    schema_version: Literal["greentic.environment-state.v2"] = STATE_SCHEMA
    generation: int = Field(default=0, ge=0)
    environment: Environment
    deployments: dict[str, BundleDeployment] = Field(default_factory=dict)
    revisions: dict[str, Revision] = Field(default_factory=dict)
    traffic: dict[str, TrafficSplit] = Field(default_factory=dict)
    # Non-secret runtime configuration: environment-wide keys, and per deployment.
    config: dict[str, str] = Field(default_factory=dict)
    deployment_config: dict[str, dict[str, str]] = Field(default_factory=dict)
    policy: TrafficPolicy = Field(default_factory=TrafficPolicy)
    # What targets chose once per owner (see spec/allocations.py): owner -> kind -> value,
    # the space each kind's values live in, and freed values waiting for an apply.
    allocations: dict[str, dict[str, int]] = Field(default_factory=dict)
    allocation_scopes: dict[str, str] = Field(default_factory=dict)
    released: list[ReleasedValue] = Field(default_factory=list)
    # The runtime config a revision had when it left ready: a later `config set` must not
    # re-register (and so restart) the tasks of a revision that is draining.
    frozen_config: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)
    # Progressive rollouts by rollout id, finished ones kept for status and audit; left
    # out of dumps while empty (schema-additive: older states hash and diff unchanged).
    rollouts: dict[str, Rollout] = Field(default_factory=dict, exclude_if=lambda value: not value)

    @model_validator(mode="after")
    def _allocations_unique(self) -> Self:
        held: dict[tuple[str, int], str] = {}
        for owner, values in sorted(self.allocations.items()):
            if owner not in self.deployments and owner not in self.revisions:
                raise ValueError(f"allocations.{owner}: not a deployment or revision")
            for kind, value in values.items():
                if kind not in self.allocation_scopes:
                    continue  # a recorded fact (not a value taken from a shared space)
                other = held.setdefault((kind, value), owner)
                if other != owner:
                    raise ValueError(
                        f"allocations.{owner}.{kind}: {value} is already held by {other}"
                    )
        for index, released in enumerate(self.released):
            if self.allocation_scopes.get(released.kind) != released.scope:
                continue  # released in a space this environment no longer uses
            if (released.kind, released.value) in held:
                raise ValueError(
                    f"released[{index}]: {released.kind} {released.value} is still held by "
                    f"{held[(released.kind, released.value)]}"
                )
        return self

    @model_validator(mode="after")
    def _referential_integrity(self) -> Self:  # noqa: PLR0912 (one pass, one rule per branch)
        for key, deployment in self.deployments.items():
            if key != deployment.deployment_id:
                raise ValueError(f"deployments.{key}: key differs from deployment_id")
        sequences: dict[str, set[int]] = {}
        for key, revision in self.revisions.items():
            if key != revision.revision_id:
                raise ValueError(f"revisions.{key}: key differs from revision_id")
            if revision.deployment_id not in self.deployments:
                raise ValueError(
                    f"revisions.{key}: deployment {revision.deployment_id} does not exist"
                )
            seen = sequences.setdefault(revision.deployment_id, set())
            if revision.sequence in seen:
                raise ValueError(f"revisions.{key}: sequence {revision.sequence} is used twice")
            seen.add(revision.sequence)
        for key, split in self.traffic.items():
            if key != split.deployment_id or key not in self.deployments:
                raise ValueError(f"traffic.{key}: no such deployment")
            for index, entry in enumerate(split.entries):
                found = self.revisions.get(entry.revision_id)
                if found is None or found.deployment_id != key:
                    raise ValueError(
                        f"traffic.{key}.entries[{index}]: revision {entry.revision_id} "
                        "is not a revision of this deployment"
                    )
                if entry.weight_bps > 0 and found.lifecycle != RevisionLifecycle.READY:
                    raise ValueError(
                        f"traffic.{key}.entries[{index}]: revision {entry.revision_id} is "
                        f"{found.lifecycle.value}; only ready revisions may carry weight"
                    )
        for key in self.deployment_config:
            if key not in self.deployments:
                raise ValueError(f"deployment_config.{key}: no such deployment")
        for key in self.frozen_config:
            if key not in self.revisions:
                raise ValueError(f"frozen_config.{key}: no such revision")
        self._check_rollouts()
        return self

    def _check_rollouts(self) -> None:
        moving: dict[str, str] = {}
        for key, rollout in self.rollouts.items():
            if key != rollout.rollout_id:
                raise ValueError(f"rollouts.{key}: key differs from rollout_id")
            for index, target in enumerate(rollout.targets):
                where = f"rollouts.{key}.targets[{index}]"
                if target.deployment_id not in self.deployments:
                    raise ValueError(f"{where}: deployment {target.deployment_id} does not exist")
                for revision_id in (target.stable_revision_id, target.canary_revision_id):
                    found = self.revisions.get(revision_id)
                    if found is None or found.deployment_id != target.deployment_id:
                        raise ValueError(
                            f"{where}: revision {revision_id} is not a revision of this deployment"
                        )
                if rollout.status.finished:
                    continue
                other = moving.setdefault(target.deployment_id, key)
                if other != key:
                    raise ValueError(
                        f"{where}: deployment {target.deployment_id} is already being rolled "
                        f"out by {other}"
                    )

    def active_rollouts(self) -> list[Rollout]:
        return [r for _, r in sorted(self.rollouts.items()) if not r.status.finished]

    def active_deployments(self) -> list[BundleDeployment]:
        """Active deployments in id order (ULIDs sort by creation time)."""
        return [
            d
            for _, d in sorted(self.deployments.items())
            if d.lifecycle == DeploymentLifecycle.ACTIVE
        ]

    def revisions_of(self, deployment_id: str) -> list[Revision]:
        """A deployment's revisions by sequence."""
        return sorted(
            (r for r in self.revisions.values() if r.deployment_id == deployment_id),
            key=lambda r: r.sequence,
        )

    def config_of(self, revision: Revision) -> list[tuple[str, str]]:
        """The application config a revision runs with, as (name, value) sorted by name:
        frozen once it started draining (a config change must not restart it), else the
        environment's keys overridden by its deployment's, never the tool's own keys
        (``spec.config_keys``)."""
        from greentic_iac.spec.config_keys import workload_config

        frozen = self.frozen_config.get(revision.revision_id)
        if frozen is not None:
            return workload_config(dict(frozen), {})
        return workload_config(self.config, self.deployment_config.get(revision.deployment_id, {}))

    def weight_of(self, revision: Revision) -> int:
        split = self.traffic.get(revision.deployment_id)
        return split.weight_of(revision.revision_id) if split else 0
