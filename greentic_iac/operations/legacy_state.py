"""``env migrate-state``: the seed's legacy ``state/deploy/<provider>`` tree, moved once (A6).

The seed's deployer kept, per provider, one directory per environment under
``$GREENTIC_HOME/state/deploy/<provider>/<env>/``. Two documents there mean something to
greentic-iac, and each has one place in the current layout:

- ``environment.json``, a bare ``Environment`` (the seed's ``previous_binding_ref``
  accepted): it becomes the environment's state, created through the store (a transaction,
  audited, behind the grant), unless the store already holds that environment, which is
  a conflict unless the two are the same;
- ``applied-plan.json``, the plan last applied: it becomes the environment's baseline
  (``environments/<env>/applied-plan.json``), unless one is there already, which is a
  conflict unless the bytes are the same.

Anything else in the tree (another file, a directory name that is no environment id) is
not guessed at: the whole migration is refused before anything moves, naming the first
such path. Reading half-old, half-new state would hide exactly the bugs A6 is about, so
after moving, the tree must be empty, or the verb fails loudly naming what is left.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from greentic_iac.errors import ConflictError, InvalidInputError, StateCorruptError
from greentic_iac.operations.baseline import BASELINE_FILE, baseline_path
from greentic_iac.plan.io import load_plan
from greentic_iac.spec import (
    Environment,
    EnvironmentState,
    format_validation_error,
    validate_environment_id,
)
from greentic_iac.store.migrations import MigrationReport, accept_previous_binding_refs

LEGACY_TREE: Final = Path("state") / "deploy"
ENVIRONMENT_FILE: Final = "environment.json"
KNOWN_FILES: Final = frozenset({ENVIRONMENT_FILE, BASELINE_FILE})


@dataclass
class LegacyEnvironment:
    provider: str
    environment_id: str
    directory: Path
    environment: Environment | None = None
    baseline: Path | None = None


@dataclass
class LegacyPlan:
    """What ``migrate-state`` would do: the steps, and the environments it touches."""

    root: Path
    entries: list[LegacyEnvironment] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.entries


def legacy_root(home: Path) -> Path:
    return home / LEGACY_TREE


def plan_legacy_migration(
    home: Path, existing: Callable[[str], Environment | None], only: str | None = None
) -> LegacyPlan:
    """Read the legacy tree and decide every step; raise before anything would move.

    ``existing(environment_id)`` is what the store holds for an id of the tree (None:
    nothing). ``only`` limits the plan to one environment id.
    """
    root = legacy_root(home)
    plan = LegacyPlan(root=root)
    if not root.exists():
        return plan
    for provider_dir in sorted(root.iterdir()):
        if not provider_dir.is_dir():
            raise StateCorruptError(f"{provider_dir}: not a provider directory; move it by hand")
        for env_dir in sorted(provider_dir.iterdir()):
            entry = _read_entry(provider_dir.name, env_dir)
            if only is not None and entry.environment_id != only:
                plan.notes.append(f"{env_dir}: environment {entry.environment_id} (not asked for)")
                continue
            _plan_entry(home, entry, existing(entry.environment_id), plan)
            plan.entries.append(entry)
    ids = [e.environment_id for e in plan.entries]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConflictError(
            f"{root}: environment {twice[0]} is there under more than one provider; keep one"
        )
    return plan


def _read_entry(provider: str, env_dir: Path) -> LegacyEnvironment:
    try:
        environment_id = validate_environment_id(env_dir.name)
    except InvalidInputError:
        raise StateCorruptError(
            f"{env_dir}: {env_dir.name!r} is not an environment id; move it by hand"
        ) from None
    if not env_dir.is_dir():
        raise StateCorruptError(f"{env_dir}: not an environment directory; move it by hand")
    entry = LegacyEnvironment(provider, environment_id, env_dir)
    for path in sorted(env_dir.rglob("*")):
        if path.is_dir() or path.parent != env_dir or path.name not in KNOWN_FILES:
            if path.is_dir() and any(path.iterdir()):
                continue  # its files are reported on their own
            raise StateCorruptError(
                f"{path}: greentic-iac does not know where this legacy file belongs; "
                "move or delete it by hand, then run env migrate-state again"
            )
    if (env_dir / ENVIRONMENT_FILE).is_file():
        entry.environment = _read_environment(env_dir / ENVIRONMENT_FILE)
        if entry.environment.environment_id != environment_id:
            raise StateCorruptError(
                f"{env_dir / ENVIRONMENT_FILE}: environment_id "
                f"{entry.environment.environment_id!r} differs from its directory"
            )
    if (env_dir / BASELINE_FILE).is_file():
        baseline = load_plan(env_dir / BASELINE_FILE)
        if baseline.environment_id != environment_id:
            raise StateCorruptError(
                f"{env_dir / BASELINE_FILE}: plan of environment {baseline.environment_id!r}"
            )
        entry.baseline = env_dir / BASELINE_FILE
    return entry


def read_environment(path: Path) -> Environment:
    """A bare seed ``Environment`` document (``previous_binding_ref`` accepted)."""
    return _read_environment(path)


def _read_environment(path: Path) -> Environment:
    report = MigrationReport(from_schema=0, to_schema=0)
    try:
        document: Any = json.loads(path.read_bytes())
        if isinstance(document, dict):
            accept_previous_binding_refs(document, path.parent, path, report)
        return Environment.model_validate(document)
    except ValidationError as exc:
        raise StateCorruptError(format_validation_error(exc, prefix=f"{path}: ")) from None
    except (OSError, ValueError) as exc:
        raise StateCorruptError(f"{path}: cannot read: {exc}") from None


def _plan_entry(
    home: Path, entry: LegacyEnvironment, current: Environment | None, plan: LegacyPlan
) -> None:
    where = f"{entry.directory} ({entry.provider})"
    if entry.environment is not None:
        if current is None:
            plan.steps.append(f"{where}: {ENVIRONMENT_FILE} -> environment {entry.environment_id}")
        elif current == entry.environment:
            plan.steps.append(
                f"{where}: {ENVIRONMENT_FILE} is already environment {entry.environment_id}; drop"
            )
        else:
            raise ConflictError(
                f"{entry.directory / ENVIRONMENT_FILE}: environment {entry.environment_id} "
                "already exists and differs; compare them (env show) and remove one"
            )
    if entry.baseline is not None:
        target = baseline_path(home, entry.environment_id)
        if not target.exists():
            plan.steps.append(f"{where}: {BASELINE_FILE} -> {target}")
        elif target.read_bytes() == entry.baseline.read_bytes():
            plan.steps.append(f"{where}: {BASELINE_FILE} is already {target}; drop")
        else:
            raise ConflictError(
                f"{entry.baseline}: {target} exists and differs; keep one of them by hand"
            )
    if entry.environment is None and current is None and entry.baseline is not None:
        raise ConflictError(
            f"{entry.baseline}: environment {entry.environment_id} does not exist, so its "
            "baseline has no owner; create the environment first"
        )


def new_state(entry: LegacyEnvironment) -> EnvironmentState:
    assert entry.environment is not None
    return EnvironmentState(environment=entry.environment)


def move_baseline(home: Path, entry: LegacyEnvironment) -> None:
    """The baseline into place (or dropped when the same bytes are there already)."""
    if entry.baseline is None:
        return
    target = baseline_path(home, entry.environment_id)
    if target.exists():
        entry.baseline.unlink()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(entry.baseline), str(target))


def finish(plan: LegacyPlan) -> None:
    """Remove what was moved out of the tree; fail loudly on anything that is left."""
    for entry in plan.entries:
        environment_file = entry.directory / ENVIRONMENT_FILE
        if entry.environment is not None and environment_file.exists():
            environment_file.unlink()
        _remove_empty(entry.directory)
        _remove_empty(entry.directory.parent)
    if plan.notes:
        return  # other environments were not asked for: their part of the tree stays
    left = sorted(p for p in plan.root.rglob("*") if p.is_file()) if plan.root.exists() else []
    if left:
        raise StateCorruptError(f"{left[0]}: still present after env migrate-state; refusing")
    _remove_empty(plan.root)
    _remove_empty(plan.root.parent)


def _remove_empty(directory: Path) -> None:
    # Not empty, or already gone: finish() reports whatever is left.
    with contextlib.suppress(OSError):
        directory.rmdir()
