"""The Cloud Run target over a lifetime (design decision 12): two environments in one
project, random sequences of the operations the verbs call (bundles add, revisions stage /
warm / drain / deactivate / archive, traffic set, TLS on and off), every accepted change
compiled and replayed into the API model (gcp_model.py) in Pulumi's order. After every
step: the apply went through, names never changed, each live revision has exactly its four
resources and each archived one none, the URL map carries the plan's weights. A change the
preview would refuse is backed out, as an operator would. ``make soak`` runs many more."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from greentic_iac_gcp import compile_plan
from greentic_iac_gcp.limits import limit_findings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from greentic_iac.errors import GreenticError
from greentic_iac.operations import rollout as ops
from greentic_iac.plan import Plan
from greentic_iac.spec import EnvironmentState, RevisionLifecycle, RouteBinding
from greentic_iac.spec.answers import BundleAddPayload, RevisionStagePayload, TrafficSetPayload
from tests.support.soak import soak_examples

from .cases import base_settings, state_with
from .gcp_model import Cloud, Stack

ENVIRONMENTS = ("prod-gcp", "stage-gcp")
ROUTES = [("shop.example.com", "/"), ("shop.example.com", "/api"), ("admin.example.com", "/")]
PER_REVISION = ("run", "invoker", "neg", "backend")
environment_index = st.integers(0, len(ENVIRONMENTS) - 1)
pick = st.integers(0, 50)


def _weights_in_url_map(plan: Plan) -> dict[str, list[int]]:
    """backend logical name -> weights the URL map gives it (one per route action)."""
    found: dict[str, list[int]] = {}
    for matcher in plan.resource("url-map").properties["pathMatchers"]:
        for rule_ in matcher["routeRules"]:
            for entry in rule_.get("routeAction", {}).get("weightedBackendServices", []):
                found.setdefault(entry["backendService"]["$ref"]["resource"], []).append(
                    entry["weight"]
                )
    return found


class CloudRunLifetime(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cloud = Cloud()
        self.states: dict[str, EnvironmentState] = {}
        self.stacks: dict[str, Stack] = {}
        self.names: dict[tuple[str, str], Any] = {}
        self.digests = 0

    @initialize()
    def create_environments(self) -> None:
        for environment_id in ENVIRONMENTS:
            self.stacks[environment_id] = Stack(environment_id, self.cloud)
            self.commit(
                environment_id,
                state_with(base_settings(), [], environment_id=environment_id),
            )

    # -- the operations -------------------------------------------------------------

    def _try(self, environment_id: str, change: Any) -> None:
        try:
            state = change(self.states[environment_id])
        except GreenticError:
            return  # the verb refuses it (a revision in use, a bad transition): no change
        self.commit(environment_id, state)

    @rule(index=environment_index, route=st.sampled_from(ROUTES))
    def bundles_add(self, index: int, route: tuple[str, str]) -> None:
        environment_id = ENVIRONMENTS[index]
        payload = BundleAddPayload(
            environment_id=environment_id,
            bundle_id="shop",
            route_binding=RouteBinding(host=route[0], path_prefix=route[1]),
        )
        self._try(environment_id, lambda s: ops.add_bundle(s, payload)[0])

    @rule(index=environment_index, which=pick)
    def revisions_stage(self, index: int, which: int) -> None:
        environment_id = ENVIRONMENTS[index]
        deployments = self.states[environment_id].active_deployments()
        if not deployments:
            return
        deployment = deployments[which % len(deployments)]
        self.digests += 1
        digest = "sha256:" + hashlib.sha256(str(self.digests).encode()).hexdigest()
        payload = RevisionStagePayload(
            environment_id=environment_id,
            deployment_id=deployment.deployment_id,
            bundle_digest=digest,
        )
        self._try(environment_id, lambda s: ops.stage_revision(s, payload, digest)[0])

    @rule(
        index=environment_index,
        which=pick,
        verb=st.sampled_from(["warm", "warm", "drain", "deactivate", "archive"]),
    )
    def revisions_transition(self, index: int, which: int, verb: str) -> None:
        environment_id = ENVIRONMENTS[index]
        revisions = sorted(
            self.states[environment_id].revisions.values(),
            key=lambda r: (r.deployment_id, r.sequence),
        )
        if not revisions:
            return
        revision = revisions[which % len(revisions)]
        targets = {
            "warm": [RevisionLifecycle.WARMING, RevisionLifecycle.READY],
            "drain": [RevisionLifecycle.DRAINING],
            "deactivate": [RevisionLifecycle.INACTIVE],
            "archive": [RevisionLifecycle.ARCHIVED],
        }[verb]
        if verb == "warm" and revision.lifecycle == RevisionLifecycle.WARMING:
            targets = targets[1:]

        def change(current: EnvironmentState) -> EnvironmentState:
            for target in targets:
                current = ops.transition_revision(current, revision.revision_id, target)[0]
            return current

        self._try(environment_id, change)

    @rule(
        index=environment_index,
        which=pick,
        weights=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
    )
    def traffic_set(self, index: int, which: int, weights: list[int]) -> None:
        environment_id = ENVIRONMENTS[index]
        state = self.states[environment_id]
        deployments = state.active_deployments()
        if not deployments or sum(weights) == 0:
            return
        deployment = deployments[which % len(deployments)]
        ready = [
            r
            for r in state.revisions_of(deployment.deployment_id)
            if r.lifecycle == RevisionLifecycle.READY
        ]
        if not ready:
            return
        chosen = ready[-len(weights) :]
        raw = weights[-len(chosen) :]
        if sum(raw) == 0:
            return
        bps = [w * 10_000 // sum(raw) for w in raw]
        bps[bps.index(max(bps))] += 10_000 - sum(bps)
        payload = TrafficSetPayload.model_validate(
            {
                "environment_id": environment_id,
                "deployment_id": deployment.deployment_id,
                "entries": [
                    {"revision_id": r.revision_id, "weight_bps": b}
                    for r, b in zip(chosen, bps, strict=True)
                ],
            }
        )
        self._try(environment_id, lambda s: ops.set_traffic(s, payload)[0])

    @rule(index=environment_index, tls=st.booleans())
    def toggle_tls(self, index: int, tls: bool) -> None:
        environment_id = ENVIRONMENTS[index]
        state = self.states[environment_id].model_copy(deep=True)
        binding = state.environment.deployer()
        assert binding is not None
        binding.settings = {**binding.settings, "tls": {} if tls else None}
        self.commit(environment_id, state)

    # -- apply and check ------------------------------------------------------------

    def commit(self, environment_id: str, state: EnvironmentState) -> None:
        plan = compile_plan(state)
        if plan.errors or limit_findings(plan, self.stacks[environment_id].applied):
            return  # the preview refuses it: the operator backs the change out
        self.stacks[environment_id].up(plan)
        self.states[environment_id] = state
        self.check(environment_id, state, plan)

    def check(self, environment_id: str, state: EnvironmentState, plan: Plan) -> None:
        for resource in plan.resources:
            physical = resource.properties.get("name") or resource.properties.get("accountId")
            if not isinstance(physical, str):
                continue
            key = (environment_id, resource.name)
            if resource.name != "certificate":  # its name follows its domains (see docs)
                assert self.names.setdefault(key, physical) == physical, key
        names = {r.name for r in plan.resources}
        for revision in state.revisions.values():
            expected = {f"{kind}-{revision.revision_id.lower()}" for kind in PER_REVISION}
            if revision.lifecycle == RevisionLifecycle.ARCHIVED:
                assert not expected & names, revision.revision_id
            else:
                assert expected <= names, revision.revision_id
        weights = _weights_in_url_map(plan)
        for traffic in plan.traffic:
            for entry in traffic.revisions:
                if entry.applied_weight:
                    backend = f"backend-{entry.revision_id.lower()}"
                    assert entry.applied_weight in weights[backend]

    def teardown(self) -> None:
        for stack in self.stacks.values():
            stack.destroy()
        assert self.cloud.objects == {}


CloudRunLifetime.TestCase.settings = settings(
    max_examples=soak_examples(30, 1_000),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_cloud_run_lifetime = pytest.mark.soak(CloudRunLifetime.TestCase)
