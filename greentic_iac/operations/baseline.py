"""The applied-plan baseline: the plan snapshot recorded at the last successful apply.

``preview`` diffs the plan an environment compiles to now against it; ``up`` replaces it
after the engine reports success. It lives beside the environment's state under
``$GREENTIC_HOME/environments/<env>/applied-plan.json`` (for an S3 store too: the baseline
is what *this* operator applied, and CI pins it with ``preview --against FILE``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.io import load_plan, write_plan
from greentic_iac.plan.model import Plan
from greentic_iac.spec.ids import validate_environment_id
from greentic_iac.store.atomic import write_atomic

if TYPE_CHECKING:
    from greentic_iac.preview import Baseline

BASELINE_FILE = "applied-plan.json"
# The state generation the applied plan was compiled from: a value an allocation hook
# released at generation G is free again once this is >= G (its old resource is deleted).
APPLIED_GENERATION_FILE = "applied-generation.json"


def baseline_path(home: Path, environment_id: str) -> Path:
    return home / "environments" / validate_environment_id(environment_id) / BASELINE_FILE


def load_baseline(home: Path, environment_id: str) -> Plan | None:
    """The last applied plan, or ``None`` when the environment was never applied."""
    path = baseline_path(home, environment_id)
    if not path.is_file():
        return None
    plan = load_plan(path)
    if plan.environment_id != environment_id:
        raise InvalidInputError(
            f"{path}: baseline belongs to environment {plan.environment_id!r}, "
            f"not {environment_id!r}"
        )
    return plan


def applied_baseline(home: Path, environment_id: str) -> Baseline:
    """The last applied plan as the preview's baseline (empty when never applied)."""
    from greentic_iac.preview import Baseline

    applied = load_baseline(home, environment_id)
    if applied is None:
        return Baseline.empty()
    return Baseline(plan=applied, source="applied", path=str(baseline_path(home, environment_id)))


def save_baseline(home: Path, plan: Plan, generation: int | None = None) -> Path:
    """Record ``plan`` as applied (atomic replace, so a reader never sees half a plan),
    compiled from the state of ``generation`` when given."""
    path = baseline_path(home, plan.environment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = write_plan(plan, path)
    if generation is not None:
        body = json.dumps({"generation": generation}, sort_keys=True) + "\n"
        write_atomic(path.with_name(APPLIED_GENERATION_FILE), body.encode())
    return written


def applied_generation(home: Path, environment_id: str) -> int | None:
    """The state generation of the last applied plan (None: never applied, or unknown)."""
    path = baseline_path(home, environment_id).with_name(APPLIED_GENERATION_FILE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = document.get("generation") if isinstance(document, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
