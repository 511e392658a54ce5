"""Target compilers: pure functions from an environment state to a Plan.

A deployer env-pack names its compiler by import path (``"module:function"``) in its
manifest, so ``envpacks`` never imports ``targets``; ``load_compiler`` turns that path into
the function. ``context_tags`` is the tenant/deployment context every target copies onto
its resources as tags or labels (seed 004 §3).
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Compiler
from greentic_iac.spec.state import EnvironmentState

_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_LABEL_VALUE_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def load_compiler(import_path: str) -> Compiler:
    """``load_compiler("greentic_iac.targets.example:compile_plan")`` -> the function.

    Raises ``InvalidInputError`` naming the path when it is malformed, its module can't be
    imported or the attribute is missing or not callable.
    """
    if not _IMPORT_PATH.fullmatch(import_path):
        raise InvalidInputError(
            f"compiler: {import_path!r} is not an import path of the form 'module:function'"
        )
    module_name, attribute = import_path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidInputError(
            f"compiler: {import_path!r} can't be imported ({exc.__class__.__name__}: {exc})"
        ) from None
    compiler = getattr(module, attribute, None)
    if not callable(compiler):
        raise InvalidInputError(f"compiler: {import_path!r} is not a callable in {module_name}")
    loaded: Compiler = compiler
    return loaded


@lru_cache(maxsize=4096)
def _label_value(value: str) -> str:
    # Kubernetes label values: <= 63 chars of [A-Za-z0-9._-], alphanumeric at both ends;
    # AWS tags accept the same set, so one form serves both.
    return _LABEL_VALUE_UNSAFE.sub("-", value)[:63].strip("-._")


def context_tags(
    state: EnvironmentState,
    *,
    deployment_id: str | None = None,
    revision_id: str | None = None,
    prefix: str = "greentic.ai/",
) -> dict[str, str]:
    """Tenant and deployment context plus the ids, as tags/labels (sorted keys, no empties).

    Kubernetes targets use the default ``greentic.ai/`` prefix (a label-key prefix); AWS
    targets may pass ``prefix="greentic:"``.
    """
    environment = state.environment
    raw = {
        "environment": environment.environment_id,
        "tenant": environment.tenant.tenant,
        "team": environment.tenant.team,
        "cloud": environment.deployment.cloud.value,
        "region": environment.deployment.region,
        "platform": environment.deployment.platform.value,
        "deployment": deployment_id,
        "revision": revision_id,
    }
    return {
        f"{prefix}{key}": _label_value(value)
        for key, value in sorted(raw.items())
        if value and _label_value(value)
    }
