"""Golden-case inputs: environment states built from the spec models with fixed ids/times.

Each case is a function returning an ``EnvironmentState``; the golden file
``golden/<case>.json`` holds that state and the plan the compiler makes from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from greentic_iac.spec import EnvironmentState, RevisionLifecycle

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
LISTENER = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/"
    "0123456789abcdef/fedcba9876543210"
)
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:greentic/db-AbCdEf"
PARAM = "arn:aws:ssm:eu-west-1:123456789012:parameter/greentic/api-key"


def deployment_id(n: int) -> str:
    return f"01J9DEP{n:019d}"


def revision_id(deployment: int, n: int) -> str:
    return f"01J9REV{deployment:09d}{n:010d}"


def digest(deployment: int, n: int) -> str:
    return "sha256:" + f"{deployment:02d}{n:02d}" * 16


def base_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "region": "eu-west-1",
        "service": {"image_repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/greentic"},
    }
    settings.update(overrides)
    return settings


def state_with(
    settings: dict[str, Any],
    deployments: list[dict[str, Any]],
    *,
    environment_id: str = "prod-eu",
) -> EnvironmentState:
    """``deployments``: dicts with n, host, path, settings, and revisions as
    ``(lifecycle, weight_bps, revision settings)`` tuples (weight None: not in the split)."""
    doc: dict[str, Any] = {
        "environment": {
            "environment_id": environment_id,
            "tenant": {"tenant": "acme", "team": "payments"},
            "deployment": {"cloud": "aws", "region": "eu-west-1", "platform": "ecs"},
            "packs": [
                {
                    "slot": "deployer",
                    "kind": "greentic.deployer.aws-ecs@1.0.0",
                    "pack_ref": "builtin:greentic.deployer.aws-ecs",
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


def _create_all_http_one() -> EnvironmentState:
    return state_with(base_settings(), one_deployment([ready(10_000)]))


def _existing_network() -> EnvironmentState:
    settings = base_settings(
        network={
            "mode": "existing",
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
        },
        cluster={
            "mode": "existing",
            "arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/shared",
        },
        load_balancer={
            "mode": "existing",
            "listener_arn": LISTENER,
            "security_group_id": "sg-0123456789abcdef0",
            "dns_name": "shared-123.eu-west-1.elb.amazonaws.com",
        },
    )
    return state_with(settings, one_deployment([ready(10_000)]))


def _no_nat() -> EnvironmentState:
    return state_with(
        base_settings(network={"mode": "create", "nat": "none"}), one_deployment([ready(10_000)])
    )


def _two_weighted() -> EnvironmentState:
    return state_with(base_settings(), one_deployment([ready(9_000), ready(1_000)]))


def _five_weighted() -> EnvironmentState:
    return state_with(
        base_settings(),
        one_deployment([ready(w) for w in (4_000, 3_000, 1_500, 1_000, 500)]),
    )


def _six_weighted_refused() -> EnvironmentState:
    return state_with(
        base_settings(),
        one_deployment([ready(w) for w in (5_000, 2_000, 1_000, 1_000, 500, 500)]),
    )


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


def _stickiness_on() -> EnvironmentState:
    return state_with(
        base_settings(),
        one_deployment([ready(5_000), ready(5_000)], settings={"stickiness_seconds": 3600}),
    )


def _https_with_secrets() -> EnvironmentState:
    settings = base_settings(
        tls={"certificate_arn": CERT},
        service={
            "image_repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/greentic",
            "secrets": {"DATABASE_URL": SECRET, "API_KEY": PARAM},
            "cpu": 512,
            "memory": 2048,
        },
    )
    revisions = [ready(10_000), ("warming", None, {"desired_count": 3, "container_port": 9090})]
    return state_with(settings, one_deployment(revisions))


def _two_deployments_host_and_path() -> EnvironmentState:
    deployments = [
        {"n": 1, "host": "api.example.com", "revisions": [ready(10_000)]},
        {"n": 2, "host": "api.example.com", "path": "/billing", "revisions": [ready(10_000)]},
        {
            "n": 3,
            "host": "*.tenants.example.com",
            "revisions": [ready(7_000), ready(3_000)],
            "settings": {"desired_count": 2, "health_check": {"path": "/ready"}},
        },
    ]
    return state_with(base_settings(tls={"certificate_arn": CERT}), deployments)


def _no_split_yet() -> EnvironmentState:
    return state_with(base_settings(), one_deployment([("staged", None, {})]))


CASES: dict[str, Callable[[], EnvironmentState]] = {
    "create-all-http-one-revision": _create_all_http_one,
    "existing-network-cluster-listener": _existing_network,
    "create-network-without-nat": _no_nat,
    "two-weighted-revisions": _two_weighted,
    "five-weighted-revisions": _five_weighted,
    "six-weighted-revisions-refused": _six_weighted_refused,
    "every-lifecycle-state": _every_lifecycle,
    "stickiness-on": _stickiness_on,
    "https-redirect-secrets": _https_with_secrets,
    "two-deployments-host-and-path-routing": _two_deployments_host_and_path,
    "staged-only-no-split": _no_split_yet,
}
