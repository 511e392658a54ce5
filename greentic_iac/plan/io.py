"""Plan output for ``greentic-iac plan ENV [--json] [--out FILE]``.

``plan_to_json`` is the canonical, stable text (sorted keys, resources by name) that the
content hash covers; ``plan_summary`` is the short form a human sees on a terminal;
``write_plan`` writes the file for ``--out`` atomically so a reader never sees half a plan.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Plan


def plan_to_json(plan: Plan, *, pretty: bool = True) -> str:
    """Canonical JSON of the plan (indented with a final newline, or compact when not)."""
    return plan.to_pretty_json() if pretty else plan.canonical_json()


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The canonical plan as a JSON-able dict plus its ``content_hash`` (for envelopes)."""
    document = plan.canonical().to_json_dict()
    document["content_hash"] = plan.content_hash()
    return document


def umask_mode(mode: int) -> int:
    """``mode`` as the user's umask would leave it (mkstemp/mkdtemp create 0600/0700)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def write_text_atomic(text: str, path: Path) -> Path:
    """Write ``text`` to ``path`` (temp file, fsync, rename) so a reader — a CI step posting
    a report, ``pulumi`` reading a plan — never sees half a file. Returns ``path``."""
    directory = path.parent
    if not directory.is_dir():
        raise InvalidInputError(f"--out: directory {directory} does not exist")
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; the result is an ordinary file, as the umask would leave it.
        Path(temp_name).chmod(umask_mode(0o666))
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


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
                "max_error_bps": t.max_error_bps,
                "revisions": {r.revision_id: r.applied_weight for r in t.revisions},
            }
            for t in sorted(plan.traffic, key=lambda t: t.deployment_id)
        ],
    }


def plan_summary_json(plan: Plan) -> str:
    return json.dumps(plan_summary(plan), indent=2, sort_keys=True) + "\n"
