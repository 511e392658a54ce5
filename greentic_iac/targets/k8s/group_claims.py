"""The k8s target's allocation hook: an IngressGroup's ALB quotas counted across environments.

In ``alb`` routing mode, every Ingress with one ``group_name`` on one cluster lands on one
ALB, whichever environment compiled it: its 100 listener rules and 100 target groups are
shared. Each environment's plan checks only its own Ingresses (``limits``), so the hook
(``reconcile_allocations``, run by the operations after every state change) records what
the environment needs in the store claim of scope ``ingress-group:<kube_context>/<group>``
(``greentic_iac.store.claims``) and refuses the change that would take the group over a
quota, naming the quota, the group and the environments holding it.

What is counted is the contract, the same as the plan check counts in full: per deployment
with traffic one weighted rule, per revision with weight one target group. Header pins give
way at the quota inside an environment's plan (``alb_capacity``) and are not claimed. The
values held are slot numbers only (the claim record keys owners by a unique value); nothing
compiles them.
"""

from __future__ import annotations

from typing import Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.spec import EnvironmentState, RevisionLifecycle
from greentic_iac.spec.allocations import (
    AllocationContext,
    ClaimRequest,
    QuotaExceededError,
    WantedValue,
)
from greentic_iac.targets.k8s.limits import ALB_MAX_RULES_PER_LISTENER, ALB_MAX_TARGET_GROUPS
from greentic_iac.targets.k8s.settings import AlbRouting, K8sSettings

KIND: Final = "k8s.alb.ingress-group-slot"
RULES_QUOTA: Final = "listener-rules"
TARGET_GROUPS_QUOTA: Final = "target-groups"
QUOTAS: Final = {
    RULES_QUOTA: ALB_MAX_RULES_PER_LISTENER,
    TARGET_GROUPS_QUOTA: ALB_MAX_TARGET_GROUPS,
}
QUOTA_TEXT: Final = {
    RULES_QUOTA: f'ALB listener rules ({ALB_MAX_RULES_PER_LISTENER}, ELB quota "Rules per '
    'Application Load Balancer")',
    TARGET_GROUPS_QUOTA: f'ALB target groups ({ALB_MAX_TARGET_GROUPS}, ELB quota "Target groups '
    'per Application Load Balancer")',
}
# Slots are unique per group; room for every owner two full quotas could ever hold.
_SLOTS: Final = (1, 100_000)


def group_scope(settings: K8sSettings) -> str | None:
    """The claim scope of the environment's IngressGroup; None: not a shared group."""
    routing = settings.routing
    if not isinstance(routing, AlbRouting) or not routing.group_name:
        return None
    return f"ingress-group:{settings.kube_context or ''}/{routing.group_name}"


def group_usage(state: EnvironmentState) -> dict[str, WantedValue]:
    """Owner -> what it counts against: a deployment with traffic one listener rule, each
    revision carrying weight one target group."""
    wanted: dict[str, WantedValue] = {}
    for deployment in state.active_deployments():
        weighted = [
            r
            for r in state.revisions_of(deployment.deployment_id)
            if r.lifecycle != RevisionLifecycle.ARCHIVED and state.weight_of(r) > 0
        ]
        if not weighted:
            continue  # no traffic split yet: no Ingress, no rule
        wanted[deployment.deployment_id] = WantedValue(*_SLOTS, counts=(RULES_QUOTA,))
        for revision in weighted:
            wanted[revision.revision_id] = WantedValue(*_SLOTS, counts=(TARGET_GROUPS_QUOTA,))
    return wanted


def _refusal(exc: QuotaExceededError, scope: str, state: EnvironmentState) -> InvalidInputError:
    owner = exc.owners[0] if exc.owners else "?"
    revision = state.revisions.get(owner)
    deployment = revision.deployment_id if revision is not None else owner
    _, _, group = scope.partition(":")
    holders = ", ".join(exc.environments) or state.environment.environment_id
    return InvalidInputError(
        f"deployment {deployment}: quota {QUOTA_TEXT.get(exc.quota, exc.quota)} reached on "
        f"IngressGroup {group} ({exc.count} needed across environments {holders}); archive "
        "revisions or move traffic off them (and apply) in one of them, or use another "
        "group_name"
    )


def reconcile_allocations(
    before: EnvironmentState | None,
    after: EnvironmentState,
    context: AllocationContext | None = None,
) -> EnvironmentState:
    """``after`` with its IngressGroup usage held in the group's claim (edits ``after``).

    Without a store's claims (an in-memory compile) nothing is held. Raises
    ``InvalidInputError`` naming the quota, the group and the environments when a new
    rule or target group would take the group over a quota.
    """
    del before  # nothing is migrated: the claim is rebuilt from the state on every change
    if context is None or context.claims is None:
        return after
    from greentic_iac.targets.k8s.compiler import settings_for

    try:
        scope = group_scope(settings_for(after))
    except InvalidInputError:
        # Refused by the transaction (or where the plan is compiled): the claim stays as the
        # last valid settings left it.
        return after
    environment_id = after.environment.environment_id

    def request(where: str, wanted: dict[str, WantedValue]) -> ClaimRequest:
        return ClaimRequest(
            scope=where,
            kind=KIND,
            environment_id=environment_id,
            wanted=wanted,
            applied_generation=context.applied_generation,
            released_at_generation=after.generation + 1,
            quotas=QUOTAS,
        )

    old_scope = after.allocation_scopes.get(KIND)
    if old_scope is not None and old_scope != scope:
        # Another group (or mode, or cluster): this environment's Ingresses leave the old one
        # when the plan of this change is applied.
        context.claims.hold(request(old_scope, {}))
        del after.allocation_scopes[KIND]
    if scope is None:
        return after
    try:
        context.claims.hold(request(scope, group_usage(after)))
    except QuotaExceededError as exc:
        raise _refusal(exc, scope, after) from None
    after.allocation_scopes[KIND] = scope
    return after
