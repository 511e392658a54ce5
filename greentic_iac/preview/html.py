"""The preview as one self-contained HTML file, with the traffic split drawn as bars.

Reviewers open a preview attached to a change request or archived by CI; a single file
with inline CSS and no scripts opens anywhere, offline, and can't fetch anything. The
layout lives in ``templates/preview/report.html.j2`` (autoescaped); this module turns the
preview document (``greentic.preview.v1``, see docs/preview.md) into the few numbers the
template draws, checking each one, so a malformed document fails with the field it lacks
rather than a half-drawn report.

Every bar segment carries stable hooks for tests and tools: ``.traffic-bar[data-side]``
holds one ``.segment`` per revision with ``data-revision``, ``data-before-bps``,
``data-after-bps`` and a width of ``bps / 100`` percent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.resources import data_dir

if TYPE_CHECKING:
    import jinja2

SCHEMA_VERSION = "greentic.preview.v1"
TEMPLATE = "preview/report.html.j2"
TOTAL_BPS = 10_000
PALETTE_SIZE = 8  # colour classes rev-0 … rev-7 in the template's CSS
ACTIONS = ("create", "replace", "update", "delete")
SUMMARY_KEYS = ("create", "update", "replace", "delete", "unchanged", "traffic_changes")


@dataclass(frozen=True)
class RevisionBar:
    revision_id: str
    name: str
    colour: int
    before_bps: int
    after_bps: int
    applied_weight: int | None
    effective_bps: float | None

    @property
    def before_percent(self) -> str:
        return _percent(self.before_bps)

    @property
    def after_percent(self) -> str:
        return _percent(self.after_bps)

    @property
    def delta_bps(self) -> int:
        return self.after_bps - self.before_bps


@dataclass(frozen=True)
class DeploymentTraffic:
    deployment_id: str
    bundle_id: str
    route: str
    method: str
    changed: bool
    revisions: tuple[RevisionBar, ...]

    @property
    def before_total(self) -> int:
        return sum(revision.before_bps for revision in self.revisions)

    @property
    def after_total(self) -> int:
        return sum(revision.after_bps for revision in self.revisions)


def render_html(document: dict[str, Any]) -> str:
    """The report for one preview document; raises InvalidInputError naming a bad field."""
    if not isinstance(document, dict):
        raise InvalidInputError("preview document: expected a JSON object")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InvalidInputError(f"schema_version: {version!r} is not {SCHEMA_VERSION!r}")
    context = {
        "environment_id": _text(document, "environment_id"),
        "target": _optional_text(document, "target"),
        "baseline": _baseline(document.get("baseline")),
        "plan_hash": _optional_text(document, "plan_hash"),
        "changed": bool(document.get("changed")),
        "refused": bool(document.get("refused")),
        "summary": _summary(document.get("summary")),
        "resources": _resources(document.get("resources", [])),
        "traffic": _traffic(document.get("traffic", [])),
        "limits": _findings(document.get("limits", []), "limits"),
        "violations": _findings(_policy(document).get("violations", []), "policy.violations"),
        "overridden": bool(_policy(document).get("overridden")),
        "warnings": _findings(document.get("warnings", []), "warnings"),
    }
    return _environment().get_template(TEMPLATE).render(**context)


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["json_value"] = _json_value
    return environment


def _json_value(value: Any) -> str:
    # Property values are JSON; show them as JSON (autoescape still applies to the result).
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _percent(bps: int) -> str:
    return f"{bps / 100:.2f}"


def _text(container: dict[str, Any], key: str, field: str | None = None) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{field or key}: expected a non-empty string")
    return value


def _optional_text(container: dict[str, Any], key: str, field: str | None = None) -> str | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{field or key}: expected a string or null")
    return value


def _list(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInputError(f"{field}: expected a list of objects")
    return value


def _bps(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= TOTAL_BPS:
        raise InvalidInputError(f"{field}: expected an integer 0..{TOTAL_BPS} (basis points)")
    return value


def _baseline(value: Any) -> dict[str, str | None]:
    if value is None:
        return {"source": "empty", "path": None, "content_hash": None}
    if not isinstance(value, dict):
        raise InvalidInputError("baseline: expected an object")
    source = _text(value, "source", "baseline.source")
    path = _optional_text(value, "path", "baseline.path")
    return {
        "source": source,
        # The applied baseline lives in the operator's home: a report shared in a pull
        # request names it by file name, not by a path that leaks the machine's layout.
        "path": Path(path).name if path is not None and source == "applied" else path,
        "content_hash": _optional_text(value, "content_hash", "baseline.content_hash"),
    }


def _summary(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise InvalidInputError("summary: expected an object")
    counts: dict[str, int] = {}
    for key in SUMMARY_KEYS:
        count = value.get(key, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInputError(f"summary.{key}: expected a count")
        counts[key] = count
    return counts


def _resources(value: Any) -> list[dict[str, Any]]:
    resources = []
    for index, resource in enumerate(_list(value, "resources")):
        field = f"resources[{index}]"
        action = resource.get("action")
        if action not in ACTIONS:
            raise InvalidInputError(f"{field}.action: {action!r} is not one of {ACTIONS}")
        changes = []
        for number, change in enumerate(_list(resource.get("changes", []), f"{field}.changes")):
            changes.append(
                {
                    "path": _text(change, "path", f"{field}.changes[{number}].path"),
                    "before": change.get("before"),
                    "after": change.get("after"),
                    "forces_replace": bool(change.get("forces_replace")),
                }
            )
        resources.append(
            {
                "action": action,
                "name": _text(resource, "name", f"{field}.name"),
                "type": _text(resource, "type", f"{field}.type"),
                "subject": _optional_text(resource, "subject", f"{field}.subject"),
                "changes": changes,
            }
        )
    return resources


def _traffic(value: Any) -> list[DeploymentTraffic]:
    deployments = []
    for index, deployment in enumerate(_list(value, "traffic")):
        field = f"traffic[{index}]"
        revisions = []
        for number, revision in enumerate(
            _list(deployment.get("revisions", []), f"{field}.revisions")
        ):
            where = f"{field}.revisions[{number}]"
            revisions.append(
                RevisionBar(
                    revision_id=_text(revision, "revision_id", f"{where}.revision_id"),
                    name=_optional_text(revision, "name", f"{where}.name")
                    or revision["revision_id"],
                    colour=number % PALETTE_SIZE,
                    before_bps=_bps(revision.get("before_bps", 0), f"{where}.before_bps"),
                    after_bps=_bps(revision.get("after_bps", 0), f"{where}.after_bps"),
                    applied_weight=_optional_int(revision, "applied_weight", where),
                    effective_bps=_optional_number(revision, "effective_bps", where),
                )
            )
        deployments.append(
            DeploymentTraffic(
                deployment_id=_text(deployment, "deployment_id", f"{field}.deployment_id"),
                bundle_id=_optional_text(deployment, "bundle_id", f"{field}.bundle_id")
                or deployment["deployment_id"],
                route=_optional_text(deployment, "route", f"{field}.route") or "",
                method=_optional_text(deployment, "method", f"{field}.method") or "",
                changed=bool(deployment.get("changed")),
                revisions=tuple(revisions),
            )
        )
    return deployments


def _optional_int(container: dict[str, Any], key: str, where: str) -> int | None:
    value = container.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{where}.{key}: expected an integer or null")
    return value


def _optional_number(container: dict[str, Any], key: str, where: str) -> float | None:
    value = container.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"{where}.{key}: expected a number or null")
    return float(value)


def _policy(document: dict[str, Any]) -> dict[str, Any]:
    policy = document.get("policy") or {}
    if not isinstance(policy, dict):
        raise InvalidInputError("policy: expected an object")
    return policy


def _findings(value: Any, field: str) -> list[dict[str, str | None]]:
    findings = []
    for index, finding in enumerate(_list(value, field)):
        findings.append(
            {
                "code": _text(finding, "code", f"{field}[{index}].code"),
                "message": _optional_text(finding, "message", f"{field}[{index}].message") or "",
                "subject": _optional_text(finding, "subject", f"{field}[{index}].subject"),
            }
        )
    return findings
