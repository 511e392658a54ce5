"""The Pulumi program behind ``Pulumi.yaml``: stack name -> environment -> compile -> emit.

This is the one place that needs the store, the env-pack registry, the targets and the
emitter together, so it sits outside the import-linter layers (``greentic_iac.pulumi``
itself depends only on ``plan`` and ``spec``). ``Pulumi.yaml`` points ``main`` at this
directory; Pulumi runs ``__main__.py``, which calls ``run()``. Every step before ``run``
is a plain function, testable without a Pulumi engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from greentic_iac.operations.planning import compile_environment, compiler_for
from greentic_iac.spec.ids import validate_environment_id
from greentic_iac.spec.state import EnvironmentState

__all__ = [
    "compile_environment",
    "compiler_for",
    "environment_id_for_stack",
    "greentic_home",
    "load_environment",
    "run",
    "store_url",
]

CONFIG_NAMESPACE = "greentic"
HOME_VARIABLE = "GREENTIC_HOME"
STORE_VARIABLE = "GREENTIC_STORE"


def environment_id_for_stack(stack: str, configured: str | None = None) -> str:
    """The stack's environment: stack config ``greentic:environment`` or the stack name.

    A fully qualified stack (``org/project/prod-eu``) uses its last segment.
    """
    return validate_environment_id(configured or stack.rsplit("/", 1)[-1])


def greentic_home(
    configured: str | None,
    environ: Mapping[str, str] = os.environ,
    project_root: Path | None = None,
) -> Path | None:
    """``greentic:home`` from the stack config, else ``GREENTIC_HOME``, else the store's default.

    A relative ``greentic:home`` is relative to the project (the directory holding
    ``Pulumi.yaml``), so a committed stack file finds the repository's store on any machine.
    """
    if configured:
        path = Path(configured).expanduser()
        if not path.is_absolute():
            path = (project_root or Path.cwd()) / path
        return path
    value = environ.get(HOME_VARIABLE)
    return Path(value).expanduser() if value else None


def store_url(configured: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """``greentic:store`` from the stack config, else ``GREENTIC_STORE`` (None: the home)."""
    return configured or environ.get(STORE_VARIABLE) or None


def load_environment(
    environment_id: str, home: Path | None, store: str | None = None
) -> EnvironmentState:
    from greentic_iac.store import open_store

    opened = open_store(store, home=home)
    state: EnvironmentState = opened.load(environment_id)
    return state


def run() -> None:
    """The body of the Pulumi program (runs inside ``pulumi up`` / ``pulumi preview``)."""
    import pulumi

    from greentic_iac.pulumi.emitter import emit

    config = pulumi.Config(CONFIG_NAMESPACE)
    environment_id = environment_id_for_stack(pulumi.get_stack(), config.get("environment"))
    root = Path(pulumi.get_root_directory())
    home = greentic_home(config.get("home"), project_root=root)
    state = load_environment(environment_id, home, store_url(config.get("store")))
    emit(compile_environment(state))
