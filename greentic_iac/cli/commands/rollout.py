"""``bundles``, ``revisions`` and ``traffic`` verbs (the rollout chain)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greentic_iac.cli.commands import cloud_warm, deployers
from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError
from greentic_iac.operations import rollout as ops
from greentic_iac.operations.settings_gate import check_new_settings
from greentic_iac.spec import EnvironmentState, RevisionLifecycle, validate_environment_id
from greentic_iac.spec.answers import (
    BundleAddPayload,
    BundleRemovePayload,
    RevisionPayload,
    RevisionStagePayload,
    TrafficRollbackPayload,
    TrafficSetPayload,
)

if TYPE_CHECKING:
    from greentic_iac.store import MutationResult


def _with_runtime(result: dict[str, Any], runtime: dict[str, Any] | None) -> dict[str, Any]:
    # What the deployer's hooks did (a running local runtime) is reported beside the stored
    # result, not in it.
    return {**result, "runtime": runtime} if runtime else result


def bundles_add(ctx: Context, payload: BundleAddPayload) -> dict[str, Any]:
    def change(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        new, result = ops.add_bundle(state, payload)
        if payload.settings:
            stored_at = f"deployments.{result['deployment_id']}.settings"
            check_new_settings(state, new, stored_at)
        return new, result

    return ctx.mutate(payload, "bundles add", change).result


def bundles_remove(ctx: Context, payload: BundleRemovePayload) -> dict[str, Any]:
    return ctx.mutate(payload, "bundles remove", lambda s: ops.remove_bundle(s, payload)).result


def bundles_list(ctx: Context, _: None) -> dict[str, Any]:
    state = ctx.environment_state()
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
    state = ctx.environment_state()
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

    def change(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        new, result = ops.stage_revision(state, payload, digest)
        if payload.settings:
            check_new_settings(state, new, f"revisions.{result['revision_id']}.settings")
        return new, result

    return ctx.mutate(payload, "revisions stage", change).result


def _transition(
    ctx: Context,
    payload: RevisionPayload,
    verb: str,
    target: RevisionLifecycle,
    *,
    idempotency_key: str | None,
    expected_generation: int | None,
) -> MutationResult:
    return ctx.store.mutate(
        payload.environment_id,
        ctx.allocated(lambda s: ops.transition_revision(s, payload.revision_id, target)),
        verb=verb,
        expected_generation=expected_generation,
        idempotency_key=idempotency_key,
        payload=payload.to_json_dict(),
    )


def _single_step(
    ctx: Context, payload: RevisionPayload, verb: str, target: RevisionLifecycle
) -> MutationResult:
    """One transaction: the payload's CAS generation and idempotency key both apply."""
    return _transition(
        ctx,
        payload,
        verb,
        target,
        idempotency_key=payload.idempotency_key,
        expected_generation=payload.expected_generation,
    )


def _state_after(ctx: Context, mutation: MutationResult, environment_id: str) -> EnvironmentState:
    return mutation.state if mutation.state is not None else ctx.store.load(environment_id)


def _warming_key(idempotency_key: str | None) -> str | None:
    # The first step of a keyed warm has a key of its own, so a retry replays both steps.
    return None if idempotency_key is None else f"{idempotency_key}.warming"


