"""Curated table views of the list verbs, with ``--wide`` columns (as ``kubectl get -o wide``).

The generic table (cli/tables.py) prints every field of a result, which for a revision is a
dozen columns a terminal squeezes to nothing. The verbs a person reads most get a view
here: the columns that tell rows apart (names, lifecycle, weight, the id to copy) and, with
``--wide``, the rest (other ids, generations, digests, host/path, times). A view works on
the result dict the JSON envelope carries, so the table can never say something the JSON
does not. A result without the view's rows (an older shape) falls back to the generic table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class View:
    """One table: its title, its columns (``>`` before a name: right-aligned) and rows."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _percent(bps: Any) -> str:
    if not isinstance(bps, int) or isinstance(bps, bool):
        return ""
    return f"{bps / 100:.2f}%"


def _environments(result: dict[str, Any], wide: bool) -> list[View]:
    columns = ["environment", "deployer", "cloud", "region", ">deployments", ">revisions"]
    if wide:
        columns += [">generation", ">packs", "tenant"]
    view = View("environments", columns)
    for item in result["environments"]:
        row = [_text(item.get(k)) for k in ("environment_id", "deployer", "cloud", "region")]
        row += [_text(item.get("deployment_count")), _text(item.get("revision_count"))]
        if wide:
            row += [_text(item.get(k)) for k in ("generation", "pack_count", "tenant")]
        view.rows.append(row)
    return [view]


def _time(value: Any) -> str:
    """An audit time to the second (``2026-12-02T01:26:27Z``): the fraction is noise here."""
    text = _text(value)
    head, dot, rest = text.partition(".")
    return head + ("Z" if dot and rest.endswith("Z") else "") if dot else text


def _packs(result: dict[str, Any], wide: bool) -> list[View]:
    # The seed's shape: slot and kind; the rest only when asked for.
    columns = ["slot", "kind"]
    if wide:
        columns += ["pack_ref", "answers_ref", ">generation", "previous"]
    view = View("packs", columns)
    for item in result["packs"]:
        row = [_text(item.get("slot")), _text(item.get("kind"))]
        if wide:
            row += [
                _text(item.get("pack_ref")),
                _text(item.get("answers_ref")),
                _text(item.get("generation")),
                "yes" if item.get("has_previous") else "no",
            ]
        view.rows.append(row)
    return [view]


def _deployments(result: dict[str, Any], wide: bool) -> list[View]:
    columns = ["deployment", "host/path", "lifecycle", ">revisions", "id"]
    if wide:
        columns += ["customer", "created"]
    view = View("deployments", columns)
    for item in result["deployments"]:
        route = item.get("route_binding") or {}
        row = [
            _text(item.get("bundle_id")),
            f"{_text(route.get('host'))}{_text(route.get('path_prefix'))}",
            _text(item.get("lifecycle")),
            _text(item.get("revision_count")),
            _text(item.get("deployment_id")),
        ]
        if wide:
            row += [_text(item.get("customer_id")), _text(item.get("created_at"))]
        view.rows.append(row)
    return [view]


def _revisions(result: dict[str, Any], wide: bool) -> list[View]:
    columns = ["revision", "lifecycle", ">weight", "id"]
    if wide:
        columns += ["deployment id", "bundle digest", "image", "created", "updated"]
    view = View("revisions", columns)
    for item in result["revisions"]:
        row = [
            _text(item.get("name")),
            _text(item.get("lifecycle")),
            _percent(item.get("weight_bps")),
            _text(item.get("revision_id")),
        ]
        if wide:
            row += [
                _text(item.get(k))
                for k in ("deployment_id", "bundle_digest", "image", "created_at", "updated_at")
            ]
        view.rows.append(row)
    return [view]


