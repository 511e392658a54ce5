"""``env migrate-state`` (A6) and ``env migrate-dev`` (A4b): legacy layouts and names.

``env migrate-state [ENV] [--check]`` moves the legacy layouts into the current one.

Two legacy layouts exist: the store's own older layout (``store.json`` missing, bare
``environment.json`` documents), which the store migrates by itself on first open, and
the seed's ``state/deploy/<provider>`` tree, which only this verb moves. ``--check``
reports both and changes nothing, which also means the store is read without opening it
(opening it would run its automatic migration). ``env migrate-dev [ENV] [--check]``
renames the legacy ``dev`` environment (see ``operations.dev_migration``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError
from greentic_iac.operations import legacy_state
from greentic_iac.spec import Environment, EnvironmentState, validate_environment_id
from greentic_iac.store.migrations import (
    LEGACY_ENVIRONMENT_FILE,
    MigrationReport,
    check_migration,
)

VERB = "env migrate-state"


def migrate_state(ctx: Context, _: None) -> dict[str, Any]:
    if ctx.store_url:
        raise InvalidInputError(
            "--store: env migrate-state moves the legacy layouts of a local home; run it "
            "without --store (and GREENTIC_STORE unset)"
        )
    only = (
        validate_environment_id(ctx.args.environment_id)
        if ctx.args.environment_id is not None
        else None
    )
    home = ctx.greentic_home
    if ctx.args.check:
        layout = check_migration(home)
        plan = legacy_state.plan_legacy_migration(
            home, lambda e: _existing_without_opening(home, e, layout), only
        )
        return _result(plan, layout, check=True)
    from greentic_iac.store import LocalFileStore

    store = ctx.store
    layout = (
        store.ensure_layout()
        if isinstance(store, LocalFileStore)
        else MigrationReport(from_schema=1, to_schema=1)
    )

    def existing(environment_id: str) -> Environment | None:
        return store.load(environment_id).environment if store.exists(environment_id) else None

    plan = legacy_state.plan_legacy_migration(home, existing, only)
    for entry in plan.entries:
        _migrate_entry(
            ctx, home, entry, [s for s in plan.steps if s.startswith(str(entry.directory))]
        )
    legacy_state.finish(plan)
    return _result(plan, layout, check=False)


def _migrate_entry(
    ctx: Context, home: Path, entry: legacy_state.LegacyEnvironment, steps: list[str]
) -> None:
    """One environment's part of the tree, as one audited transaction behind the grant."""
    payload = {"provider": entry.provider, "steps": steps}
    store = ctx.store
    if not store.exists(entry.environment_id):
        # As env create: the deployer's hook checks and allocates before the state lands.
        state = ctx.allocated(lambda s: (s, {}))(legacy_state.new_state(entry))[0]
        store.create(state, verb=VERB, payload=payload)
        legacy_state.move_baseline(home, entry)
        return

    def move(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
        # Under the environment's lock, after the grant: the baseline is its document.
        legacy_state.move_baseline(home, entry)
        return state, {"environment_id": state.environment.environment_id, "steps": steps}

    store.mutate(entry.environment_id, move, verb=VERB, payload=payload)


def _existing_without_opening(
    home: Path, environment_id: str, layout: MigrationReport
) -> Environment | None:
    """What the store holds for ``environment_id``, read from its files (for ``--check``)."""
    from greentic_iac.store.codec import decode_state

    directory = home / "environments" / environment_id
    state_file = directory / "state.json"
    if state_file.is_file():
        return decode_state(state_file.read_bytes())[0].environment
    legacy = directory / LEGACY_ENVIRONMENT_FILE
    if layout.migrated and legacy.is_file():
        return legacy_state.read_environment(legacy)
    return None


def _result(
    plan: legacy_state.LegacyPlan, layout: MigrationReport, *, check: bool
) -> dict[str, Any]:
    return {
        "check": check,
        "clean": plan.clean and not layout.migrated,
        "store_layout": {
            "from_schema": layout.from_schema,
            "to_schema": layout.to_schema,
            "migrated" if not check else "needs_migration": layout.migrated,
            "steps": layout.steps,
        },
        "legacy_tree": str(plan.root),
        "environments": [
            {"environment_id": e.environment_id, "provider": e.provider} for e in plan.entries
        ],
        "steps": plan.steps,
        "not_asked_for": plan.notes,
    }


def migrate_dev(ctx: Context, _: None) -> dict[str, Any]:
    """``env migrate-dev [ENV] [--check]``: ``dev`` -> ENV (default ``local``), or an alias."""
    from dataclasses import asdict

    from greentic_iac.local.runtime import is_running
    from greentic_iac.operations import dev_migration as dev

    if ctx.store_url:
        raise InvalidInputError(
            "--store: env migrate-dev migrates a local home; run it without --store"
        )
    target = validate_environment_id(ctx.args.environment_id)
    if target == dev.LEGACY_NAME:
        raise InvalidInputError("environment_id: the target of env migrate-dev cannot be 'dev'")
    home = ctx.greentic_home
    dev_dir = home / "environments" / dev.LEGACY_NAME
    findings = dev.scan(home, target, dev_running=dev_dir.is_dir() and is_running(dev_dir))
    blocking = [f for f in findings if f.blocking]
    movable = [f for f in findings if f.kind in ("environment", "secrets")]
    result: dict[str, Any] = {
        "check": bool(ctx.args.check),
        "from_env": dev.LEGACY_NAME,
        "to_env": target,
        "clean": not findings,
        "safe": not blocking,
        "findings": dev.findings_json(findings),
    }
    if not movable:
        alias = dev.read_alias(home)
        return {**result, "outcome": "clean", "alias": asdict(alias) if alias else None}
    if ctx.args.check:
        return {**result, "outcome": "would-alias" if blocking else "would-migrate", "alias": None}
    if blocking:
        alias = dev.Alias(dev.LEGACY_NAME, dev.LEGACY_NAME, blocking[0].detail, dev.now_text())
        dev.write_alias(home, alias)
        if (dev_dir / "state.json").is_file():
            ctx.store.record(
                dev.LEGACY_NAME, "env migrate-dev", {"outcome": "aliased", "reason": alias.reason}
            )
        return {**result, "outcome": "aliased", "alias": asdict(alias)}
    steps = _rename_dev(ctx, home, target, has_state=(dev_dir / "state.json").is_file())
    alias = dev.Alias(dev.LEGACY_NAME, target, "migrated by env migrate-dev", dev.now_text())
    dev.write_alias(home, alias)
    return {**result, "outcome": "migrated", "steps": steps, "alias": asdict(alias)}


def _rename_dev(ctx: Context, home: Path, target: str, *, has_state: bool) -> list[str]:
    """Create ``target`` from ``dev``, move its dev-store files, then remove ``dev``."""
    from greentic_iac.operations import dev_migration as dev

    steps: list[str] = []
    store = ctx.store
    if has_state:
        # Removing 'dev' is a mutation of a non-local environment: its grant is asked (and
        # a denial audited) by a first transaction on it, before anything is created.
        store.mutate(
            dev.LEGACY_NAME,
            lambda state: (state, {"migrating_to": target}),
            verb="env migrate-dev",
            payload={"to_env": target},
        )
        data = store.load(dev.LEGACY_NAME).model_dump(mode="json")
        data["environment"]["environment_id"] = target
        data["generation"] = 0
        renamed = ctx.allocated(lambda s: (s, {}))(EnvironmentState.model_validate(data))[0]
        store.create(
            renamed,
            verb="env migrate-dev",
            payload={"from_env": dev.LEGACY_NAME},
        )
        steps.append(f"environment {dev.LEGACY_NAME} -> {target}")
    steps += dev.rename_secret_files(home, target)
    if has_state:
        store.remove(dev.LEGACY_NAME, verb="env migrate-dev")
        steps.append(f"environment {dev.LEGACY_NAME} removed (its backups and audit log stay)")
    return steps