def revisions_warm(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    """staged/inactive -> warming -> ready (ready only once healthy), or draining -> ready.

    Two transactions when the revision must start: ``expected_generation`` guards the first
    step that runs; the second step re-checks the lifecycle (warming -> ready) but not the
    generation, so a change elsewhere in the environment during the health wait cannot turn
    a half-done warm into a conflict. With an idempotency key each step has its own record
    (``<key>.warming`` and ``<key>``): a retry replays what was done and finishes the rest.
    """
    verb = "revisions warm"
    key = payload.idempotency_key
    state = ctx.store.load(payload.environment_id)
    chosen = cloud_warm.options(ctx)
    lifecycle = ops.revision_of(state, payload.revision_id).lifecycle
    if lifecycle == RevisionLifecycle.DRAINING or (
        key is not None and lifecycle == RevisionLifecycle.READY
    ):
        # Cancelling a drain is one step (its processes still run); a ready revision with
        # a key is a retry of a warm that finished: the last step's record answers it.
        ready = _single_step(ctx, payload, verb, RevisionLifecycle.READY)
        if ready.replayed:
            return ready.result
        return _with_runtime(ready.result, deployers.after_change(ctx, ready.state))
    ctx.store.key_conflict(payload.environment_id, key, payload.to_json_dict())
    expected = payload.expected_generation
    if lifecycle != RevisionLifecycle.WARMING or key is not None:
        try:
            warming = _transition(
                ctx,
                payload,
                verb,
                RevisionLifecycle.WARMING,
                idempotency_key=_warming_key(key),
                expected_generation=expected,
            )
        except InvalidInputError:
            if lifecycle != RevisionLifecycle.WARMING:
                raise  # the matrix refuses this start (and names why)
            # Already warming without a record of ours: this call's first step is the next.
        else:
            state = _state_after(ctx, warming, payload.environment_id)
            expected = None
    if not deployers.applies_state_at_once(ctx, state):
        # Cloud targets: ready only once the deployer's health source says so.
        cloud = cloud_warm.warm_on_cloud(ctx, state, payload.revision_id, chosen)
        if not cloud.ready:
            revision = ops.revision_of(state, payload.revision_id)
            return {**ops.revision_view(state, revision), "warm": cloud.report}
        ready = _become_ready(ctx, payload, key, expected)
        pushed = deployers.after_change(ctx, ready.state)
        return _with_runtime({**ready.result, "warm": cloud.report}, pushed)
    # Raises (the revision stays warming) when the deployer's health wait fails.
    runtime = deployers.wait_until_healthy(ctx, state, payload.revision_id)
    ready = _become_ready(ctx, payload, key, expected)
    pushed = deployers.after_change(ctx, ready.state)
    if pushed:
        runtime = {**runtime, **pushed}
    return _with_runtime(ready.result, runtime)


def _become_ready(
    ctx: Context, payload: RevisionPayload, key: str | None, expected: int | None
) -> MutationResult:
    """The last step of a warm: warming -> ready, under the call's key (if any) and the
    generation only when no earlier step ran."""
    return _transition(
        ctx,
        payload,
        "revisions warm",
        RevisionLifecycle.READY,
        idempotency_key=key,
        expected_generation=expected,
    )


def revisions_drain(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    mutation = _single_step(ctx, payload, "revisions drain", RevisionLifecycle.DRAINING)
    state = _state_after(ctx, mutation, payload.environment_id)
    runtime = deployers.wait_until_drained(ctx, state, payload.revision_id)
    return _with_runtime(mutation.result, runtime)


def revisions_deactivate(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    mutation = _single_step(ctx, payload, "revisions deactivate", RevisionLifecycle.INACTIVE)
    state = _state_after(ctx, mutation, payload.environment_id)
    runtime = deployers.wait_until_stopped(ctx, state, payload.revision_id)
    return _with_runtime(mutation.result, runtime)


def revisions_archive(ctx: Context, payload: RevisionPayload) -> dict[str, Any]:
    mutation = _single_step(ctx, payload, "revisions archive", RevisionLifecycle.ARCHIVED)
    state = _state_after(ctx, mutation, payload.environment_id)
    runtime = deployers.wait_until_stopped(ctx, state, payload.revision_id)
    return _with_runtime(mutation.result, runtime)


def revisions_list(ctx: Context, _: None) -> dict[str, Any]:
    state = ctx.environment_state()
    return {
        "revisions": [
            ops.revision_view(state, r)
            for d in sorted(state.deployments)
            for r in state.revisions_of(d)
        ]
    }


def traffic_set(ctx: Context, payload: TrafficSetPayload) -> dict[str, Any]:
    mutation = ctx.mutate(payload, "traffic set", lambda s: ops.set_traffic(s, payload))
    return _with_runtime(mutation.result, deployers.after_traffic_change(ctx, mutation.state))


def traffic_rollback(ctx: Context, payload: TrafficRollbackPayload) -> dict[str, Any]:
    mutation = ctx.mutate(payload, "traffic rollback", lambda s: ops.rollback_traffic(s, payload))
    return _with_runtime(mutation.result, deployers.after_traffic_change(ctx, mutation.state))


def traffic_show(ctx: Context, _: None) -> dict[str, Any]:
    state = ctx.environment_state()
    return {"deployments": [_named_split(state, state.traffic[k]) for k in sorted(state.traffic)]}


def _named_split(state: EnvironmentState, split: Any) -> dict[str, Any]:
    """The split with the bundle id and each entry's ``shop@3`` beside the ids."""
    view = ops.split_view(split)
    deployment = state.deployments[split.deployment_id]
    view["bundle_id"] = deployment.bundle_id
    for entry in view["entries"]:
        revision = state.revisions.get(entry["revision_id"])
        if revision is not None:
            entry["name"] = f"{deployment.bundle_id}@{revision.sequence}"
    return view


_SPLIT_VERBS = frozenset({"traffic set", "traffic rollback"})


def _splits_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The splits an audited change set: ``traffic set|rollback`` return them as
    ``deployments``; a rollout's steps and decisions (``rollout ...``) as ``splits``."""
    result = data.get("result") or {}
    verb = str(data.get("verb") or "")
    if verb in _SPLIT_VERBS:
        return list(result.get("deployments", [result]))
    if verb.startswith("rollout ") and isinstance(result.get("splits"), list):
        return list(result["splits"])
    return []


def traffic_history(ctx: Context, _: None) -> dict[str, Any]:
    environment_id = validate_environment_id(ctx.args.environment_id)
    changes: list[dict[str, Any]] = []
    for event in ctx.store.audit_events(environment_id):
        data = event.model_dump(mode="json") if hasattr(event, "model_dump") else dict(event)
        if data.get("phase") != "done":
            continue
        # An idempotent replay returned the first call's result and changed nothing.
        if data.get("outcome") != "ok" or data.get("replayed"):
            continue
        for split in _splits_of(data):
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