def _splits(result: dict[str, Any], wide: bool) -> list[View]:
    columns = ["deployment", "revision", ">weight", "id"]
    if wide:
        columns += ["deployment id", ">generation", "previous"]
    view = View("traffic", columns)
    for item in result["deployments"]:
        name = _text(item.get("bundle_id") or item.get("deployment_id"))
        for index, entry in enumerate(item.get("entries") or []):
            first = index == 0
            row = [
                name if first else "",
                _text(entry.get("name")),
                _percent(entry.get("weight_bps")),
                _text(entry.get("revision_id")),
            ]
            if wide:
                row += [
                    _text(item.get("deployment_id")) if first else "",
                    _text(item.get("generation")) if first else "",
                    ("yes" if item.get("has_previous") else "no") if first else "",
                ]
            view.rows.append(row)
    return [view]


def _history(result: dict[str, Any], wide: bool) -> list[View]:
    columns = ["time", "verb", "deployment id", "revision id", ">weight"]
    if wide:
        columns += [">generation", "principal"]
    view = View("traffic changes", columns)
    for change in result["changes"]:
        for index, entry in enumerate(change.get("entries") or [{}]):
            first = index == 0
            row = [
                _time(change.get("time")) if first else "",
                _text(change.get("verb")) if first else "",
                _text(change.get("deployment_id")) if first else "",
                _text(entry.get("revision_id")),
                _percent(entry.get("weight_bps")),
            ]
            if wide:
                row += [
                    _text(change.get("generation")) if first else "",
                    _text(change.get("principal")) if first else "",
                ]
            view.rows.append(row)
    return [view]


def analysis_text(analysis: dict[str, Any] | None) -> str:
    """``passed: error_rate 0.01 (120 req) pass, …`` from a rollout's last analysis."""
    from greentic_iac.operations.rollout_view import figure_text

    if not analysis:
        return "-"
    figures = ", ".join(figure_text(f) for f in analysis.get("figures") or [])
    verdict = "passed" if analysis.get("passed") else "failed"
    return f"{verdict}: {figures}" if figures else verdict


def next_step_text(seconds: Any) -> str:
    from greentic_iac.operations.rollout_view import duration_text

    if not isinstance(seconds, (int, float)):
        return "-"
    return f"in {duration_text(seconds)}"


def _rollouts(result: dict[str, Any], wide: bool) -> list[View]:
    columns = ["rollout", "status", "step", "weights", "last analysis", "next step"]
    if wide:
        columns += ["deployment id", ">stable weight", ">canary weight", "reason"]
    view = View("rollouts", columns)
    for item in result["rollouts"]:
        row = [
            _text(item.get("rollout_id")),
            _text(item.get("status")),
            f"{item.get('step')} {item.get('step_kind')}",
            _text(item.get("weights_by_name")) or _percent(item.get("canary_bps")),
            analysis_text(item.get("last_analysis")),
            next_step_text(item.get("next_step_in_seconds")),
        ]
        if wide:
            weights = item.get("weights") or {}
            row += [
                "\n".join(weights),
                "\n".join(_percent(w.get("stable")) for w in weights.values()),
                "\n".join(_percent(w.get("canary")) for w in weights.values()),
                _text(item.get("reason")),
            ]
        view.rows.append(row)
    return [view]


_VIEWS: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any], bool], list[View]]]] = {
    ("env", "list"): ("environments", _environments),
    ("env-packs", "list"): ("packs", _packs),
    ("bundles", "list"): ("deployments", _deployments),
    ("revisions", "list"): ("revisions", _revisions),
    ("traffic", "show"): ("deployments", _splits),
    ("traffic", "history"): ("changes", _history),
    ("rollout", "status"): ("rollouts", _rollouts),
}


def views_of(noun: str, op: str, result: dict[str, Any], wide: bool) -> list[View] | None:
    """The curated tables of ``noun op``'s result, or None (the generic table applies)."""
    known = _VIEWS.get((noun, op))
    if known is None:
        return None
    rows_key, build = known
    rows = result.get(rows_key)
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return None
    return build(result, wide)
