"""Which plan resources belong to which deployment, and what a deployment exports.

``pulumi preview`` of a flat program is a list of fifty resources; grouped under one
``greentic:index:Deployment`` component per deployment it is a tree a reader can follow.
The grouping is read from the plan alone, so the emitter stays generic: a resource belongs
to the deployment its context tags name (``tags["greentic:deployment"]`` on AWS,
``metadata.labels["greentic.ai/deployment"]`` on Kubernetes, as ``targets.context_tags``
writes them). Only resources the plan leaves at the root move under a component; a
resource the plan parents elsewhere (a shared namespace) keeps that parent, and its
children move with it. Shared infrastructure (VPC, ALB, namespace) has no deployment tag
and stays at the root.

Moving a resource under a parent changes its URN, which Pulumi would treat as a delete and
a create. ``old_urn_type`` gives the type chain the resource had before grouping, so the
emitter can declare it as an alias and an existing stack sees no replace.

The stack output ``deployments`` carries, per deployment, the traffic split (revision ->
requested bps, the weight the target writes, the share it really gives) and its endpoints,
so ``pulumi stack output deployments`` shows the traffic change after an ``up``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Plan, PlanResource, is_ref
from greentic_iac.plan.wire import output_path

COMPONENT_TYPE: Final = "greentic:index:Deployment"
DEPLOYMENTS_OUTPUT: Final = "deployments"
# (property path, key) pairs where targets put the deployment id (targets.context_tags).
_DEPLOYMENT_MARKERS: Final = (
    (("tags",), "greentic:deployment"),
    (("metadata", "labels"), "greentic.ai/deployment"),
)
# A shared stack output is an endpoint of every deployment when it is one of these outputs
# of a resource (the ALB's ``dnsName``): an address a client connects to.
_ADDRESS_OUTPUTS: Final = frozenset({"dnsName", "hostname", "endpoint", "url"})


def deployment_of(resource: PlanResource) -> str | None:
    """The deployment id ``resource``'s tags or labels name, if any."""
    for path, key in _DEPLOYMENT_MARKERS:
        current: Any = resource.properties
        for segment in path:
            current = current.get(segment) if isinstance(current, Mapping) else None
        value = current.get(key) if isinstance(current, Mapping) else None
        if isinstance(value, str) and value:
            return value
    return None


def component_name(deployment_id: str) -> str:
    """The component's logical name: stable, derived from the id (never a position)."""
    return f"deployment-{deployment_id.lower()}"


def grouped_roots(plan: Plan) -> dict[str, str]:
    """``{resource name: deployment id}`` for the resources that move under a component:
    those the plan leaves at the root and that carry a deployment tag."""
    return {
        resource.name: deployment
        for resource in plan.resources
        if resource.parent is None and (deployment := deployment_of(resource)) is not None
    }


def old_urn_type(plan: Plan, name: str) -> str:
    """The URN type part ``name`` had before grouping: its plan ancestors' types and its
    own, ``$``-joined (``kubernetes:core/v1:Namespace$kubernetes:core/v1:ConfigMap``)."""
    types: list[str] = []
    current: str | None = name
    while current is not None:
        resource = plan.resource(current)
        types.append(resource.type)
        current = resource.parent
    return "$".join(reversed(types))


def moved_descendants(plan: Plan, roots: Mapping[str, str]) -> set[str]:
    """Resources whose plan ancestor moved under a component: their URN changes too."""
    moved: set[str] = set()
    for resource in plan.resources:
        current = resource.parent
        while current is not None:
            if current in roots:
                moved.add(resource.name)
                break
            current = plan.resource(current).parent
    return moved


def _endpoints(plan: Plan, deployment_id: str) -> dict[str, Any]:
    endpoints: dict[str, Any] = {}
    for key, value in sorted(plan.outputs.items()):
        if isinstance(value, Mapping) and not is_ref(value) and deployment_id in value:
            # A per-deployment output (``urls``, ``routes``): its entry for this deployment.
            entry = value[deployment_id]
            if isinstance(entry, Mapping) and not is_ref(entry):
                endpoints.update(entry)
            else:
                endpoints[key] = entry
        elif is_ref(value) and output_path(value["$ref"]["output"])[-1] in _ADDRESS_OUTPUTS:
            endpoints[key] = value
    return endpoints


def deployment_outputs(plan: Plan) -> dict[str, Any]:
    """``{deployment id: {"traffic": ..., "endpoints": ...}}`` for every deployment the
    plan routes or tags (refs left in, for the caller to resolve)."""
    if DEPLOYMENTS_OUTPUT in plan.outputs:
        raise InvalidInputError(
            f"outputs.{DEPLOYMENTS_OUTPUT}: the name is reserved for the per-deployment "
            "traffic and endpoints the emitter exports"
        )
    ids = {traffic.deployment_id for traffic in plan.traffic}
    ids |= {d for r in plan.resources if (d := deployment_of(r)) is not None}
    traffic_by_id = {traffic.deployment_id: traffic for traffic in plan.traffic}
    outputs: dict[str, Any] = {}
    for deployment_id in sorted(ids):
        split = traffic_by_id.get(deployment_id)
        traffic: dict[str, Any] = {"revisions": {}}
        if split is not None:
            # No method without a split: Pulumi drops null values, so none is written.
            traffic["method"] = split.method
            traffic["revisions"] = {
                revision.revision_id: {
                    "bps": revision.requested_bps,
                    "weight": revision.applied_weight,
                    "effectiveBps": revision.effective_bps,
                }
                for revision in split.revisions
            }
        outputs[deployment_id] = {"traffic": traffic, "endpoints": _endpoints(plan, deployment_id)}
    return outputs
