"""The AWS target's allocation hook: listener-rule priorities chosen once per owner.

Called by the operations layer after every state change (``reconcile_allocations``) and by
the compiler for a state that has never been reconciled (a v1 state just read). Every
active deployment owns one priority (its weighted rule), every live revision one (its
header-pinned rule). A priority is kept for its owner's whole life; a freed one waits in
``state.released`` until the plan that deletes its rule has been applied.

With ``load_balancer.mode: existing`` the listener is shared: the priorities are held in a
store claim (``SharedClaims``) so no two environments hold one, and the listener quotas are
counted across all of them.
"""

from __future__ import annotations

from typing import Final

from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import EnvironmentState, RevisionLifecycle
from greentic_iac.spec.allocations import (
    AllocationContext,
    ClaimRequest,
    QuotaExceededError,
    ReleasedValue,
    WantedValue,
    lowest_free,
    reusable,
)
from greentic_iac.targets.alb_weights import (
    ALB_MAX_RULES_PER_LISTENER,
    ALB_MAX_TARGET_GROUPS_PER_ALB,
)
from greentic_iac.targets.aws_ecs.naming import TARGET_GROUP_INPUTS, target_group_inputs
from greentic_iac.targets.aws_ecs.priorities import legacy_priorities, pinned_band, weighted_band
from greentic_iac.targets.aws_ecs.rules import check_route
from greentic_iac.targets.aws_ecs.settings import (
    AwsEcsSettings,
    ExistingListener,
    merged_service_settings,
)

PRIORITY: Final = "aws.alb.listener-rule-priority"
RULES_QUOTA: Final = "listener-rules"
TARGET_GROUPS_QUOTA: Final = "target-groups"
QUOTAS: Final = {
    RULES_QUOTA: ALB_MAX_RULES_PER_LISTENER,
    TARGET_GROUPS_QUOTA: ALB_MAX_TARGET_GROUPS_PER_ALB,
}
QUOTA_TEXT: Final = {
    RULES_QUOTA: f"ALB rules per listener ({ALB_MAX_RULES_PER_LISTENER})",
    TARGET_GROUPS_QUOTA: f"target groups per ALB ({ALB_MAX_TARGET_GROUPS_PER_ALB})",
}


def priority_scope(environment_id: str, settings: AwsEcsSettings) -> str:
    """The space priorities are unique in: this environment's listener, or a shared one."""
    lb = settings.load_balancer
    if isinstance(lb, ExistingListener):
        return f"listener:{lb.listener_arn}"
    return f"environment:{environment_id}"


def wanted_priorities(state: EnvironmentState) -> dict[str, WantedValue]:
    """Every owner that needs a rule now: active deployments and their live revisions."""
    wanted: dict[str, WantedValue] = {}
    for deployment in state.active_deployments():
        route = deployment.route_binding
        for revision in state.revisions_of(deployment.deployment_id):
            if revision.lifecycle == RevisionLifecycle.ARCHIVED:
                continue
            low, high = pinned_band(route)
            wanted[revision.revision_id] = WantedValue(
                low, high, counts=(RULES_QUOTA, TARGET_GROUPS_QUOTA)
            )
        low, high = weighted_band(route)
        wanted[deployment.deployment_id] = WantedValue(low, high, counts=(RULES_QUOTA,))
    return wanted


def _preferred(
    before: EnvironmentState | None,
    after: EnvironmentState,
    settings: AwsEcsSettings,
    scope: str,
) -> dict[str, int]:
    """Values to keep: what the owner holds in this scope, or what v1 compiled for it."""
    if after.allocation_scopes.get(PRIORITY) == scope:
        return {
            owner: values[PRIORITY]
            for owner, values in after.allocations.items()
            if PRIORITY in values
        }
    if PRIORITY not in after.allocation_scopes:
        # Never reconciled: a v1 state. Its live rules sit where v1's compile put them,
        # computed from the state as it was before this change.
        return legacy_priorities(before if before is not None else after, settings)
    return {}  # the listener changed: every rule is replaced anyway


def _quota_error(
    quota: str, scope: str, new_owners: list[str], after: EnvironmentState, count: int
) -> InvalidInputError:
    # Name the deployment the change is for: a staged revision's, else a new deployment.
    revisions = [o for o in new_owners if o in after.revisions]
    owner = (revisions or new_owners or ["?"])[0]
    revision = after.revisions.get(owner)
    deployment = revision.deployment_id if revision is not None else owner
    candidates = (
        [
            r.revision_id
            for r in after.revisions_of(deployment)
            if r.lifecycle in {RevisionLifecycle.INACTIVE, RevisionLifecycle.STAGED}
            and r.revision_id not in new_owners
        ]
        if deployment in after.deployments
        else []
    )
    hint = (
        f"archive revision(s) {', '.join(candidates[:3])} of deployment {deployment} first"
        if candidates
        else "archive revisions no longer needed (and apply) first"
    )
    return InvalidInputError(
        f"deployment {deployment}: quota {QUOTA_TEXT[quota]} reached on {scope} "
        f"({count} needed); {hint}"
    )


def _check_quotas(
    wanted: dict[str, WantedValue],
    pending: list[ReleasedValue],
    scope: str,
    new_owners: list[str],
    after: EnvironmentState,
) -> None:
    for quota, limit in QUOTAS.items():
        # A released rule still exists until its deleting plan is applied: Pulumi deletes
        # last, so both are on the listener during that update.
        count = sum(quota in w.counts for w in wanted.values()) + sum(
            quota == RULES_QUOTA or r.owner_key in after.revisions for r in pending
        )
        if count > limit and new_owners:
            raise _quota_error(quota, scope, new_owners, after, count)


