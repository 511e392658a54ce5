"""Plan output for ``greentic-iac plan ENV [--canonical] [--out FILE]``.

``plan_to_json`` is the canonical, stable text (sorted keys, resources by name) that the
content hash covers; ``plan_summary`` is the short form a human sees on a terminal;
``write_plan`` writes the file for ``--out`` atomically so a reader never sees half a plan.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.files import write_bytes_atomic
from greentic_iac.plan.model import Plan


def plan_to_json(plan: Plan, *, pretty: bool = True) -> str:
    """Canonical JSON of the plan (indented with a final newline, or compact when not)."""
    return plan.to_pretty_json() if pretty else plan.canonical_json()


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The canonical plan as a JSON-able dict plus its ``content_hash`` (for envelopes)."""
    document = plan.canonical().to_json_dict()
    document["content_hash"] = plan.content_hash()
    return document


def write_text_atomic(text: str, path: Path) -> Path:
    """Write ``text`` to ``path`` atomically so a reader — a CI step posting a report,
    ``pulumi`` reading a plan — never sees half a file. Returns ``path``."""
    if not path.parent.is_dir():
        raise InvalidInputError(f"--out: directory {path.parent} does not exist")
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_plan(plan: Plan, path: Path) -> Path:
    """Write the canonical JSON to ``path`` atomically. Returns ``path``."""
    return write_text_atomic(plan_to_json(plan), path)


def load_plan(path: Path) -> Plan:
    """Read a plan file; a missing or invalid file is an ``InvalidInputError`` naming it."""
    from pydantic import ValidationError

    try:
        return Plan.load(path)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: no such plan file") from None
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise InvalidInputError(f"{path}: not a valid plan ({first})") from None


def plan_summary(plan: Plan) -> dict[str, Any]:
    """Counts by type token, findings and traffic: what a terminal shows above the JSON."""
    return {
        "environment_id": plan.environment_id,
        "target": plan.target,
        "content_hash": plan.content_hash(),
        "resources": len(plan.resources),
        "by_type": dict(sorted(Counter(r.type for r in plan.resources).items())),
        "errors": len(plan.errors),
        "warnings": sum(1 for f in plan.findings if f.severity == "warning"),
        "traffic": [
            {
                "deployment_id": t.deployment_id,
                "method": t.method,
                # effective shares are fractional (3333.33...): two decimals are what a person reads
                "max_error_bps": round(t.max_error_bps, 2),
                "revisions": {r.revision_id: r.applied_weight for r in t.revisions},
            }
            for t in sorted(plan.traffic, key=lambda t: t.deployment_id)
        ],
    }


def plan_summary_json(plan: Plan) -> str:
    return json.dumps(plan_summary(plan), indent=2, sort_keys=True) + "\n"
