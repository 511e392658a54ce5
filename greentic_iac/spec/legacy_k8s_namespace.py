"""Keep environments created before per-environment namespaces where they are.

Before state schema v2 an environment whose deployer settings left ``namespace`` unset
deployed into ``greentic-<tenant>``; now the default is ``greentic-<tenant>-<env>``. A
changed namespace replaces every object of the environment, so the state migration pins
the old name explicitly in the settings instead: such an environment compiles to exactly
the plan it had (same namespace, still the Namespace's owner) and only a deliberate
settings change moves it. ``pin_legacy_k8s_namespace`` is that migration step, a pure
function of the stored JSON document (the migration runs before any model validates it).
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any, Final

K8S_DEPLOYER: Final = "greentic.deployer.k8s"
_UNSAFE = re.compile(r"[^a-z0-9-]+")
_MAX_LABEL: Final = 63
_HASH_LENGTH: Final = 8


def legacy_namespace(tenant: str) -> str:
    """``greentic-<tenant>`` exactly as v1 computed it (``plan.names.logical_name``)."""
    natural = "-".join(_UNSAFE.sub("-", part.lower()).strip("-") for part in ("greentic", tenant))
    if len(natural) <= _MAX_LABEL:
        return natural
    digest = hashlib.sha256(natural.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{natural[: _MAX_LABEL - _HASH_LENGTH - 1].rstrip('-')}-{digest}"


def _is_k8s(binding: Any) -> bool:
    kind = binding.get("kind") if isinstance(binding, dict) else None
    return isinstance(kind, str) and kind.split("@", 1)[0] == K8S_DEPLOYER


def _pin(settings: Any, name: str) -> None:
    if isinstance(settings, dict) and settings.get("namespace") is None:
        settings["namespace"] = name


def pin_legacy_k8s_namespace(state_document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a v1 environment-state document with the k8s namespace made explicit.

    Only a ``greentic.deployer.k8s`` deployer binding whose ``settings.namespace`` is unset
    (or null) changes: it gets ``greentic-<tenant>``, in the binding and in the snapshot
    kept for one-step rollback (a rollback must not move the environment either).
    Everything else, including a configured namespace, is left as it is; applying it twice
    gives the same document.
    """
    document = copy.deepcopy(state_document)
    environment = document.get("environment")
    if not isinstance(environment, dict):
        return document
    tenant_ctx = environment.get("tenant")
    tenant = tenant_ctx.get("tenant") if isinstance(tenant_ctx, dict) else None
    name = legacy_namespace(tenant if isinstance(tenant, str) else "local-dev")
    for pack in environment.get("packs") or []:
        if not isinstance(pack, dict) or pack.get("slot") != "deployer":
            continue
        if _is_k8s(pack):
            _pin(pack.setdefault("settings", {}), name)
        previous = pack.get("previous")
        if isinstance(previous, dict) and _is_k8s(previous):
            _pin(previous.setdefault("settings", {}), name)
    return document


__all__ = ["legacy_namespace", "pin_legacy_k8s_namespace"]