def _choose(
    wanted: dict[str, WantedValue], preferred: dict[str, int], taken: set[int], scope: str
) -> dict[str, int]:
    """Owner -> value: the preferred value where it is free, else the lowest free in band."""
    chosen: dict[str, int] = {}
    for owner, value in sorted(preferred.items()):
        if owner in wanted and value not in taken:
            chosen[owner] = value
            taken.add(value)
    for owner in sorted(wanted):
        if owner in chosen:
            continue
        w = wanted[owner]
        found = lowest_free(w.low, w.high, taken)
        if found is None:
            raise InvalidInputError(
                f"{owner}: no free listener rule priority left in {w.low}-{w.high} on {scope}"
            )
        chosen[owner] = found
        taken.add(found)
    return chosen


def reconcile_allocations(
    before: EnvironmentState | None,
    after: EnvironmentState,
    context: AllocationContext | None = None,
) -> EnvironmentState:
    """``after`` with a priority for every owner that needs one (edits ``after`` in place).

    Raises ``InvalidInputError`` naming the quota, the deployment and what to archive when
    a new owner would exceed a listener quota; the change that needs the capacity is
    refused, never a later plan.
    """
    from greentic_iac.targets.aws_ecs.compiler import load_settings

    context = context or AllocationContext()
    settings = load_settings(after)
    environment_id = after.environment.environment_id
    scope = priority_scope(environment_id, settings)
    wanted = wanted_priorities(after)
    preferred = _preferred(before, after, settings, scope)
    held_before = {
        owner: values[PRIORITY] for owner, values in after.allocations.items() if PRIORITY in values
    }
    old_scope = after.allocation_scopes.get(PRIORITY, scope)
    next_generation = after.generation + 1
    new_owners = sorted(o for o in wanted if o not in preferred)
    for owner in new_owners:
        # Checked when a deployment is added, not on every later change: a route refused
        # here never reaches a plan, and an old one can't freeze the environment.
        if owner in after.deployments:
            check_route(after.deployments[owner].route_binding)

    if isinstance(settings.load_balancer, ExistingListener) and context.claims is not None:
        request = ClaimRequest(
            scope=scope,
            kind=PRIORITY,
            environment_id=environment_id,
            wanted={
                owner: WantedValue(w.low, w.high, preferred.get(owner), w.counts)
                for owner, w in wanted.items()
            },
            applied_generation=context.applied_generation,
            released_at_generation=next_generation,
            quotas=QUOTAS,
        )
        try:
            chosen = context.claims.hold(request)
        except QuotaExceededError as exc:
            raise _quota_error(exc.quota, scope, exc.owners, after, exc.count) from None
        released = list(after.released)
    else:
        released = [
            r
            for r in after.released
            if not (r.scope == scope and reusable(r, context.applied_generation))
        ]
        pending = [r for r in released if r.scope == scope and r.kind == PRIORITY]
        _check_quotas(wanted, pending, scope, new_owners, after)
        # A value freed by this very change is still on a live rule: not reusable yet.
        freed_now = {v for o, v in held_before.items() if o not in wanted and old_scope == scope}
        chosen = _choose(wanted, preferred, {r.value for r in pending} | freed_now, scope)

    # Values no owner keeps any more wait for the plan that deletes their rule (a shared
    # listener's claim record keeps its own).
    shared_before = old_scope.startswith("listener:")
    for owner, value in sorted(held_before.items()):
        if (old_scope == scope and chosen.get(owner) == value) or shared_before:
            continue
        released.append(
            ReleasedValue(
                kind=PRIORITY,
                value=value,
                scope=old_scope,
                released_at_generation=next_generation,
                owner_key=owner,
            )
        )
    if shared_before and old_scope != scope and context.claims is not None:
        context.claims.hold(
            ClaimRequest(
                scope=old_scope,
                kind=PRIORITY,
                environment_id=environment_id,
                wanted={},
                applied_generation=context.applied_generation,
                released_at_generation=next_generation,
            )
        )
    for owner in list(after.allocations):
        after.allocations[owner].pop(PRIORITY, None)
        if not after.allocations[owner] or owner not in wanted:
            del after.allocations[owner]  # an archived or removed owner keeps nothing
    for owner, value in chosen.items():
        after.allocations.setdefault(owner, {})[PRIORITY] = value
    after.allocation_scopes[PRIORITY] = scope
    after.released = released
    _record_target_group_inputs(after, settings)
    return after


def _record_target_group_inputs(state: EnvironmentState, settings: AwsEcsSettings) -> None:
    """Record, once per revision, the replace-forcing inputs its target group starts with."""
    for deployment in state.active_deployments():
        try:
            base = merged_service_settings(settings.service, deployment.settings)
        except ValidationError:
            continue
        for revision in state.revisions_of(deployment.deployment_id):
            values = state.allocations.get(revision.revision_id)
            if revision.lifecycle == RevisionLifecycle.ARCHIVED or (
                values is not None and TARGET_GROUP_INPUTS in values
            ):
                continue
            try:
                port = merged_service_settings(base, revision.settings).container_port
            except ValidationError:
                continue
            state.allocations.setdefault(revision.revision_id, {})[TARGET_GROUP_INPUTS] = (
                target_group_inputs(port, settings)
            )


def missing_allocations(state: EnvironmentState) -> list[str]:
    """Owners that need a priority and hold none (a state never reconciled)."""
    return [o for o in wanted_priorities(state) if PRIORITY not in state.allocations.get(o, {})]
