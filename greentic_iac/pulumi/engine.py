"""Run ``preview``, ``up``, ``destroy`` and ``drift`` on an environment's stack through the
Pulumi Automation API.

A ``LocalWorkspace`` on the project directory (the one holding ``Pulumi.yaml``, whose
program compiles the environment from the store and emits it), the stack named after the
environment, the backend and secrets provider from ``greentic_iac.pulumi.backend``, the
stack config ``greentic:environment`` plus provider settings, and the store this process
reads handed to the program as ``GREENTIC_HOME`` / ``GREENTIC_STORE``. The stack file may
be committed, so the engine writes no local path into it, and writes nothing at all when
the file already says what the run needs (``reconcile_config``). Progress goes to a
caller-supplied sink line by line; the result is a small summary dict. Every engine
failure becomes one ``EngineError`` line (the engine's first error message), never a
traceback.

This module knows nothing about preflight, baselines or the CLI: the apply verbs
(``greentic_iac.cli.commands.apply``) put the gate in front and record the baseline after.
``pulumi`` is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.pulumi.backend import Backend, resolve_backend
from greentic_iac.pulumi.events import EventCollector, Progress, first_line
from greentic_iac.pulumi.stack_config import provider_config, stack_config_path
from greentic_iac.spec.state import EnvironmentState

# ``preview-destroy``: what ``destroy`` would delete (``pulumi destroy --preview-only``),
# for destroy's confirmation.
Operation = Literal["preview", "up", "destroy", "drift", "preview-destroy"]
OPERATIONS: tuple[Operation, ...] = ("preview", "up", "destroy", "drift", "preview-destroy")

SECRET_MASK = "[secret]"  # noqa: S105 (the mask, not a secret)
# Steps that change nothing; every other count in a summary is a change.
_NO_CHANGE = frozenset({"same", "read", "refresh"})
_ERROR_LINE = re.compile(r"^\s*error:\s*(.+)$", re.MULTILINE)


class EngineError(GreenticError):
    """The Pulumi engine (or the CLI under it) failed; the message is its first error."""

    exit_code = 1


@dataclass(frozen=True)
class StackTarget:
    """Everything the engine needs to address one environment's stack."""

    environment_id: str
    home: Path
    backend: Backend
    # Plaintext stack config (``greentic:*``, ``aws:region``, ...): never secrets.
    config: dict[str, str]
    work_dir: Path
    # Extra environment for the program (``GREENTIC_STORE`` when the store is remote).
    env_vars: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineResult:
    environment_id: str
    operation: Operation
    changes: dict[str, int]
    outputs: dict[str, Any]
    duration_s: float
    # The resource steps as the engine reported them ({"op", "type", "name"}); not part of
    # to_dict (the verbs' results keep their shape).
    resources: tuple[dict[str, str], ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(count > 0 for op, count in self.changes.items() if op not in _NO_CHANGE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment_id": self.environment_id,
            "operation": self.operation,
            "changes": dict(sorted(self.changes.items())),
            "outputs": self.outputs,
            "duration_s": self.duration_s,
        }


HOME_KEY = "greentic:home"
STORE_KEY = "greentic:store"


def stack_config_values(state: EnvironmentState) -> dict[str, str]:
    """``greentic:environment`` and the provider settings of ``state``: values that mean the
    same on every machine (the store travels as environment variables instead)."""
    return {
        "greentic:environment": state.environment.environment_id,
        **provider_config(state),
    }


def default_work_dir(home: Path) -> Path:
    from greentic_iac.pulumi.project import ensure_project, is_checkout_project
    from greentic_iac.resources import project_dir

    packaged = project_dir()
    if is_checkout_project(packaged):
        return packaged
    directory = home / "pulumi" / "project"
    directory.mkdir(parents=True, exist_ok=True)
    ensure_project(directory, portable=False)
    return directory


def stack_target(
    state: EnvironmentState,
    home: Path,
    *,
    store_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    work_dir: Path | None = None,
) -> StackTarget:
    """The stack of ``state``'s environment, with its backend resolved (see backend.py).

    The project is the checkout when greentic-iac runs from one (stack configs land in its
    ``stacks/``); from a wheel it is ``$GREENTIC_HOME/pulumi/project``, written on first
    use, so Pulumi never writes into site-packages.
    """
    env_vars = {"GREENTIC_HOME": str(home.resolve())}
    if store_url:
        env_vars["GREENTIC_STORE"] = store_url
    return StackTarget(
        environment_id=state.environment.environment_id,
        home=home,
        backend=resolve_backend(home, state.config, environ),
        config=stack_config_values(state),
        work_dir=work_dir or default_work_dir(home),
        env_vars=env_vars,
    )


def _stale_store_keys(current: Mapping[str, Any], target: StackTarget) -> list[str]:
    """Store settings in the stack file to drop; raises when they name another store.

    ``greentic:home`` holding this run's home as an absolute path is what earlier greentic-iac
    versions wrote on every `up`: dropped, since ``GREENTIC_HOME`` now says the same. A relative
    one (``stack init``) is kept when it resolves to this run's home. Any other value would
    make the program read a different store from the one this run checked: refused.
    """
    where = f"{stack_config_path(target.environment_id)} in {target.work_dir}"
    stale: list[str] = []
    home = target.home.resolve()
    configured_home = current.get(HOME_KEY)
    if configured_home is not None:
        value = str(getattr(configured_home, "value", configured_home))
        path = Path(value).expanduser()
        if path.is_absolute() and path.resolve() == home:
            stale.append(HOME_KEY)
        elif path.is_absolute() or (target.work_dir / path).resolve() != home:
            raise InvalidInputError(
                f"{HOME_KEY}: {where} says {value!r} but this run uses the home {home}; "
                f"remove the key (pulumi config rm {HOME_KEY} -s {target.environment_id}) "
                "or run with a matching --home"
            )
    configured_store = current.get(STORE_KEY)
    if configured_store is not None:
        value = str(getattr(configured_store, "value", configured_store))
        if value != target.env_vars.get("GREENTIC_STORE"):
            raise InvalidInputError(
                f"{STORE_KEY}: {where} says {value!r} but this run uses "
                f"{target.env_vars.get('GREENTIC_STORE') or 'the local home ' + str(home)}; "
                "run with a matching --store"
            )
    return stale


def config_changes(current: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, str]:
    """The keys of ``wanted`` the stack config lacks or holds with another value."""
    changes: dict[str, str] = {}
    for key, value in wanted.items():
        have = current.get(key)
        if have is None or getattr(have, "secret", False) or getattr(have, "value", have) != value:
            changes[key] = value
    return changes


def reconcile_config(stack: Any, target: StackTarget) -> None:
    """Bring the stack config to what the run needs, touching the file only for a change."""
    from pulumi import automation as auto

    current = stack.get_all_config()
    for key in _stale_store_keys(current, target):
        stack.remove_config(key)
    changes = config_changes(current, target.config)
    if changes:
        stack.set_all_config({key: auto.ConfigValue(value) for key, value in changes.items()})


def _masked_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Stack outputs for the result; secret ones are masked, never printed."""
    return {
        key: SECRET_MASK if getattr(value, "secret", False) else getattr(value, "value", value)
        for key, value in sorted(outputs.items())
    }


def engine_error_message(error: BaseException, collector: EventCollector) -> str:
    """The engine's first error: an error diagnostic, else an ``error:`` line the CLI
    printed, else the first line it printed at all."""
    if collector.first_error:
        return collector.first_error
    text = str(error)
    stderr = text.split(" stderr:", 1)[1] if " stderr:" in text else text
    for source in (stderr, text):
        found = _ERROR_LINE.search(source)
        if found:
            return found.group(1).strip()
    return first_line(stderr) or first_line(text) or type(error).__name__


def _changes(collector: EventCollector, fallback: Mapping[Any, int] | None) -> dict[str, int]:
    if collector.changes is not None:
        return collector.changes
    return {str(getattr(op, "value", op)): int(n) for op, n in (fallback or {}).items()}


def run_operation(
    target: StackTarget,
    operation: Operation,
    progress: Progress,
    *,
    stream_output: bool = False,
) -> EngineResult:
    """Run one operation on ``target``'s stack (selected, or created when new).

    ``progress`` receives one line per resource step, error and summary; with
    ``stream_output`` it also receives the Pulumi CLI's own output lines. Raises
    ``EngineError`` (one line) when the CLI is missing, too old, or the operation fails.
    """
    from pulumi import automation as auto

    started = time.monotonic()
    collector = EventCollector(operation, progress)
    output_tail: deque[str] = deque(maxlen=200)

    def on_output(line: str) -> None:
        output_tail.append(line)
        if stream_output:
            progress(line)

    outputs: dict[str, Any] = {}
    try:
        workspace = auto.LocalWorkspace(
            work_dir=str(target.work_dir),
            env_vars={**target.env_vars, **target.backend.env_vars},
            secrets_provider=target.backend.secrets_provider,
        )
        stack = auto.Stack.create_or_select(target.environment_id, workspace)
        reconcile_config(stack, target)
        fallback: Mapping[Any, int] | None = None
        if operation == "preview":
            fallback = stack.preview(on_output=on_output, on_event=collector).change_summary
        elif operation == "preview-destroy":
            destroying = stack.preview_destroy(on_output=on_output, on_event=collector)
            fallback = destroying.change_summary
        elif operation == "drift":
            refreshed = stack.preview_refresh(on_output=on_output, on_event=collector)
            fallback = refreshed.change_summary
        elif operation == "up":
            up_result = stack.up(on_output=on_output, on_event=collector)
            outputs = _masked_outputs(up_result.outputs)
            fallback = up_result.summary.resource_changes
        else:
            fallback = stack.destroy(
                on_output=on_output, on_event=collector
            ).summary.resource_changes
    except FileNotFoundError as error:
        raise EngineError(
            f"pulumi {operation}: the pulumi CLI is not on PATH ({error.filename or 'pulumi'}); "
            "run without --skip-preflight to see how to install it"
        ) from None
    except auto.InvalidVersionError as error:
        raise EngineError(f"pulumi {operation}: {first_line(str(error))}") from None
    except auto.CommandError as error:
        raise EngineError(
            f"pulumi {operation} failed for {target.environment_id}: "
            f"{engine_error_message(error, collector)}"
        ) from None
    except (RuntimeError, OSError) as error:
        # The API raises plain RuntimeError when the engine never sent a summary, and the
        # CLI's version check can fail to parse; both are engine failures, not bugs of ours.
        raise EngineError(
            f"pulumi {operation} failed for {target.environment_id}: "
            f"{collector.first_error or first_line(str(error)) or type(error).__name__}"
        ) from None
    return EngineResult(
        environment_id=target.environment_id,
        operation=operation,
        changes=_changes(collector, fallback),
        outputs=outputs,
        duration_s=round(time.monotonic() - started, 3),
        resources=tuple(collector.resources),
    )


def stderr_progress(line: str) -> None:
    """The CLI's progress sink: stderr, so stdout stays the JSON envelope."""
    import sys

    sys.stderr.write(line + "\n")
    sys.stderr.flush()
