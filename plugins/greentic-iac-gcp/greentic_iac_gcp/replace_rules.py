"""Which property changes make Pulumi replace a Cloud Run plan's resource, and a check that
no replacement collides with the resource it replaces.

pulumi-gcp is bridged from the Terraform Google provider: the paths below are the
arguments its documentation marks "Forces new resource", in Pulumi wire names; ``ALL``
marks an immutable resource (every argument but the listed ones replaces it). The target hands
the core's offline preview the same table (``PREVIEW_RULES`` as ``Target.replace_rules``),
and the tests use it to hold decision 10 of the design: a replacement changes the physical
name, so Pulumi's create-before-delete never meets "already exists".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from greentic_iac.plan import Plan
from greentic_iac.plan.target import ReplaceRule
from greentic_iac_gcp import tokens as t


@dataclass(frozen=True)
class Rule:
    """``paths`` replace when changed; with ``immutable``, every top-level property but
    ``mutable`` does."""

    paths: tuple[str, ...] = ()
    immutable: bool = False
    mutable: frozenset[str] = frozenset()


REPLACE_RULES: Final[dict[str, Rule]] = {
    t.T_SERVICE: Rule(paths=("name", "location", "project")),
    t.T_INVOKER: Rule(immutable=True),
    t.T_NEG: Rule(immutable=True),
    t.T_BACKEND: Rule(paths=("name", "project", "loadBalancingScheme")),
    t.T_URL_MAP: Rule(paths=("name", "project")),
    t.T_HTTP_PROXY: Rule(paths=("name", "project", "description")),
    t.T_HTTPS_PROXY: Rule(paths=("name", "project", "description")),
    t.T_FORWARDING: Rule(immutable=True, mutable=frozenset({"labels", "target"})),
    t.T_ADDRESS: Rule(immutable=True, mutable=frozenset({"labels"})),
    t.T_CERTIFICATE: Rule(immutable=True),
    t.T_ACCOUNT: Rule(paths=("accountId", "project")),
    t.T_SECRET_ACCESS: Rule(immutable=True),
}


def _preview_rule(rule: Rule) -> ReplaceRule:
    return ReplaceRule(paths=rule.paths, all_except=rule.mutable if rule.immutable else None)


# The same table as the core's offline preview reads it (``Target.replace_rules``).
PREVIEW_RULES: Final[dict[str, ReplaceRule]] = {
    token: _preview_rule(rule) for token, rule in REPLACE_RULES.items()
}

# Resources the cloud names itself (IAM members): no physical name to collide.
_UNNAMED: Final = frozenset({t.T_INVOKER, t.T_SECRET_ACCESS})


def name_property(type_token: str) -> str | None:
    """The property holding the resource's physical name (None: the cloud names it)."""
    if type_token in _UNNAMED:
        return None
    return "accountId" if type_token == t.T_ACCOUNT else "name"


def _identity(type_token: str, properties: dict[str, Any]) -> tuple[Any, ...] | None:
    key = name_property(type_token)
    if key is None:
        return None
    where = properties.get("location") or properties.get("region")
    return (properties.get("project"), where, properties.get(key))


def replacing_paths(type_token: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The top-level properties whose change replaces the resource (empty: an update)."""
    rule = REPLACE_RULES[type_token]
    keys = sorted(set(before) | set(after))
    if rule.immutable:
        candidates = [k for k in keys if k not in rule.mutable]
    else:
        candidates = [k for k in keys if k in rule.paths]
    return [k for k in candidates if before.get(k) != after.get(k)]


@dataclass(frozen=True)
class Replacement:
    name: str
    type: str
    paths: list[str]
    # The physical identity (project, location, name) before and after; None for a
    # resource the cloud names.
    physical: tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]

    @property
    def collides(self) -> bool:
        """Create-before-delete of the same physical name fails with "already exists"."""
        before, after = self.physical
        return before is not None and before == after


def replacements(before: Plan, after: Plan) -> list[Replacement]:
    """The resources Pulumi would replace going from ``before`` to ``after``."""
    old = {r.name: r for r in before.resources}
    found: list[Replacement] = []
    for resource in after.resources:
        previous = old.get(resource.name)
        if previous is None:
            continue
        paths = replacing_paths(resource.type, previous.properties, resource.properties)
        if previous.type != resource.type:
            paths = ["type", *paths]
        if paths:
            found.append(
                Replacement(
                    resource.name,
                    resource.type,
                    paths,
                    (
                        _identity(previous.type, previous.properties),
                        _identity(resource.type, resource.properties),
                    ),
                )
            )
    return found
