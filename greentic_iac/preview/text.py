"""The terminal report: what changes, the traffic split before and after, and the gates.

Coloured with ANSI escapes when asked (the CLI asks when stdout is a terminal), plain
otherwise. Creates and deletes are one line each; updates and replaces list their changed
properties, marking the ones that force the replacement.
"""

from __future__ import annotations

from typing import Any, Final

from greentic_iac.preview.values import percent, show_value

_SYMBOL: Final = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_COLOUR: Final = {
    "create": "32",
    "update": "33",
    "replace": "35",
    "delete": "31",
    "bad": "1;31",
    "dim": "2",
    "bold": "1",
}


class _Painter:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, style: str) -> str:
        if not self.colour:
            return text
        return f"\x1b[{_COLOUR[style]}m{text}\x1b[0m"


def summary_line(document: dict[str, Any]) -> str:
    s = document["summary"]
    return (
        f"{s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
        f"{s['delete']} to delete, {s['unchanged']} unchanged; "
        f"{s['traffic_changes']} traffic change{'' if s['traffic_changes'] == 1 else 's'}"
    )


def baseline_line(document: dict[str, Any]) -> str:
    baseline = document["baseline"]
    if baseline["source"] == "empty":
        return "against an empty baseline (never applied: everything is created)"
    what = "the last applied plan" if baseline["source"] == "applied" else "the plan file"
    return f"against {what} {baseline['path']} ({baseline['content_hash'][:19]}…)"


def _resources(document: dict[str, Any], paint: _Painter) -> list[str]:
    lines = [paint("Resources", "bold")]
    if not document["resources"]:
        return [*lines, "  no changes"]
    for resource in document["resources"]:
        action = resource["action"]
        head = f"  {_SYMBOL[action]:>3} {resource['name']} ({resource['type']})"
        head += " replace" if action == "replace" else ""
        subject = resource.get("subject")
        lines.append(paint(head, action) + (paint(f"  [{subject}]", "dim") if subject else ""))
        if action in ("create", "delete"):
            continue
        for change in resource["changes"]:
            note = paint("  # forces replacement", "replace") if change["forces_replace"] else ""
            lines.append(
                f"        {change['path']}: {show_value(change['before'], 60)} -> "
                f"{show_value(change['after'], 60)}{note}"
            )
    return lines


def _traffic(document: dict[str, Any], paint: _Painter) -> list[str]:
    lines = [paint("Traffic", "bold")]
    if not document["traffic"]:
        return [*lines, "  no traffic splits"]
    for deployment in document["traffic"]:
        mark = paint("changed", "update") if deployment["changed"] else paint("unchanged", "dim")
        name = deployment.get("bundle_id") or deployment["deployment_id"]
        route = f" {deployment['route']}" if deployment.get("route") else ""
        lines.append(f"  deployment {paint(name, 'bold')}{route} ({deployment['method']}): {mark}")
        lines.append(paint(f"    id {deployment['deployment_id']}", "dim"))
        width = max((len(r.get("name") or "") for r in deployment["revisions"]), default=0)
        for revision in deployment["revisions"]:
            moved = revision["before_bps"] != revision["after_bps"]
            arrow = f"{percent(revision['before_bps']):>7} -> {percent(revision['after_bps']):>7}"
            applied = (
                "not in the new plan"
                if revision["applied_weight"] is None
                else f"weight {revision['applied_weight']}, "
                f"effective {percent(revision['effective_bps'])}"
            )
            label = (revision.get("name") or "").ljust(width)
            text = f"    {label}  {arrow}  ({applied})  {revision['revision_id']}"
            lines.append(paint(text, "update") if moved else text)
    return lines


def _gates(document: dict[str, Any], paint: _Painter) -> list[str]:
    lines: list[str] = []
    if document["limits"]:
        lines.append(paint("Limits (the target can't realise this plan)", "bad"))
        for item in document["limits"]:
            lines.append(paint(f"  ✗ {item['code']}: {item['message']}", "bad"))
    policy = document["policy"]
    if policy["violations"]:
        title = "Policy (overridden, audited)" if policy["overridden"] else "Policy"
        lines.append(paint(title, "bold" if policy["overridden"] else "bad"))
        for item in policy["violations"]:
            line = f"  ✗ {item['code']}: {item['message']}"
            lines.append(line if policy["overridden"] else paint(line, "bad"))
    if document["warnings"]:
        lines.append(paint("Warnings", "bold"))
        lines.extend(f"  ! {w['code']}: {w['message']}" for w in document["warnings"])
    return lines


def render_text(document: dict[str, Any], *, colour: bool = False) -> str:
    """The report as terminal text (ANSI colours when ``colour``)."""
    paint = _Painter(colour)
    header = paint(f"Preview of {document['environment_id']} ({document['target']})", "bold")
    lines = [header, baseline_line(document), ""]
    lines += _resources(document, paint)
    lines += ["", *_traffic(document, paint)]
    gates = _gates(document, paint)
    if gates:
        lines += ["", *gates]
    lines += ["", "Summary: " + summary_line(document)]
    if document["refused"]:
        lines.append(paint("REFUSED: fix the limits/policy above before applying", "bad"))
    elif not document["changed"]:
        lines.append("No changes: the environment matches its baseline.")
    return "\n".join(lines) + "\n"
