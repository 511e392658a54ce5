"""The pull-request comment: summary first, details in collapsible sections, always small.

A GitHub comment holds at most 65,536 characters, so the renderer budgets: the header and
summary are always whole; the sections (limits, policy, traffic, one per resource action,
warnings) share what is left. When they don't fit, the largest sections are trimmed first
(water-filling: every section keeps items up to one common cap, so a huge "to create" list
is cut before a short traffic table loses a row), each trimmed section says how many items
it dropped, and a note under the summary says what was cut and where the whole report is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.preview.text import summary_line
from greentic_iac.preview.values import percent, show_value

MAX_COMMENT_CHARS: Final = 65_536
# Room kept for the trim notes (one per section plus the summary note).
_NOTES_RESERVE: Final = 2_000
_FENCE: Final = "````"
_SYMBOL: Final = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_TITLE: Final = {
    "create": "to create",
    "replace": "to replace",
    "update": "to update",
    "delete": "to delete",
}


def marker(environment_id: str) -> str:
    """The hidden line a CI job finds to edit its previous comment instead of adding one."""
    return f"<!-- greentic-preview:{environment_id} -->"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _escape(text).replace("|", "\\|")


def _code(text: str) -> str:
    return text.replace(_FENCE, "`\u200b```")


@dataclass
class _Section:
    header: str
    items: list[str]
    footer: str
    unit: str
    kept: int = field(default=-1)

    @property
    def item_chars(self) -> int:
        return sum(len(i) for i in self.items)

    def render(self) -> str:
        kept = len(self.items) if self.kept < 0 else self.kept
        body = "".join(self.items[:kept])
        dropped = len(self.items) - kept
        note = (
            f"\n_… {dropped} of {len(self.items)} {self.unit} not shown (trimmed to fit)._\n"
            if dropped
            else ""
        )
        return self.header + body + self.footer + note


def _gate_section(title: str, items: list[dict[str, Any]], unit: str) -> _Section:
    return _Section(
        header=f"<details open><summary><b>{title}</b> ({len(items)})</summary>\n\n",
        items=[f"- `{_cell(i['code'])}`: {_escape(i['message'])}\n" for i in items],
        footer="\n</details>\n\n",
        unit=unit,
    )


def _deployment_cell(deployment: dict[str, Any]) -> str:
    """Bundle id, route, method and whether it changes: shown once, on its first row."""
    name = deployment.get("bundle_id") or deployment["deployment_id"]
    flag = "**changed**" if deployment["changed"] else "unchanged"
    parts = [f"**{_cell(name)}** · {flag}"]
    if deployment.get("route"):
        parts.append(f"`{_cell(deployment['route'])}`")
    if deployment["method"]:
        parts.append(_cell(deployment["method"]))
    return "<br>".join(parts)


def _traffic_section(traffic: list[dict[str, Any]]) -> _Section:
    changed = sum(1 for t in traffic if t["changed"])
    rows = []
    for deployment in traffic:
        first = _deployment_cell(deployment)
        for revision in deployment["revisions"]:
            weight = revision["applied_weight"]
            name = revision.get("name") or revision["revision_id"]
            rows.append(
                f"| {first} | `{_cell(name)}` | "
                f"{percent(revision['before_bps'])} | {percent(revision['after_bps'])} | "
                f"{'-' if weight is None else weight} | {percent(revision['effective_bps'])} |\n"
            )
            first = ""
    return _Section(
        header=(
            f"<details{' open' if changed else ''}><summary><b>Traffic</b> "
            f"({changed} of {len(traffic)} deployments change)</summary>\n\n"
            "| deployment | revision | before | after | weight | effective |\n"
            "| --- | --- | ---: | ---: | ---: | ---: |\n"
        ),
        items=rows,
        footer="\n</details>\n\n",
        unit="traffic rows",
    )


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ids_section(document: dict[str, Any]) -> _Section:
    """The full ids behind the names, to copy into an answers file or a support ticket."""
    names = document.get("names") or {}
    revisions_of: dict[str, list[tuple[int, str, str]]] = {}
    for revision_id, revision in names.get("revisions", {}).items():
        revisions_of.setdefault(revision["deployment_id"], []).append(
            (revision["sequence"], revision["name"], revision_id)
        )
    items = []
    for deployment_id, deployment in names.get("deployments", {}).items():
        lines = [f"- **{_cell(deployment['bundle_id'])}** `{deployment_id}`\n"]
        for _, name, revision_id in sorted(revisions_of.get(deployment_id, [])):
            lines.append(f"  - `{_cell(name)}` `{revision_id}`\n")
        items.append("".join(lines))
    return _Section(
        header=f"<details><summary><b>Ids</b> ({_count(len(items), 'deployment')})</summary>\n\n",
        items=items,
        footer="\n</details>\n\n",
        unit="deployments' ids",
    )


def _resource_item(resource: dict[str, Any]) -> str:
    action = resource["action"]
    subject = resource.get("subject")
    owner = f" · {subject}" if subject else ""
    lines = [f"{_SYMBOL[action]} {resource['name']} ({resource['type']}){owner}"]
    if action in ("update", "replace"):
        for change in resource["changes"]:
            mark = "  # forces replacement" if change["forces_replace"] else ""
            lines.append(
                f"    {change['path']}: {show_value(change['before'], 100)} -> "
                f"{show_value(change['after'], 100)}{mark}"
            )
    return _code("\n".join(lines)) + "\n"


def _resource_sections(resources: list[dict[str, Any]]) -> list[_Section]:
    sections = []
    for action, title in _TITLE.items():
        chosen = [r for r in resources if r["action"] == action]
        if not chosen:
            continue
        sections.append(
            _Section(
                header=(
                    f"<details><summary><b>Resources {title}</b> ({len(chosen)})</summary>\n\n"
                    f"{_FENCE}diff\n"
                ),
                items=[_resource_item(r) for r in chosen],
                footer=f"{_FENCE}\n\n</details>\n\n",
                unit=f"resources {title}",
            )
        )
    return sections


def _head(document: dict[str, Any]) -> str:
    baseline = document["baseline"]
    if baseline["source"] == "empty":
        against = "an empty baseline (never applied)"
    else:
        kind = "the last applied plan" if baseline["source"] == "applied" else "a plan file"
        against = f"{kind} `{baseline['content_hash'][:19]}…`"
    if document["refused"]:
        verdict = "⛔ **Refused**: the plan breaks a target limit or a traffic policy gate."
    elif document["policy"]["overridden"]:
        verdict = "⚠️ **Policy overridden** (`--override-policy`, audited)."
    elif document["changed"]:
        verdict = "✅ Changes are within the target's limits and the traffic policy."
    else:
        verdict = "✅ No changes."
    return (
        f"{marker(document['environment_id'])}\n"
        f"### greentic-iac preview: `{document['environment_id']}`\n\n"
        f"**{summary_line(document)}**\n\n"
        f"{verdict}\n\n"
        f"Target `{document['target']}` · against {against} · plan "
        f"`{document['plan_hash'][:19]}…`\n\n"
    )


def _water_fill(sections: list[_Section], budget: int) -> None:
    """Trim the largest sections first so the items of all fit in ``budget`` characters."""
    sizes = sorted(s.item_chars for s in sections)
    if sum(sizes) <= budget:
        return
    remaining = float(max(0, budget))
    cap = 0.0
    for index, size in enumerate(sizes):
        share = remaining / (len(sizes) - index)
        if size > share:
            cap = share
            break
        remaining -= size
    for section in sections:
        used = 0
        kept = 0
        for item in section.items:
            if used + len(item) > cap:
                break
            used += len(item)
            kept += 1
        section.kept = kept


def render_markdown(document: dict[str, Any], *, max_chars: int = MAX_COMMENT_CHARS) -> str:
    """The report as GitHub/GitLab markdown, never longer than ``max_chars`` characters."""
    head = _head(document)
    sections: list[_Section] = []
    if document["limits"]:
        sections.append(_gate_section("Limits", document["limits"], "limit findings"))
    violations = document["policy"]["violations"]
    if violations:
        title = "Policy (overridden)" if document["policy"]["overridden"] else "Policy"
        sections.append(_gate_section(title, violations, "policy violations"))
    if document["traffic"]:
        sections.append(_traffic_section(document["traffic"]))
    sections += _resource_sections(document["resources"])
    if document["warnings"]:
        warnings = _gate_section("Warnings", document["warnings"], "warnings")
        warnings.header = warnings.header.replace("<details open>", "<details>")
        sections.append(warnings)
    if (document.get("names") or {}).get("deployments"):
        sections.append(_ids_section(document))
    fixed = len(head) + sum(len(s.header) + len(s.footer) for s in sections)
    budget = max_chars - fixed - _NOTES_RESERVE
    while True:
        _water_fill(sections, budget)
        cut = [s for s in sections if 0 <= s.kept < len(s.items)]
        note = ""
        if cut:
            parts = ", ".join(f"{len(s.items) - s.kept} of {len(s.items)} {s.unit}" for s in cut)
            note = (
                f"> ✂️ Trimmed to fit the {max_chars:,}-character comment limit: {parts} not "
                f"shown. The whole report: `greentic-iac preview {document['environment_id']} "
                "--format json`.\n\n"
            )
        text = head + note + "".join(s.render() for s in sections)
        if len(text) <= max_chars or budget <= 0:
            return text[:max_chars]
        budget -= len(text) - max_chars
