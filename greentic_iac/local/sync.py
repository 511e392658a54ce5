"""Keep a running local runtime in step with the environment's state.

The CLI's lifecycle verbs change the state through the store; the runtime only reads
``runtime-config.json``. This module is the one place that turns a state into that file
and tells a running supervisor to apply it at once, so ``local up``, ``traffic set`` and
the revision verbs cannot disagree on what the runtime should run. When no runtime runs,
nothing is written: the next ``local up`` materialises the config from the store.
"""

from __future__ import annotations

from pathlib import Path

from greentic_iac.errors import NotFoundError
from greentic_iac.local.config_io import write_runtime_config
from greentic_iac.local.runtime import is_running, reload
from greentic_iac.spec import EnvironmentState, RuntimeConfig, runtime_config_from_state

LOCAL_DEPLOYER = "greentic.deployer.local-process"


def environment_dir(home: Path, environment_id: str) -> Path:
    """Where the runtime of ``environment_id`` keeps its files (beside the local store's)."""
    return home / "environments" / environment_id


def uses_local_runtime(state: EnvironmentState) -> bool:
    deployer = state.environment.deployer()
    return deployer is not None and deployer.kind.path == LOCAL_DEPLOYER


def materialise(env_dir: Path, state: EnvironmentState) -> RuntimeConfig:
    """Write ``runtime-config.json`` for ``state`` (validated, atomic); returns the config."""
    config = runtime_config_from_state(state)
    write_runtime_config(env_dir, config)
    return config


def push_state(env_dir: Path, state: EnvironmentState) -> int | None:
    """If the runtime of ``env_dir`` is up: write the config and apply it now.

    Returns the generation the router applied, or None when no runtime runs (or it went
    down meanwhile). A state without the local deployer is never pushed.
    """
    if not uses_local_runtime(state) or not is_running(env_dir):
        return None
    materialise(env_dir, state)
    try:
        return reload(env_dir)
    except NotFoundError:
        return None
