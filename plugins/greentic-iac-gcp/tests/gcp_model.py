"""A small model of the Google Cloud APIs a Cloud Run plan touches, and Pulumi's replay
order into it (design decision 12: plans replayed step by step into an API emulator).

Google Cloud has no local emulator for Compute Engine load balancing or Cloud Run, so this
model keeps exactly the rules an apply can trip over, as the APIs state them:

- a name is unique per project, location and type: creating it again is ``409
  alreadyExists`` (a replacement that kept its name, two environments on one name);
- a reference must name a live object (``404 notFound``);
- an object another one uses can't be deleted (``400 resourceInUseByAnotherResource``): a
  backend service in a URL map, a URL map or certificate under a target proxy, a proxy or
  address under a forwarding rule, a NEG under a backend service. A Cloud Run service or a
  service account can be deleted while something names it (Google allows it).

The replay applies a plan diff as Pulumi does: creates and updates in dependency order
(references, ``depends_on``), a replacement create-before-delete (the plug-in's replace
rules decide which changes replace), every delete last, dependents first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from greentic_iac_gcp import tokens as t
from greentic_iac_gcp.replace_rules import name_property, replacing_paths

from greentic_iac.plan import Plan, PlanResource

Identity = tuple[str, ...]
# Referrers whose references keep the referenced object from being deleted.
_BLOCKING = frozenset({t.T_URL_MAP, t.T_HTTP_PROXY, t.T_HTTPS_PROXY, t.T_FORWARDING, t.T_BACKEND})


class ApiError(Exception):
    pass


def identity_of(stack: str, resource: PlanResource) -> Identity:
    key = name_property(resource.type)
    properties = resource.properties
    if key is None:
        # IAM members: named by the grant itself, they never collide.
        return (resource.type, stack, resource.name)
    where = properties.get("location") or properties.get("region") or "global"
    return (resource.type, str(properties.get("project")), str(where), str(properties[key]))


def _referenced(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            found.add(value["$ref"]["resource"])
            return
        for item in value.values():
            _referenced(item, found)
    elif isinstance(value, list):
        for item in value:
            _referenced(item, found)


@dataclass
class Cloud:
    """Every live object by identity, with the identities it references."""

    objects: dict[Identity, set[Identity]] = field(default_factory=dict)
    blocking: dict[Identity, bool] = field(default_factory=dict)

    def create(self, identity: Identity, references: set[Identity], blocks: bool) -> None:
        if identity in self.objects:
            raise ApiError(f"409 alreadyExists: {identity}")
        self._check_references(identity, references)
        self.objects[identity] = references
        self.blocking[identity] = blocks

    def update(self, identity: Identity, references: set[Identity]) -> None:
        if identity not in self.objects:
            raise ApiError(f"404 notFound: update of {identity}")
        self._check_references(identity, references)
        self.objects[identity] = references

    def delete(self, identity: Identity) -> None:
        if identity not in self.objects:
            raise ApiError(f"404 notFound: delete of {identity}")
        users = [
            other
            for other, refs in self.objects.items()
            if identity in refs and other != identity and self.blocking[other]
        ]
        if users:
            raise ApiError(f"400 resourceInUseByAnotherResource: {identity} used by {users[0]}")
        del self.objects[identity]
        del self.blocking[identity]

    def _check_references(self, identity: Identity, references: set[Identity]) -> None:
        missing = sorted(references - set(self.objects))
        if missing:
            raise ApiError(f"404 notFound: {identity} refers to {missing[0]}")


@dataclass
class Stack:
    """One environment's Pulumi stack in one cloud: the plan it last applied."""

    name: str
    cloud: Cloud
    applied: Plan | None = None

    def _references(self, plan: Plan, resource: PlanResource) -> set[Identity]:
        by_name = {r.name: r for r in plan.resources}
        names: set[str] = set()
        _referenced(resource.properties, names)
        names |= set(resource.depends_on)
        return {identity_of(self.name, by_name[n]) for n in names}

    def up(self, plan: Plan) -> list[str]:
        """Apply ``plan``; returns the steps taken. ``ApiError`` propagates (a failed up)."""
        old = {r.name: r for r in self.applied.resources} if self.applied else {}
        steps: list[str] = []
        replaced: list[PlanResource] = []
        for resource in plan.dependency_order():
            identity = identity_of(self.name, resource)
            references = self._references(plan, resource)
            blocks = resource.type in _BLOCKING
            previous = old.get(resource.name)
            if previous is None:
                self.cloud.create(identity, references, blocks)
                steps.append(f"create {resource.name}")
            elif replacing_paths(resource.type, previous.properties, resource.properties):
                if resource.options.delete_before_replace:
                    self.cloud.delete(identity_of(self.name, previous))
                else:
                    replaced.append(previous)
                self.cloud.create(identity, references, blocks)
                steps.append(f"replace {resource.name}")
            elif (
                previous.properties != resource.properties
                or self.cloud.objects.get(identity) != references
            ):
                # Also when a referenced object was replaced: its id changed under the ref.
                self.cloud.update(identity, references)
                steps.append(f"update {resource.name}")
        if self.applied is not None:
            gone = {n for n in old if n not in {r.name for r in plan.resources}}
            stale = {r.name for r in replaced}
            for resource in reversed(self.applied.dependency_order()):
                if resource.name in gone or resource.name in stale:
                    self.cloud.delete(identity_of(self.name, resource))
                    steps.append(f"delete {resource.name}")
        self.applied = plan
        return steps

    def destroy(self) -> None:
        if self.applied is not None:
            for resource in reversed(self.applied.dependency_order()):
                self.cloud.delete(identity_of(self.name, resource))
        self.applied = None
