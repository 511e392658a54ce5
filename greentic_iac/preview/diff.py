"""The resource diff of two plans: create / update / replace / delete, property by property.

Resources are matched by logical name (names come from ids, so a staged revision adds
resources and renames none). Properties are compared leaf by leaf: dict keys by name, list
items by position, and a ``$ref`` as one value (its target is known only at apply time).
A ``None`` value and a missing key are the same thing (Pulumi never sends ``None``).
Whether a change replaces the resource comes from ``replace_rules``; a changed type token
or parent changes the resource's URN and is always a replacement. ``depends_on`` and
resource options are not properties: changing them alone is no change.

A replaced resource's outputs are unknown until it exists again, so every resource that
references one is shown changing too, as ``pulumi preview`` does: the referencing
property's new value is "known after replace", and when that property itself forces a
replacement the knock-on continues down the references.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from greentic_iac.plan.model import Plan, PlanResource, is_ref
from greentic_iac.plan.target import ReplaceRule
from greentic_iac.preview.replace_rules import PropertyPath, forces_replace

ACTION_ORDER: Final = {"create": 0, "replace": 1, "update": 2, "delete": 3}
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_MISSING: Final = object()


def format_path(path: PropertyPath) -> str:
    """``("actions", 0, "forward", "targetGroups", 1, "weight")`` ->
    ``actions[0].forward.targetGroups[1].weight``; keys that are not identifiers (labels,
    annotations, tag keys) are quoted: ``metadata.labels["greentic.ai/revision"]``."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif _IDENTIFIER.match(segment):
            text += f".{segment}" if text else segment
        else:
            text += f"[{json.dumps(segment)}]"
    return text


def _leaf_changes(before: Any, after: Any, path: PropertyPath, out: list[tuple[Any, ...]]) -> None:
    if before == after:
        return
    if is_ref(before) or is_ref(after):
        out.append((path, before, after))
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(before.keys() | after.keys()):
            old = before.get(key)
            new = after.get(key)
            if old is None or new is None:
                if old != new:
                    out.append(((*path, key), old, new))
                continue
            _leaf_changes(old, new, (*path, key), out)
        return
    if isinstance(before, str) and isinstance(after, str):
        decoded = _json_pair(before, after)
        if decoded is not None:
            _leaf_changes(*decoded, path, out)
            return
    if isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            if old is None or new is None:
                if old != new:
                    out.append(((*path, index), old, new))
                continue
            _leaf_changes(old, new, (*path, index), out)
        return
    out.append((path, before, after))


def _json_pair(before: str, after: str) -> tuple[Any, Any] | None:
    """Both strings decoded when both are JSON documents (ECS ``containerDefinitions``, IAM
    policies): their diff then names the field inside, as ``pulumi preview`` does."""
    if not (before[:1] in "[{" and after[:1] in "[{" and before and after):
        return None
    try:
        return json.loads(before), json.loads(after)
    except ValueError:
        return None


def _ignored(path: str, ignore_changes: list[str]) -> bool:
    return any(
        path == ignored or path.startswith((ignored + ".", ignored + "["))
        for ignored in ignore_changes
    )


def _whole(resource: PlanResource, side: str) -> list[dict[str, Any]]:
    changes = []
    for key in sorted(resource.properties):
        value = resource.properties[key]
        if value is None:
            continue
        before, after = (None, value) if side == "after" else (value, None)
        changes.append(
            {"path": format_path((key,)), "before": before, "after": after, "forces_replace": False}
        )
    return changes


