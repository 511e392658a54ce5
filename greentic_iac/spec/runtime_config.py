"""``RuntimeConfig``: what a runtime needs to route (seed B0), derived from the state.

Materialised as ``runtime-config.json`` for the local target; the router reads it and
swaps splits by ``generation``.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Self

from pydantic import Field, model_validator

from greentic_iac.spec.base import SpecModel
from greentic_iac.spec.deployment import RouteBinding
from greentic_iac.spec.ids import BundleDigest, DeploymentId, EnvironmentId, RevisionId, TenantId
from greentic_iac.spec.lifecycle import RUNNING_STATES, RevisionLifecycle
from greentic_iac.spec.slots import CapabilitySlot
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.spec.traffic import TOTAL_BPS

RUNTIME_CONFIG_SCHEMA: Final = "greentic.runtime-config.v1"


class RuntimeRevision(SpecModel):
    revision_id: RevisionId
    bundle_digest: BundleDigest
    sequence: int = Field(ge=1)
    lifecycle: RevisionLifecycle
    weight_bps: int = Field(ge=0, le=TOTAL_BPS)
    pack_refs: dict[str, str] = Field(default_factory=dict)
    endpoint: str | None = None
    command: list[str] | None = None
    # The application config the revision's process gets (``EnvironmentState.config_of``:
    # merged, frozen while draining, without greentic-iac's own keys); None in a file
    # written before this field existed.
    config: dict[str, str] | None = None


class RuntimeDeployment(SpecModel):
    deployment_id: DeploymentId
    bundle_id: str
    tenant: TenantId
    route_binding: RouteBinding
    split_generation: int = Field(ge=0)
    revisions: list[RuntimeRevision] = Field(min_length=1)
    # The deployment's config keys (state.deployment_config), over the environment's.
    config: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _split_invariants(self) -> Self:
        ids = [r.revision_id for r in self.revisions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"deployment {self.deployment_id}: duplicate revision ids")
        total = sum(r.weight_bps for r in self.revisions)
        if total != TOTAL_BPS:
            raise ValueError(
                f"deployment {self.deployment_id}: weights sum to {total} bps, must be {TOTAL_BPS}"
            )
        return self


class RuntimeConfig(SpecModel):
    schema_version: Literal["greentic.runtime-config.v1"] = RUNTIME_CONFIG_SCHEMA
    environment_id: EnvironmentId
    generation: int = Field(ge=0)
    deployments: list[RuntimeDeployment] = Field(default_factory=list)
    # What a revision process may see (docs/targets/local.md): the environment's config
    # keys, the deployer binding's settings (pass_environment, router limits) and which
    # secrets pack resolves its secrets. Never a secret value.
    config: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)
    secrets_pack: str | None = None

    @model_validator(mode="after")
    def _one_bundle_per_deployment(self) -> Self:
        ids = [d.deployment_id for d in self.deployments]
        if len(ids) != len(set(ids)):
            raise ValueError("a deployment appears twice (one bundle per deployment)")
        return self


def runtime_config_from_state(state: EnvironmentState) -> RuntimeConfig:
    """Deployments that have a split, with their running revisions and pack refs."""
    pack_refs = {b.slot.value: b.pack_ref for b in state.environment.packs}
    deployer = state.environment.deployer()
    secrets = state.environment.pack_for_slot(CapabilitySlot.SECRETS)
    deployments: list[RuntimeDeployment] = []
    for deployment in state.active_deployments():
        split = state.traffic.get(deployment.deployment_id)
        if split is None:
            continue
        revisions = [
            RuntimeRevision(
                revision_id=r.revision_id,
                bundle_digest=r.bundle_digest,
                sequence=r.sequence,
                lifecycle=r.lifecycle,
                weight_bps=split.weight_of(r.revision_id),
                pack_refs=pack_refs,
                command=r.command,
                config=dict(state.config_of(r)),
            )
            for r in state.revisions_of(deployment.deployment_id)
            if r.lifecycle in RUNNING_STATES
        ]
        deployments.append(
            RuntimeDeployment(
                deployment_id=deployment.deployment_id,
                bundle_id=deployment.bundle_id,
                tenant=deployment.customer_id,
                route_binding=deployment.route_binding,
                split_generation=split.generation,
                revisions=revisions,
                config=state.deployment_config.get(deployment.deployment_id, {}),
            )
        )
    return RuntimeConfig(
        environment_id=state.environment.environment_id,
        generation=state.generation,
        deployments=deployments,
        config=state.config,
        settings=deployer.settings if deployer is not None else {},
        secrets_pack=secrets.kind.path if secrets is not None else None,
    )
