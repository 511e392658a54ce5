"""The Kubernetes lifetime walk (issue 16): operator verbs over several environments of one
tenant on one cluster, every step compiled, diffed against the stack's last plan and
replayed into the in-memory API model in Pulumi's order (see walk.py for the checks).
``make test`` runs a bounded number of walks, ``make soak`` many more."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from greentic_iac.envpacks import EnvPackRegistry
from tests.lifetime.k8s.walk import Tenant, base_settings
from tests.support.soak import soak_examples

REGISTRY = EnvPackRegistry.discover()
ENVIRONMENTS = ("shop-prod", "shop-staging", "billing-prod")
ROUTES = [
    ("shop", "shop.example.com", "/"),
    ("shop-api", "shop.example.com", "/api"),
    ("any", "*.example.com", "/"),
    ("cart", "shop.example.com", "/api/cart"),
]
SETTINGS_CHANGES: list[dict[str, Any]] = [
    {"replicas": 1},
    {"replicas": 3},
    {"port": 9090},
    {"port": 8080},
    {"probes": {"readiness_path": "/ready"}},
    {"probes": {"readiness_path": "/healthz"}},
    {"stickiness": {"enabled": True}},
    {"stickiness": {"enabled": False}},
    # One owner per namespace: the default, a configured one, the shared tenant namespace.
    {"namespace": None, "namespace_mode": None},
    {"namespace_mode": "existing"},
    {"namespace": "greentic-acme", "namespace_mode": "existing"},
    {"namespace": "{environment}-blue", "namespace_mode": None},
    {"routing": {"mode": "nginx"}},
    {"routing": {"mode": "gateway", "gateway_name": "public", "gateway_namespace": "gateway"}},
    {"routing": {"mode": "alb", "group_name": "greentic-acme"}},
]
environment_index = st.integers(0, len(ENVIRONMENTS) - 1)
pick = st.integers(0, 50)


class KubernetesLifetime(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tenant = Tenant(REGISTRY)
        self.environments: list[str] = []
        self.destroyed: set[str] = set()

    @initialize(
        modes=st.lists(st.sampled_from(["gateway", "nginx", "alb"]), min_size=2, max_size=3)
    )
    def create_environments(self, modes: list[str]) -> None:
        # Each environment starts serving: one bundle, one ready revision at 100 %.
        for environment_id, mode in zip(ENVIRONMENTS, modes, strict=False):
            self.tenant.env_create(environment_id, base_settings(mode))
            self.tenant.bundles_add(environment_id, *ROUTES[0])
            self.tenant.rollout(environment_id, 0, [1])
            self.environments.append(environment_id)

    def _env(self, index: int) -> str | None:
        environment_id = self.environments[index % len(self.environments)]
        return None if environment_id in self.destroyed else environment_id

    @rule(index=environment_index, route=st.sampled_from(ROUTES))
    def bundles_add(self, index: int, route: tuple[str, str, str]) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.bundles_add(environment_id, *route)

    @rule(
        index=environment_index,
        which=pick,
        weights=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    )
    def rollout(self, index: int, which: int, weights: list[int]) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.rollout(environment_id, which, weights)

    @rule(index=environment_index, which=pick)
    def retire(self, index: int, which: int) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.retire(environment_id, which)

    @rule(index=environment_index, which=pick)
    def revisions_stage(self, index: int, which: int) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.revisions_stage(environment_id, which)

    @rule(
        index=environment_index,
        which=pick,
        verb=st.sampled_from(["warm", "warm", "drain", "deactivate", "archive"]),
    )
    def revisions_transition(self, index: int, which: int, verb: str) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.revisions_transition(environment_id, which, verb)

    @rule(
        index=environment_index,
        which=pick,
        weights=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    )
    def traffic_set(self, index: int, which: int, weights: list[int]) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.traffic_set(environment_id, which, weights)

    @rule(index=environment_index, change=st.sampled_from(SETTINGS_CHANGES))
    def settings_update(self, index: int, change: dict[str, Any]) -> None:
        if (environment_id := self._env(index)) is not None:
            filled = {
                k: v.format(environment=environment_id) if isinstance(v, str) else v
                for k, v in change.items()
            }
            self.tenant.settings_update(environment_id, filled)

    @precondition(lambda self: len(self.destroyed) < len(self.environments) - 1)
    @rule(index=environment_index)
    def destroy(self, index: int) -> None:
        if (environment_id := self._env(index)) is not None:
            self.tenant.destroy(environment_id)
            self.destroyed.add(environment_id)

    @rule(index=environment_index)
    def up_again(self, index: int) -> None:
        environment_id = self.environments[index % len(self.environments)]
        if environment_id in self.destroyed:
            self.destroyed.discard(environment_id)
            self.tenant.up(environment_id)

    def teardown(self) -> None:
        # Destroying every environment, one by one, leaves only the admin's namespace.
        for environment_id in self.environments:
            if environment_id not in self.destroyed:
                self.tenant.destroy(environment_id)
        assert list(self.tenant.cluster.objects) == [(None, "Namespace", "greentic-acme")]


KubernetesLifetime.TestCase.settings = settings(
    max_examples=soak_examples(10, 300),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_kubernetes_lifetime = pytest.mark.soak(KubernetesLifetime.TestCase)
