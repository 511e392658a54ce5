"""The terminal report: what changes, the traffic split before and after, and the gates.

Each line is a rich ``Text`` whose spans carry the styles (adds green, changes yellow,
replaces magenta, deletes red, refusals bold red). Coloured, rich renders them for a
terminal (the CLI asks when stdout is one and ``NO_COLOR`` is unset: cli/terminal.py);
plain, the text is the lines' characters alone, exactly as a pipe or a golden file has it.
Creates and deletes are one line each; updates and replaces list their changed
properties, marking the ones that force the replacement.
"""

from __future__ import annotations

import io
from typing import Any, Final

from rich.text import Text

from greentic_iac.preview.values import percent, show_value

_SYMBOL: Final = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_STYLE: Final = {
    "create": "green",
    "update": "yellow",
    "replace": "magenta",
    "delete": "red",
    "bad": "bold red",
    "dim": "dim",
    "bold": "bold",
}


class _Painter:
    """``paint(text, style)``: a styled span; lines are ``Text`` built from spans and str."""

    def __call__(self, text: str, style: str) -> Text:
        return Text(text, style=_STYLE[style])


def _line(*parts: str | Text) -> Text:
    return Text.assemble(*parts)


def _rendered(lines: list[Text | str], colour: bool) -> str:
    if not colour:
        return "".join(f"{line if isinstance(line, str) else line.plain}\n" for line in lines)
    from rich.console import Console

    buffer = io.StringIO()
    # soft_wrap: the terminal wraps a long line itself, rich inserts no line breaks, so the
    # characters are the plain text's; only the styles are added.
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="standard",
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
    )
    for line in lines:
        console.print(line)
    return buffer.getvalue()


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


def _resources(document: dict[str, Any], paint: _Painter) -> list[Text | str]:
    lines: list[Text | str] = [paint("Resources", "bold")]
    if not document["resources"]:
        return [*lines, "  no changes"]
    for resource in document["resources"]:
        action = resource["action"]
        head = f"  {_SYMBOL[action]:>3} {resource['name']} ({resource['type']})"
        head += " replace" if action == "replace" else ""
        subject = resource.get("subject")
        lines.append(_line(paint(head, action), paint(f"  [{subject}]", "dim") if subject else ""))
        if action in ("create", "delete"):
            continue
        for change in resource["changes"]:
            note = paint("  # forces replacement", "replace") if change["forces_replace"] else ""
            lines.append(
                _line(
                    f"        {change['path']}: {show_value(change['before'], 60)} -> "
                    f"{show_value(change['after'], 60)}",
                    note,
                )
            )
    return lines


def _traffic(document: dict[str, Any], paint: _Painter) -> list[Text | str]:
    lines: list[Text | str] = [paint("Traffic", "bold")]
    if not document["traffic"]:
        return [*lines, "  no traffic splits"]
    for deployment in document["traffic"]:
        mark = paint("changed", "update") if deployment["changed"] else paint("unchanged", "dim")
        name = deployment.get("bundle_id") or deployment["deployment_id"]
        route = f" {deployment['route']}" if deployment.get("route") else ""
        lines.append(
            _line("  deployment ", paint(name, "bold"), f"{route} ({deployment['method']}): ", mark)
        )
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


def _gates(document: dict[str, Any], paint: _Painter) -> list[Text | str]:
    lines: list[Text | str] = []
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
    """The report as terminal text (styled through rich when ``colour``)."""
    paint = _Painter()
    header = paint(f"Preview of {document['environment_id']} ({document['target']})", "bold")
    lines: list[Text | str] = [header, baseline_line(document), ""]
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
    return _rendered(lines, colour)
