"""Issue 16 on the k8s target: ALB-wide quotas for the alb mode, its health-check path and
group order, and route paths refused by the rules of the routing mode that would serve them."""

from __future__ import annotations

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan
from greentic_iac.targets.k8s import compile_plan
from greentic_iac.targets.k8s.limits import limit_findings
from tests.targets.k8s.k8s_cases import ALB, GATEWAY, NGINX, DeploymentSpec, L, make_state

ORDER = "alb.ingress.kubernetes.io/group.order"


def _alb_plan(deployments: int, revisions: int, **kwargs: object) -> Plan:
    base, rest = divmod(10_000, revisions)
    weights = [base + rest] + [base] * (revisions - 1)
    specs = [
        DeploymentSpec(i, f"bot-{i}", f"bot{i}.example.com", [(L.READY, w) for w in weights])
        for i in range(1, deployments + 1)
    ]
    return compile_plan(make_state(specs, routing=ALB, **kwargs))  # type: ignore[arg-type]


def _rules(plan: Plan) -> int:
    return sum(
        len(rule["http"]["paths"])
        for r in plan.resources
        if r.properties["kind"] == "Ingress"
        for rule in r.properties["spec"]["rules"]
    )


def test_forty_deployments_of_three_revisions_are_over_the_target_group_quota() -> None:
    plan = _alb_plan(40, 3)
    # 40 x 3 weighted services = 120 target groups: the contract itself doesn't fit.
    [error] = plan.errors
    assert error.code == "k8s.alb.group-target-groups"
    assert "120 target groups" in error.message and "IngressGroup greentic-acme" in error.message
    assert 'quota "Target groups per Application Load Balancer"' in error.message
    assert "archive or drain revisions" in error.message
    # The 120 header pins (160 rules in all before) give way at the rule quota instead.
    assert _rules(plan) == 100
    assert any(f.code == "k8s.alb.pins-capped" for f in plan.findings)
    # The preview's own check on the plan finds the same (and dedupes against the compiler).
    assert {f.code for f in limit_findings(plan)} >= {error.code}


def test_the_quotas_count_the_plan_not_each_deployment() -> None:
    full = _alb_plan(25, 3)  # 25 weighted rules + 75 pins = 100 rules, 75 groups
    assert not full.errors and _rules(full) == 100
    assert not [f for f in full.findings if f.code == "k8s.alb.pins-capped"]
    # One more deployment: its weighted rule fits, the newest pins of others give way, and
    # the plan is not refused (warming a revision at capacity never freezes everyone).
    over = _alb_plan(26, 3)
    assert not over.errors and _rules(over) == 100
    capped = [f for f in over.findings if f.code == "k8s.alb.pins-capped"]
    assert capped and all("can't be pinned" in f.message for f in capped)
    # Without header pins each deployment needs one rule: 34 x 3 = 102 groups is over.
    untrusted = _alb_plan(34, 3, trust_override_header=False)
    assert [e.code for e in untrusted.errors] == ["k8s.alb.group-target-groups"]
    # 101 deployments: every one needs its weighted rule and group, both quotas refuse.
    assert {e.code for e in _alb_plan(101, 1).errors} == {
        "k8s.alb.group-rules",
        "k8s.alb.group-target-groups",
    }


def test_alb_ingresses_health_check_the_pods_path_and_carry_a_group_order() -> None:
    specs = [
        DeploymentSpec(1, "wild", "*.example.com", [(L.READY, 10_000)], path_prefix="/api"),
        DeploymentSpec(2, "shop", "shop.example.com", [(L.READY, 10_000)]),
        DeploymentSpec(3, "shop-api", "shop.example.com", [(L.READY, 10_000)], "/api/v1"),
        DeploymentSpec(
            4, "ready", "r.example.com", [(L.READY, 10_000)], settings={"probes": {"readiness_path": "/ready"}}
        ),
    ]  # fmt: skip
    plan = compile_plan(make_state(specs, routing=ALB))
    ingresses = {
        r.properties["metadata"]["labels"]["app.kubernetes.io/name"]: r.properties["metadata"]
        for r in plan.resources
        if r.properties["kind"] == "Ingress"
    }
    paths = {
        name: m["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"]
        for name, m in ingresses.items()
    }
    assert paths == {
        "wild": "/healthz",
        "shop": "/healthz",
        "shop-api": "/healthz",
        "ready": "/ready",
    }
    order = {name: int(m["annotations"][ORDER]) for name, m in ingresses.items()}
    # Exact hosts first (longest path first), every wildcard after every exact host.
    assert order["shop-api"] < order["shop"] < 0 < order["wild"] <= 1000
    assert all(-1000 <= value <= 1000 for value in order.values())


@pytest.mark.parametrize(
    ("routing", "path", "rule"),
    [
        (GATEWAY, "/a//b", "contains '//'"),
        (GATEWAY, "/a%2Fb", "contains '%2F'"),
        (GATEWAY, "/a%2fb", "contains '%2f'"),
        (GATEWAY, "/a%5Cb", "contains '%5C'"),
        (GATEWAY, "/caf\u00e9", "is not ASCII"),
        (GATEWAY, '/a"b', "has a character outside"),
        (NGINX, "/a//b", "and ingress-nginx with it"),
        (ALB, "/shop(1)", "ALB path-pattern condition"),
    ],
)
def test_route_paths_the_routing_mode_refuses_are_invalid_input_naming_field_and_rule(
    routing: dict[str, str], path: str, rule: str
) -> None:
    spec = DeploymentSpec(1, "shop", "shop.example.com", [(L.READY, 10_000)], path_prefix=path)
    with pytest.raises(InvalidInputError) as caught:
        compile_plan(make_state([spec], routing=routing))
    message = str(caught.value)
    assert message.startswith("deployments.01JDEP00000000000000000001.route_binding.path_prefix: ")
    assert rule in message
    if routing is GATEWAY:
        assert "Gateway API HTTPRoute" in message


@pytest.mark.parametrize("routing", [GATEWAY, NGINX, ALB])
@pytest.mark.parametrize("path", ["/", "/api/v1", "/a-b_c.d~e", "/a:b@c"])
def test_ordinary_paths_pass_every_mode(routing: dict[str, str], path: str) -> None:
    spec = DeploymentSpec(1, "shop", "shop.example.com", [(L.READY, 10_000)], path_prefix=path)
    assert not compile_plan(make_state([spec], routing=routing)).errors


@pytest.mark.parametrize(
    ("routing", "host", "rule"),
    [
        (GATEWAY, "10.0.0.1", "Gateway API HTTPRoute hostnames must be DNS names"),
        (NGINX, "10.0.0.1", "Ingress rules[].host must be DNS names"),
        (ALB, "localhost", "an ALB host-header condition needs a domain name"),
    ],
)
def test_hosts_the_routing_mode_refuses_are_invalid_input(
    routing: dict[str, str], host: str, rule: str
) -> None:
    spec = DeploymentSpec(1, "shop", host, [(L.READY, 10_000)])
    with pytest.raises(InvalidInputError) as caught:
        compile_plan(make_state([spec], routing=routing))
    message = str(caught.value)
    assert message.startswith("deployments.01JDEP00000000000000000001.route_binding.host: ")
    assert rule in message
