"""The local runtime: real revision processes behind a real weighted router (issue #11).

The applier of the local target. ``write_runtime_config`` materialises the environment's
``RuntimeConfig``; ``start_runtime`` starts a supervisor that runs one process per live
revision and an aiohttp router on 127.0.0.1 that splits traffic by basis points and
picks up split changes by generation. Exports resolve lazily so the per-revision app
process (``python -m greentic_iac.local app``) does not import the supervisor.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from greentic_iac.local.config_io import read_runtime_config, write_runtime_config
    from greentic_iac.local.layout import DEFAULT_ROUTER_PORT, RuntimeLayout
    from greentic_iac.local.runtime import (
        RuntimeHandle,
        is_running,
        log_paths,
        metrics_text,
        reload,
        runtime_status,
        start_runtime,
        stop_runtime,
        wait_until_drained,
        wait_until_healthy,
        wait_until_stopped,
    )

_EXPORTS = {
    "read_runtime_config": "greentic_iac.local.config_io",
    "write_runtime_config": "greentic_iac.local.config_io",
    "DEFAULT_ROUTER_PORT": "greentic_iac.local.layout",
    "RuntimeLayout": "greentic_iac.local.layout",
    "RuntimeHandle": "greentic_iac.local.runtime",
    "is_running": "greentic_iac.local.runtime",
    "log_paths": "greentic_iac.local.runtime",
    "metrics_text": "greentic_iac.local.runtime",
    "reload": "greentic_iac.local.runtime",
    "runtime_status": "greentic_iac.local.runtime",
    "start_runtime": "greentic_iac.local.runtime",
    "stop_runtime": "greentic_iac.local.runtime",
    "wait_until_drained": "greentic_iac.local.runtime",
    "wait_until_healthy": "greentic_iac.local.runtime",
    "wait_until_stopped": "greentic_iac.local.runtime",
}

__all__ = [
    "DEFAULT_ROUTER_PORT",
    "RuntimeHandle",
    "RuntimeLayout",
    "is_running",
    "log_paths",
    "metrics_text",
    "read_runtime_config",
    "reload",
    "runtime_status",
    "start_runtime",
    "stop_runtime",
    "wait_until_drained",
    "wait_until_healthy",
    "wait_until_stopped",
    "write_runtime_config",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'greentic_iac.local' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