def resource_change(
    old: PlanResource, new: PlanResource, rules: Mapping[str, ReplaceRule] | None = None
) -> dict[str, Any] | None:
    """The update or replace of one resource present in both plans (None: unchanged)."""
    changes: list[dict[str, Any]] = []
    if old.type != new.type:
        changes.append(
            {"path": "type", "before": old.type, "after": new.type, "forces_replace": True}
        )
    if old.parent != new.parent:
        changes.append(
            {"path": "parent", "before": old.parent, "after": new.parent, "forces_replace": True}
        )
    if old.properties != new.properties:
        leaves: list[tuple[Any, ...]] = []
        _leaf_changes(old.properties, new.properties, (), leaves)
        ignore = new.options.ignore_changes
        for path, before, after in leaves:
            text = format_path(path)
            if ignore and _ignored(text, ignore):
                continue
            changes.append(
                {
                    "path": text,
                    "before": before,
                    "after": after,
                    "forces_replace": forces_replace(
                        new.type, path, old.properties, new.properties, rules
                    ),
                }
            )
    if not changes:
        return None
    replace = any(change["forces_replace"] for change in changes)
    return {
        "action": "replace" if replace else "update",
        "name": new.name,
        "type": new.type,
        "changes": changes,
    }


def _ref_paths(value: Any, path: PropertyPath = ()) -> list[tuple[PropertyPath, str, str]]:
    """Every ``(path, resource, output)`` of a reference inside ``value``."""
    if is_ref(value):
        return [(path, value["$ref"]["resource"], value["$ref"]["output"])]
    found: list[tuple[PropertyPath, str, str]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found += _ref_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _ref_paths(item, (*path, index))
    return found


def _knock_on(changed: list[dict[str, Any]], old: Mapping[str, PlanResource], after: Plan) -> int:
    """Mark what references a replaced resource (to a fixed point); returns how many
    previously unchanged resources it turned into changes."""
    by_name = {c["name"]: c for c in changed}
    replaced = {c["name"] for c in changed if c["action"] == "replace"}
    pending = set(replaced)
    newly_changed = 0
    while pending:
        current, pending = pending, set()
        for resource in after.resources:
            entry = by_name.get(resource.name)
            if resource.name not in old or (entry is not None and entry["action"] == "create"):
                continue
            for path, target, output in _ref_paths(resource.properties):
                if target not in current:
                    continue
                text = format_path(path)
                if entry is None:
                    entry = {
                        "action": "update",
                        "name": resource.name,
                        "type": resource.type,
                        "changes": [],
                    }
                    by_name[resource.name] = entry
                    changed.append(entry)
                    newly_changed += 1
                if any(change["path"] == text for change in entry["changes"]):
                    continue
                forces = forces_replace(resource.type, path, old[resource.name].properties, {})
                entry["changes"].append(
                    {
                        "path": text,
                        "before": {"$ref": {"resource": target, "output": output}},
                        "after": f"(known after replace of {target})",
                        "forces_replace": forces,
                    }
                )
                if forces and entry["action"] != "replace":
                    entry["action"] = "replace"
                    pending.add(resource.name)
    return newly_changed


def diff_resources(
    before: Plan | None, after: Plan, rules: Mapping[str, ReplaceRule] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """(changed resources in the preview contract's order, number of unchanged resources);
    ``rules`` are the target's replace rules (``Target.replace_rules``)."""
    old = {r.name: r for r in before.resources} if before is not None else {}
    changed: list[dict[str, Any]] = []
    unchanged = 0
    seen: set[str] = set()
    for resource in after.resources:
        seen.add(resource.name)
        previous = old.get(resource.name)
        if previous is None:
            changed.append(
                {
                    "action": "create",
                    "name": resource.name,
                    "type": resource.type,
                    "changes": _whole(resource, "after"),
                }
            )
            continue
        change = resource_change(previous, resource, rules)
        if change is None:
            unchanged += 1
        else:
            changed.append(change)
    for name, resource in old.items():
        if name not in seen:
            changed.append(
                {
                    "action": "delete",
                    "name": name,
                    "type": resource.type,
                    "changes": _whole(resource, "before"),
                }
            )
    unchanged -= _knock_on(changed, old, after)
    changed.sort(key=lambda c: (ACTION_ORDER[c["action"]], c["name"]))
    return changed, unchanged
