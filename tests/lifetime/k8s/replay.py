"""Replay a stack's plan diff into the API model in the order Pulumi applies it.

Creates and updates go in dependency order (``depends_on`` and ``parent``); a replace is
create-before-delete unless the resource sets ``delete_before_replace``; every delete (of a
resource gone from the plan, or the old half of a replace) comes last, dependents first.
Whether a change is a replace is decided by ``greentic_iac.preview.diff.resource_change``,
the same code (and replace rules) the preview shows, so the replay and the preview agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import TopologicalSorter

from greentic_iac.plan import Plan, PlanResource
from greentic_iac.preview.diff import resource_change
from tests.lifetime.k8s.api_model import Cluster, Identity, identity_of


def dependency_order(resources: list[PlanResource]) -> list[PlanResource]:
    by_name = {r.name: r for r in resources}
    graph = {
        r.name: {d for d in [*r.depends_on, *([r.parent] if r.parent else [])] if d in by_name}
        for r in resources
    }
    return [by_name[name] for name in TopologicalSorter(graph).static_order()]


@dataclass
class Stack:
    """One environment's Pulumi stack: the plan it last applied, on one cluster."""

    name: str
    cluster: Cluster
    applied: Plan | None = None
    # What the last apply did, for failure messages: (step, logical name, identity).
    steps: list[tuple[str, str, Identity]] = field(default_factory=list)

    def identities(self) -> set[Identity]:
        if self.applied is None:
            return set()
        return {identity_of(r.properties) for r in self.applied.resources}

    def up(self, plan: Plan) -> None:
        """Apply ``plan``; an ``ApiError`` leaves the stack at its last applied plan."""
        old = {r.name: r for r in self.applied.resources} if self.applied else {}
        new_names = {r.name for r in plan.resources}
        self.steps = []
        later_deletes: set[str] = {name for name in old if name not in new_names}
        replaced_old: dict[str, PlanResource] = {}
        for resource in dependency_order(plan.resources):
            previous = old.get(resource.name)
            identity = identity_of(resource.properties)
            if previous is None:
                self._step("create", resource.name, identity)
                self.cluster.create(self.name, resource.properties)
                continue
            change = resource_change(previous, resource)
            if change is None:
                continue
            if change["action"] == "update":
                self._step("update", resource.name, identity)
                self.cluster.update(self.name, resource.properties)
            elif resource.options.delete_before_replace:
                self._step("delete-replaced", resource.name, identity_of(previous.properties))
                self.cluster.delete(self.name, identity_of(previous.properties))
                self._step("create-replacement", resource.name, identity)
                self.cluster.create(self.name, resource.properties)
            else:
                self._step("create-replacement", resource.name, identity)
                self.cluster.create(self.name, resource.properties)
                replaced_old[resource.name] = previous
        assert self.applied is not None or not later_deletes
        if self.applied is not None:
            for resource in reversed(dependency_order(self.applied.resources)):
                if resource.name in later_deletes or resource.name in replaced_old:
                    identity = identity_of(resource.properties)
                    self._step("delete", resource.name, identity)
                    self.cluster.delete(self.name, identity)
        self.applied = plan

    def destroy(self) -> None:
        if self.applied is None:
            return
        for resource in reversed(dependency_order(self.applied.resources)):
            identity = identity_of(resource.properties)
            self._step("delete", resource.name, identity)
            self.cluster.delete(self.name, identity)
        self.applied = None

    def _step(self, step: str, name: str, identity: Identity) -> None:
        self.steps.append((step, name, identity))
