"""Listener-rule priority bands, and the priorities the v1 compiler chose (for the migration).

ALB evaluates rules by priority, lowest first, and the first match wins. One precedence for
every target (Gateway API's): an exact host before a wildcard host, then the longer path
prefix first. Bands carry it: specificity ``(exact host ? 9 : 0) + min(path depth, 8)``
picks one of 18 bands, the most specific lowest. Pinned rules (the revision header) come
before every weighted rule and are banded the same way inside their range.

v1 computed priorities on every compile (hash of the id, probe on collision) and ordered
path depth before host; ``legacy_priorities`` reproduces that exactly so the v1 -> v2
migration can keep every live rule where it is.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Final

from pydantic import ValidationError

from greentic_iac.spec import EnvironmentState, RevisionLifecycle, RouteBinding
from greentic_iac.targets.aws_ecs.settings import AwsEcsSettings, merged_service_settings

# ELBv2 priorities are 1-50000.
PIN_BASE: Final = 1
PIN_SLOTS: Final = 5000
PIN_BAND: Final = 277  # 18 bands inside 1-5000
ROUTE_BASE: Final = 5001
ROUTE_BAND: Final = 2500
ROUTE_BANDS: Final = 18
MAX_PATH_DEPTH: Final = 8


def path_depth(prefix: str) -> int:
    return len([p for p in prefix.split("/") if p])


def specificity(route: RouteBinding) -> int:
    """0 (wildcard host, path /) to 17 (exact host, 8 or more path segments)."""
    exact = 0 if route.host.startswith("*.") else MAX_PATH_DEPTH + 1
    return exact + min(path_depth(route.path_prefix), MAX_PATH_DEPTH)


def weighted_band(route: RouteBinding) -> tuple[int, int]:
    """The inclusive priority range of a deployment's weighted rule."""
    band = ROUTE_BANDS - 1 - specificity(route)
    low = ROUTE_BASE + band * ROUTE_BAND
    return low, low + ROUTE_BAND - 1


def pinned_band(route: RouteBinding) -> tuple[int, int]:
    """The inclusive priority range of a revision's header-pinned rule."""
    band = ROUTE_BANDS - 1 - specificity(route)
    low = PIN_BASE + band * PIN_BAND
    return low, low + PIN_BAND - 1


# --- v1 (greentic.environment-state.v1) ----------------------------------------------------


def _hash_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _probe(key: str, base: int, slots: int, used: set[int]) -> int | None:
    start = _hash_int(key) % slots
    for step in range(slots):
        candidate = base + (start + step) % slots
        if candidate not in used:
            used.add(candidate)
            return candidate
    return None


def _v1_band(route: RouteBinding) -> int:
    depth = min(path_depth(route.path_prefix), MAX_PATH_DEPTH)
    return ROUTE_BANDS - 1 - (depth * 2 + (0 if route.host.startswith("*.") else 1))


def legacy_priorities(state: EnvironmentState, settings: AwsEcsSettings) -> dict[str, int]:
    """owner (deployment or revision id) -> the priority the v1 compiler gave its rule.

    Walks exactly as v1's compile did (deployments by id, their live revisions by sequence,
    pinned rules before the deployment's weighted rule, one probe set for both) and skips
    what v1 skipped (invalid settings, a conflicting or too long route, no image).
    """
    used: set[int] = set()
    found: dict[str, int] = {}
    by_deployment: dict[str, list[str]] = defaultdict(list)
    for revision in sorted(state.revisions.values(), key=lambda r: r.sequence):
        if revision.lifecycle != RevisionLifecycle.ARCHIVED:
            by_deployment[revision.deployment_id].append(revision.revision_id)
    seen_routes: set[tuple[str, str]] = set()
    for deployment in state.active_deployments():
        try:
            base = merged_service_settings(settings.service, deployment.settings)
        except ValidationError:
            continue
        route = deployment.route_binding
        key = (route.host, route.path_prefix.rstrip("/") or "/")
        if key in seen_routes:
            continue
        seen_routes.add(key)
        prefix = route.path_prefix.rstrip("/")
        if len(route.host) > 128 or len(prefix) + 2 > 128:
            continue
        for revision_id in by_deployment.get(deployment.deployment_id, []):
            revision = state.revisions[revision_id]
            try:
                merged = merged_service_settings(base, revision.settings)
            except ValidationError:
                continue
            if revision.image is None and merged.image_repository is None:
                continue
            value = _probe(revision_id, PIN_BASE, PIN_SLOTS, used)
            if value is not None:
                found[revision_id] = value
        band = _v1_band(route)
        value = _probe(deployment.deployment_id, ROUTE_BASE + band * ROUTE_BAND, ROUTE_BAND, used)
        if value is not None:
            found[deployment.deployment_id] = value
    return found
