"""Which config keys are greentic-iac's own and which reach a workload, and how they merge.

``config set`` holds two kinds of key. The tool's own settings live in reserved namespaces
(``pulumi.``: the state backend and secrets provider the engine uses) and never reach a
workload on any target. Every other key is application config: it must be a valid
environment variable name, because every target delivers it as one (ECS container
environment, a Kubernetes ConfigMap through ``envFrom``, the local process environment),
and it may not take a name the targets set themselves (``PORT``, ``GREENTIC_*``: the
revision's identity). A deployment's key overrides the environment's key of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

# Namespaces greentic-iac reads itself (greentic_iac.pulumi.backend); never a workload's.
TOOL_KEY_PREFIXES: Final = ("pulumi.",)
ENV_NAME_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
_ENV_NAME: Final = re.compile(ENV_NAME_PATTERN)
# What the targets set on every revision; a config key can't replace the identity.
RESERVED_NAMES: Final = frozenset({"PORT"})
RESERVED_PREFIXES: Final = ("GREENTIC_",)


def is_tool_key(key: str) -> bool:
    return key.startswith(TOOL_KEY_PREFIXES)


def key_problem(key: str, *, per_deployment: bool) -> str | None:
    """Why ``key`` can't be set (a sentence for ``key: ...``), or None when it can."""
    if is_tool_key(key):
        if per_deployment:
            return f"{key!r} is a greentic-iac setting of the environment, not of a deployment"
        return None
    if not _ENV_NAME.fullmatch(key):
        return (
            f"{key!r} is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*): "
            "application config reaches every workload as one; greentic-iac's own settings "
            f"use the {', '.join(TOOL_KEY_PREFIXES)} namespace"
        )
    if key.upper() in RESERVED_NAMES or key.upper().startswith(RESERVED_PREFIXES):
        return f"{key!r} is set by greentic-iac on every revision (PORT, GREENTIC_*)"
    return None


def workload_config(
    environment: Mapping[str, str], deployment: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The application config one deployment's revisions get, sorted by name: the
    environment's keys, overridden by the deployment's, without the tool's own keys (or a
    key an older state holds that no workload can take as a variable)."""
    merged = {**environment, **deployment}
    return sorted(
        (key, value)
        for key, value in merged.items()
        if not is_tool_key(key) and key_problem(key, per_deployment=False) is None
    )
