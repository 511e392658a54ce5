"""The applied-plan baseline: the plan snapshot recorded at the last successful apply.

``preview`` diffs the plan an environment compiles to now against it; ``up`` replaces it
after the engine reports success. It lives beside the environment's state under
``$GREENTIC_HOME/environments/<env>/applied-plan.json`` (for an S3 store too: the baseline
is what *this* operator applied, and CI pins it with ``preview --against FILE``).
"""

from __future__ import annotations

from pathlib import Path

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.io import load_plan, write_plan
from greentic_iac.plan.model import Plan
from greentic_iac.spec.ids import validate_environment_id

BASELINE_FILE = "applied-plan.json"


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


def save_baseline(home: Path, plan: Plan) -> Path:
    """Record ``plan`` as applied (atomic replace, so a reader never sees half a plan)."""
    path = baseline_path(home, plan.environment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_plan(plan, path)
