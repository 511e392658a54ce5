"""Preview golden cases: (state now, plan now, baseline) built with the real compilers.

States come from the targets' own golden-case builders, so a case changes only when a
compiler or the preview changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greentic_iac.plan import Plan, PlanResource
from greentic_iac.preview import Baseline
from greentic_iac.spec import EnvironmentState
from greentic_iac.targets.aws_ecs import compile_plan as compile_ecs
from greentic_iac.targets.k8s import compile_plan as compile_k8s
from tests.targets.aws_ecs.cases import base_settings, one_deployment, ready, state_with
from tests.targets.k8s.k8s_cases import GATEWAY, NGINX, DeploymentSpec, make_state
from tests.targets.k8s.k8s_cases import L as K8S_LIFECYCLE

Case = tuple[EnvironmentState, Plan, Baseline]


def _file(plan: Plan, case: str) -> Baseline:
    return Baseline(plan=plan, source="file", path=f"/baselines/{case}.json")


def ecs_state(revisions: list[Any], **settings: Any) -> EnvironmentState:
    return state_with(base_settings(**settings), one_deployment(revisions))


def k8s_state(revisions: list[tuple[Any, int]], routing: dict[str, Any]) -> EnvironmentState:
    spec = DeploymentSpec(1, "hello-flow", "hello.acme.example.com", revisions)
    return make_state([spec], routing=routing)


def _ecs_traffic_shift() -> Case:
    before = compile_ecs(ecs_state([ready(9_000), ready(1_000)]))
    state = ecs_state([ready(5_000), ready(5_000)])
    return state, compile_ecs(state), _file(before, "ecs_traffic_shift")


def _ecs_stage_revision() -> Case:
    before = compile_ecs(ecs_state([ready(10_000)]))
    state = ecs_state([ready(10_000), ("staged", None, {})])
    return state, compile_ecs(state), _file(before, "ecs_stage_revision")


def _ecs_port_change_replaces() -> Case:
    before = compile_ecs(ecs_state([ready(10_000)]))
    state = ecs_state([ready(10_000, container_port=9090)])
    return state, compile_ecs(state), _file(before, "ecs_port_change_replaces")


def _ecs_six_weighted_refused() -> Case:
    before = compile_ecs(ecs_state([ready(w) for w in (5_000, 2_000, 1_000, 1_000, 1_000)]))
    state = ecs_state([ready(w) for w in (5_000, 2_000, 1_000, 1_000, 500, 500)])
    return state, compile_ecs(state), _file(before, "ecs_six_weighted_refused")


def _k8s_gateway_shift() -> Case:
    ready_ = K8S_LIFECYCLE.READY
    before = compile_k8s(k8s_state([(ready_, 10_000), (ready_, 0)], GATEWAY))
    state = k8s_state([(ready_, 9_000), (ready_, 1_000)], GATEWAY)
    return state, compile_k8s(state), _file(before, "k8s_gateway_shift")


def _k8s_nginx_new_environment() -> Case:
    ready_ = K8S_LIFECYCLE.READY
    state = k8s_state([(ready_, 7_500), (ready_, 2_500)], NGINX)
    return state, compile_k8s(state), Baseline.empty()


def _k8s_deployment_removed() -> Case:
    ready_ = K8S_LIFECYCLE.READY
    before_state = make_state(
        [
            DeploymentSpec(1, "hello-flow", "hello.acme.example.com", [(ready_, 10_000)]),
            DeploymentSpec(2, "billing", "api.acme.example.com", [(ready_, 10_000)]),
        ],
        routing=GATEWAY,
    )
    state = k8s_state([(ready_, 10_000)], GATEWAY)
    return state, compile_k8s(state), _file(compile_k8s(before_state), "k8s_deployment_removed")


CASES: dict[str, Callable[[], Case]] = {
    "ecs_traffic_shift": _ecs_traffic_shift,
    "ecs_stage_revision": _ecs_stage_revision,
    "ecs_port_change_replaces": _ecs_port_change_replaces,
    "ecs_six_weighted_refused": _ecs_six_weighted_refused,
    "k8s_gateway_shift": _k8s_gateway_shift,
    "k8s_nginx_new_environment": _k8s_nginx_new_environment,
    "k8s_deployment_removed": _k8s_deployment_removed,
}


def resource(name: str, type_: str, **properties: Any) -> PlanResource:
    return PlanResource(type=type_, name=name, properties=properties)


def plan_of(*resources: PlanResource, environment_id: str = "prod-eu") -> Plan:
    return Plan(environment_id=environment_id, target="greentic.example", resources=list(resources))
