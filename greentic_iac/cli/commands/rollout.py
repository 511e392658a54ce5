"""``bundles``, ``revisions`` and ``traffic`` verbs (the rollout chain)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greentic_iac.cli.context import Context
from greentic_iac.operations import rollout as ops
from greentic_iac.spec import EnvironmentState, RevisionLifecycle, validate_environment_id
from greentic_iac.spec.answers import (
    BundleAddPayload,
    BundleRemovePayload,
    Mutation,
    RevisionPayload,
    RevisionStagePayload,
    TrafficRollbackPayload,
    TrafficSetPayload,
)

Change = Callable[[EnvironmentState], tuple[EnvironmentState, dict[str, Any]]]


def _mutate(ctx: Context, payload: Mutation, verb: str, change: Change) -> dict[str, Any]:
    return ctx.store.mutate(
        payload.environment_id,
        change,
        verb=verb,
        expected_generation=payload.expected_generation,
        idempotency_key=payload.idempotency_key,
        payload=payload.to_json_dict(),
    ).result


def _state(ctx: Context) -> EnvironmentState:
    return ctx.store.load(validate_environment_id(ctx.args.environment_id))


def bundles_add(ctx: Context, payload: BundleAddPayload) -> dict[str, Any]:
    return _mutate(ctx, payload, "bundles add", lambda s: ops.add_bundle(s, payload))


def bundles_remove(ctx: Context, payload: BundleRemovePayload) -> dict[str, Any]:
    return _mutate(ctx, payload, "bundles remove", lambda s: ops.remove_bundle(s, payload))


def bundles_list(ctx: Context, _: None) -> dict[str, Any]:
    state = _state(ctx)
    return {
        "deployments": [
            {
                **ops.deployment_view(d),
                "revision_count": len(state.revisions_of(d.deployment_id)),
            }
            for d in state.active_deployments()
        ]
    }


def bundles_show(ctx: Context, _: None) -> dict[str, Any]:
    state = _state(ctx)
    deployment = ops.deployment_of(state, ctx.args.deployment_id)
    split = state.traffic.get(deployment.deployment_id)
    return {
        **ops.deployment_view(deployment),
        "revisions": [
            ops.revision_view(state, r) for r in state.revisions_of(deployment.deployment_id)
        ],
        "traffic": ops.split_view(split) if split else None,
        "config": state.deployment_config.get(deployment.deployment_id, {}),
    }


def revisions_stage(ctx: Context, payload: RevisionStagePayload) -> dict[str, Any]:
    digest = payload.bundle_digest
    if digest is None:
        assert payload.bundle_path is not None
        from greentic_iac.bundles import verify_archive

        digest = verify_archive(payload.bundle_path).digest
    return _mutate(
        ctx, payload, "revisions stage", lambda s: ops.stage_revision(s, payload, digest)
    )


def _transition(
    ctx: Context, payload: RevisionPayload, verb: str, target: RevisionLifecycle
) -> dict[str, Any]:
    # Multi-step verbs (warm) are two transactions; the idempotency key covers the last one.
    return ctx.store.mutate(
        payload.environment_id,
        lambda s: ops.transition_revision(s, payload.revision_id, target),
        verb=verb,
        expected_generation=payload.expected_generation,
        idempotency_key=None,
        payload=payload.to_json_dict(),
    ).result


def revisions_warm(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    state = ctx.store.load(payload.environment_id)
    revision = ops.revision_of(state, payload.revision_id)
    steps = (
        [RevisionLifecycle.READY]
        if revision.lifecycle == RevisionLifecycle.WARMING
        else [
            RevisionLifecycle.WARMING,
            RevisionLifecycle.READY,
        ]
    )
    from greentic_iac.cli.commands import deployers

    result: dict[str, Any] = {}
    for target in steps:
        if target == RevisionLifecycle.READY:
            deployers.wait_until_healthy(ctx, payload.environment_id, payload.revision_id)
        result = _transition(ctx, payload, "revisions warm", target)
    return result


def revisions_drain(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    return _transition(ctx, payload, "revisions drain", RevisionLifecycle.DRAINING)


def revisions_deactivate(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    return _transition(ctx, payload, "revisions deactivate", RevisionLifecycle.INACTIVE)


def revisions_archive(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    return _transition(ctx, payload, "revisions archive", RevisionLifecycle.ARCHIVED)


def revisions_list(ctx: Context, _: None) -> dict[str, Any]:
    state = _state(ctx)
    return {
        "revisions": [
            ops.revision_view(state, r)
            for d in sorted(state.deployments)
            for r in state.revisions_of(d)
        ]
    }


def traffic_set(ctx: Context, payload: TrafficSetPayload) -> dict[str, Any]:
    return _mutate(ctx, payload, "traffic set", lambda s: ops.set_traffic(s, payload))


def traffic_rollback(ctx: Context, payload: TrafficRollbackPayload) -> dict[str, Any]:
    return _mutate(ctx, payload, "traffic rollback", lambda s: ops.rollback_traffic(s, payload))


def traffic_show(ctx: Context, _: None) -> dict[str, Any]:
    state = _state(ctx)
    return {"deployments": [ops.split_view(state.traffic[k]) for k in sorted(state.traffic)]}


def traffic_history(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    changes: list[dict[str, Any]] = []
    for event in ctx.store.audit_events(environment_id):
        data = event.model_dump(mode="json") if hasattr(event, "model_dump") else dict(event)
        if (
            data.get("verb") not in {"traffic set", "traffic rollback"}
            or data.get("phase") != "done"
        ):
            continue
        if data.get("outcome") != "ok":
            continue
        result = data.get("result") or {}
        for split in result.get("deployments", [result]):
            changes.append(
                {
                    "time": data.get("time"),
                    "principal": data.get("principal"),
                    "verb": data.get("verb"),
                    "deployment_id": split.get("deployment_id"),
                    "generation": split.get("generation"),
                    "entries": split.get("entries"),
                }
            )
    return {"changes": changes}
