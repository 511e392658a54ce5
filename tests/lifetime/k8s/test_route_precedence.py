"""One routing precedence on every target (issue 16): the same (host, path) table routes to
the same deployment through each Kubernetes routing mode's controller and the local router.

Gateway API's definition: an exact host before a wildcard (a longer wildcard before a
shorter one), then the longest path prefix, on ``/`` segment boundaries. The AWS Load
Balancer Controller evaluates an IngressGroup by ``group.order`` and then by Ingress name,
so the bundle names below sort the wildcard routes first: without the group order the ALB
would send ``shop.example.com/api`` to ``*.example.com/api``.
"""

from __future__ import annotations

import pytest

from greentic_iac.local.routes import RouteTable
from greentic_iac.spec import EnvironmentState, runtime_config_from_state
from greentic_iac.targets.k8s import compile_plan
from tests.lifetime.k8s.api_model import Cluster
from tests.lifetime.k8s.replay import Stack
from tests.lifetime.k8s.routing_model import route_objects, routed_deployment
from tests.targets.k8s.k8s_cases import ALB, GATEWAY, NGINX, DeploymentSpec, L, make_state

ROUTES = [
    ("shop", "shop.example.com", "/"),
    ("shop-api", "shop.example.com", "/api"),
    ("any-api", "*.example.com", "/api"),
    ("any-root", "*.example.com", "/"),
    ("any-eu", "*.eu.example.com", "/"),
]
TABLE = [
    ("shop.example.com", "/api/cart", "shop-api"),
    ("shop.example.com", "/api", "shop-api"),
    ("shop.example.com", "/apix", "shop"),
    ("shop.example.com", "/", "shop"),
    ("other.example.com", "/api/v1", "any-api"),
    ("other.example.com", "/x", "any-root"),
    ("a.eu.example.com", "/api", "any-eu"),
    ("a.b.example.com", "/api/x", "any-api"),
    ("example.com", "/", None),
    ("shop.example.org", "/", None),
]


def _state(routing: dict[str, str]) -> EnvironmentState:
    specs = [
        DeploymentSpec(index, bundle, host, [(L.READY, 10_000)], path_prefix=path)
        for index, (bundle, host, path) in enumerate(ROUTES, start=1)
    ]
    return make_state(specs, routing=routing)


def _bundle_of(state: EnvironmentState, deployment_id: str | None) -> str | None:
    return state.deployments[deployment_id].bundle_id if deployment_id else None


@pytest.mark.parametrize("routing", [GATEWAY, NGINX, ALB], ids=["gateway", "nginx", "alb"])
def test_every_k8s_routing_mode_routes_the_table_like_gateway_api(routing: dict[str, str]) -> None:
    state = _state(routing)
    cluster = Cluster()
    Stack("zain-prod", cluster).up(compile_plan(state))
    manifests = route_objects(cluster)
    for host, path, expected in TABLE:
        got = _bundle_of(state, routed_deployment(manifests, host, path))
        assert got == expected, f"{routing['mode']}: {host}{path} -> {got}, not {expected}"


def test_the_local_router_routes_the_same_table() -> None:
    state = _state(GATEWAY)
    table = RouteTable.from_config(runtime_config_from_state(state))
    for host, path, expected in TABLE:
        route = table.match(host, path)
        got = route.bundle_id if route is not None else None
        assert got == expected, f"local: {host}{path} -> {got}, not {expected}"
