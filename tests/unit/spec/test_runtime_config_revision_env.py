"""The local target's runtime config carries each revision's application config: merged,
without greentic-iac's own keys, and frozen while the revision drains."""

from __future__ import annotations

from greentic_iac.operations.environments import new_local_state, set_config
from greentic_iac.operations.rollout import (
    add_bundle,
    set_traffic,
    stage_revision,
    transition_revision,
)
from greentic_iac.spec import RevisionLifecycle, runtime_config_from_state
from greentic_iac.spec.answers import (
    BundleAddPayload,
    ConfigSetPayload,
    RevisionStagePayload,
    TrafficSetPayload,
)


def test_revision_config_is_merged_filtered_and_frozen_while_draining() -> None:
    state = new_local_state("local")
    state, added = add_bundle(
        state,
        BundleAddPayload(
            environment_id="local",
            bundle_id="hello",
            route_binding={"host": "localhost", "path_prefix": "/"},
        ),
    )
    deployment = added["deployment_id"]
    revisions = []
    for digit in "ab":
        payload = RevisionStagePayload(
            environment_id="local", deployment_id=deployment, bundle_digest="sha256:" + digit * 64
        )
        state, staged = stage_revision(state, payload, payload.bundle_digest or "")
        state, _ = transition_revision(state, staged["revision_id"], RevisionLifecycle.WARMING)
        state, _ = transition_revision(state, staged["revision_id"], RevisionLifecycle.READY)
        revisions.append(staged["revision_id"])
    for key, value, where in (
        ("LOG_LEVEL", "info", None),
        ("pulumi.backend_url", "file:///state", None),
        ("LOG_LEVEL", "debug", deployment),
    ):
        payload = ConfigSetPayload(
            environment_id="local", key=key, value=value, deployment_id=where
        )
        state, _ = set_config(state, payload)
    state, _ = set_traffic(
        state,
        TrafficSetPayload(
            environment_id="local",
            deployment_id=deployment,
            entries=[{"revision_id": revisions[1], "weight_bps": 10_000}],
        ),
    )
    state, _ = transition_revision(state, revisions[0], RevisionLifecycle.DRAINING)
    state, _ = set_config(
        state,
        ConfigSetPayload(
            environment_id="local", key="LOG_LEVEL", value="trace", deployment_id=deployment
        ),
    )
    (runtime,) = runtime_config_from_state(state).deployments
    by_id = {r.revision_id: r.config for r in runtime.revisions}
    assert by_id[revisions[0]] == {"LOG_LEVEL": "debug"}
    assert by_id[revisions[1]] == {"LOG_LEVEL": "trace"}
