"""Golden-case inputs: environment states built from the spec models with fixed ids/times.

Each case is a function returning an ``EnvironmentState``; ``golden/<case>.json`` holds that
state and the plan the compiler makes from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from greentic_iac.spec import EnvironmentState, RevisionLifecycle

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
PROJECT = "acme-prod-123"
REPOSITORY = "europe-west1-docker.pkg.dev/acme-prod-123/greentic/app"
SECRET = "projects/acme-prod-123/secrets/db-url/versions/3"
API_KEY = "projects/acme-prod-123/secrets/api-key"


def deployment_id(n: int) -> str:
    return f"01J9DEP{n:019d}"


def revision_id(deployment: int, n: int) -> str:
    return f"01J9REV{deployment:09d}{n:010d}"


def digest(deployment: int, n: int) -> str:
    return "sha256:" + f"{deployment:02d}{n:02d}" * 16


def base_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "project": PROJECT,
        "region": "europe-west1",
        "service": {"image_repository": REPOSITORY},
    }
    settings.update(overrides)
    return settings


def state_with(
    settings: dict[str, Any],
    deployments: list[dict[str, Any]],
    *,
    environment_id: str = "prod-gcp",
) -> EnvironmentState:
    """``deployments``: dicts with n, host, path, settings, and revisions as
    ``(lifecycle, weight_bps, revision settings)`` tuples (weight None: not in the split)."""
    doc: dict[str, Any] = {
        "environment": {
            "environment_id": environment_id,
            "tenant": {"tenant": "acme", "team": "payments"},
            "deployment": {"cloud": "gcp", "region": "europe-west1"},
            "packs": [
                {
                    "slot": "deployer",
                    "kind": "greentic.deployer.cloud-run@1.0.0",
                    "pack_ref": "pypi:greentic-iac-gcp",
                    "settings": settings,
                }
            ],
        },
        "deployments": {},
        "revisions": {},
        "traffic": {},
        "config": {"LOG_LEVEL": "info"},
    }
    for spec in deployments:
        n = spec["n"]
        dep = deployment_id(n)
        doc["deployments"][dep] = {
            "deployment_id": dep,
            "bundle_id": spec.get("bundle", f"bundle-{n}"),
            "customer_id": "acme",
            "route_binding": {"host": spec["host"], "path_prefix": spec.get("path", "/")},
            "created_at": T0.isoformat(),
            "settings": spec.get("settings", {}),
        }
        entries = []
        for index, (lifecycle, weight, rev_settings) in enumerate(spec["revisions"], start=1):
            rev = revision_id(n, index)
            doc["revisions"][rev] = {
                "revision_id": rev,
                "deployment_id": dep,
                "bundle_digest": digest(n, index),
                "sequence": index,
                "lifecycle": lifecycle,
                "created_at": T0.isoformat(),
                "updated_at": T0.isoformat(),
                "settings": rev_settings,
            }
            if weight is not None:
                entries.append({"revision_id": rev, "weight_bps": weight})
        if entries:
            doc["traffic"][dep] = {"deployment_id": dep, "entries": entries, "generation": 1}
    return EnvironmentState.model_validate(doc)


R = RevisionLifecycle.READY.value


def ready(weight: int | None, **settings: Any) -> tuple[str, int | None, dict[str, Any]]:
    return (R, weight, settings)


def one_deployment(revisions: list[Any], **extra: Any) -> list[dict[str, Any]]:
    return [{"n": 1, "host": "shop.example.com", "revisions": revisions, **extra}]


def _one_revision_http() -> EnvironmentState:
    return state_with(base_settings(), one_deployment([ready(10_000)]))


def _two_weighted_exact() -> EnvironmentState:
    return state_with(base_settings(), one_deployment([ready(9_000), ready(1_000)]))


def _three_weighted_rounded() -> EnvironmentState:
    # 33.33 % each can't be said in 0-1000 weights: 334/333/333 (error 3-4 bps).
    return state_with(base_settings(), one_deployment([ready(w) for w in (3_334, 3_333, 3_333)]))


def _tiny_weight_raised() -> EnvironmentState:
    # 3 bps would round to weight 0: it is raised to 1 (10 bps), a warning says so.
    return state_with(base_settings(), one_deployment([ready(9_997), ready(3)]))


def _every_lifecycle() -> EnvironmentState:
    revisions = [
        ("staged", None, {}),
        ("warming", None, {}),
        ready(10_000),
        ("draining", 0, {}),
        ("inactive", None, {}),
        ("archived", None, {}),
        ("inactive", None, {}),
        ("inactive", None, {}),
    ]
    return state_with(base_settings(gc_keep_inactive=1), one_deployment(revisions))


def _https_with_secrets() -> EnvironmentState:
    settings = base_settings(
        tls={"redirect_http": True},
        service={
            "image_repository": REPOSITORY,
            "secrets": {"DATABASE_URL": SECRET, "API_KEY": API_KEY},
            "cpu": "2",
            "memory": "1Gi",
            "min_instances": 2,
            "max_instances": 50,
        },
        invoker=None,
    )
    revisions = [ready(10_000), ("warming", None, {"min_instances": 0, "container_port": 9090})]
    return state_with(settings, one_deployment(revisions))


def _two_deployments_host_and_path() -> EnvironmentState:
    deployments = [
        {"n": 1, "host": "shop.example.com", "revisions": [ready(10_000)]},
        {"n": 2, "host": "shop.example.com", "path": "/api", "revisions": [ready(10_000)]},
        {"n": 3, "host": "admin.example.com", "revisions": [ready(5_000), ready(5_000)]},
    ]
    return state_with(base_settings(tls={"redirect_http": False}), deployments)


def _staged_only_no_split() -> EnvironmentState:
    return state_with(base_settings(), one_deployment([("staged", None, {})]))


def _missing_image_refused() -> EnvironmentState:
    return state_with(
        base_settings(service={"image_repository": None}), one_deployment([ready(10_000)])
    )


def _route_conflict_refused() -> EnvironmentState:
    deployments = [
        {"n": 1, "host": "shop.example.com", "revisions": [ready(10_000)]},
        {"n": 2, "host": "shop.example.com", "revisions": [ready(10_000)]},
    ]
    return state_with(base_settings(), deployments)


CASES: dict[str, Callable[[], EnvironmentState]] = {
    "one-revision-http": _one_revision_http,
    "two-weighted-exact": _two_weighted_exact,
    "three-weighted-rounded": _three_weighted_rounded,
    "tiny-weight-raised": _tiny_weight_raised,
    "every-lifecycle-state": _every_lifecycle,
    "https-redirect-secrets": _https_with_secrets,
    "two-deployments-host-and-path": _two_deployments_host_and_path,
    "staged-only-no-split": _staged_only_no_split,
    "missing-image-refused": _missing_image_refused,
    "route-conflict-refused": _route_conflict_refused,
}
