"""Behaviour the goldens show, asserted directly so a regenerated golden can't hide a bug."""

from __future__ import annotations

from greentic_iac.plan import Severity
from greentic_iac.targets.k8s import compile_plan
from tests.targets.k8s.k8s_cases import CASES, GATEWAY, STICKY, _one, revision_id


def _kind(plan: object, kind: str) -> list[dict[str, object]]:
    return [r.properties for r in plan.resources if r.properties["kind"] == kind]  # type: ignore[attr-defined]


def test_replicas_follow_the_lifecycle_and_archived_has_no_objects() -> None:
    plan = compile_plan(CASES["lifecycle-every-state"]())
    # Sequences 1..6 are archived, inactive, draining, ready, warming, staged.
    replicas = {
        d["metadata"]["labels"]["greentic.ai/revision"]: d["spec"]["replicas"]  # type: ignore[index]
        for d in _kind(plan, "Deployment")
    }
    assert replicas == {
        revision_id(1, 2): 0,
        revision_id(1, 3): 2,
        revision_id(1, 4): 2,
        revision_id(1, 5): 2,
        revision_id(1, 6): 0,
    }
    services = {s["metadata"]["name"] for s in _kind(plan, "Service")}  # type: ignore[index]
    assert not any(revision_id(1, 1).lower() in name for name in services)
    (route,) = _kind(plan, "HTTPRoute")
    rules = route["spec"]["rules"]  # type: ignore[index]
    # Pins for revisions with pods (draining, ready, warming) and one weighted rule.
    pinned = [rule["matches"][0]["headers"][0]["value"] for rule in rules[:-1]]
    assert pinned == [revision_id(1, 3), revision_id(1, 4), revision_id(1, 5)]
    assert rules[-1]["backendRefs"][0]["weight"] == 10_000
    assert rules[-1]["matches"] == [{"path": {"type": "PathPrefix", "value": "/hello"}}]


def test_gateway_refuses_seventeen_weighted_revisions_naming_the_limit() -> None:
    plan = compile_plan(CASES["gateway-17-weighted-refused"]())
    (error,) = plan.errors
    assert error.code == "k8s.gateway.backend-limit"
    assert "at most 16 backendRefs" in error.message
    assert _kind(plan, "HTTPRoute") == []
    assert len(_kind(plan, "Deployment")) == 17
    assert plan.traffic == []


def test_gateway_caps_pins_at_the_rule_limit_with_a_warning() -> None:
    plan = compile_plan(CASES["gateway-16-weighted-pins-capped"]())
    assert plan.errors == []
    (route,) = _kind(plan, "HTTPRoute")
    assert len(route["spec"]["rules"]) == 16  # type: ignore[index]
    assert [f.code for f in plan.findings if f.severity == Severity.WARNING] == [
        "k8s.gateway.rule-limit"
    ]


def test_nginx_refuses_three_weighted_revisions_naming_the_canary_limit() -> None:
    plan = compile_plan(CASES["nginx-3-weighted-refused"]())
    (error,) = plan.errors
    assert error.code == "k8s.nginx.canary-limit"
    assert "one canary Ingress per host/path" in error.message
    assert _kind(plan, "Ingress") == []


def test_nginx_without_trusted_header_has_no_header_canary() -> None:
    plan = compile_plan(CASES["nginx-2-weighted-untrusted-header"]())
    canary = next(
        i
        for i in _kind(plan, "Ingress")
        if "canary" in i["metadata"]["name"]  # type: ignore[index]
    )
    annotations = canary["metadata"]["annotations"]  # type: ignore[index]
    assert annotations["nginx.ingress.kubernetes.io/canary-weight"] == "1000"
    assert not any("canary-by-header" in key for key in annotations)


def test_nginx_single_weighted_revision_lets_the_header_reach_a_warming_one() -> None:
    plan = compile_plan(CASES["nginx-1-weighted-canary-header"]())
    canary = next(
        i
        for i in _kind(plan, "Ingress")
        if "canary" in i["metadata"]["name"]  # type: ignore[index]
    )
    annotations = canary["metadata"]["annotations"]  # type: ignore[index]
    assert annotations["nginx.ingress.kubernetes.io/canary-weight"] == "0"
    assert annotations["nginx.ingress.kubernetes.io/canary-by-header-value"] == revision_id(1, 2)


def test_alb_uses_the_shared_conversion_and_refuses_six_weighted() -> None:
    plan = compile_plan(CASES["alb-2-weighted-sticky"]())
    (traffic,) = plan.traffic
    assert traffic.method == "alb-weight-0-999"
    assert [r.applied_weight for r in traffic.revisions] == [9, 1]
    refused = compile_plan(CASES["alb-6-weighted-refused"]())
    assert [e.code for e in refused.errors] == ["k8s.alb.limit"]
    assert "at most 5 weighted target groups" in refused.errors[0].message


def test_two_deployments_share_one_namespace_with_distinct_names() -> None:
    plan = compile_plan(CASES["two-deployments-one-namespace-gateway"]())
    namespaces = {
        r.properties["metadata"].get("namespace")
        for r in plan.resources
        if r.properties["kind"] != "Namespace"
    }
    assert namespaces == {"greentic-acme-zain-prod"}
    objects = [(r.properties["kind"], r.properties["metadata"]["name"]) for r in plan.resources]
    assert len(objects) == len(set(objects))
    assert all(len(name) <= 63 for _, name in objects)
    assert len(_kind(plan, "HTTPRoute")) == 2


def test_gateway_stickiness_warning_advises_the_header_only_when_it_is_trusted() -> None:
    def message(trusted: bool) -> str:
        state = _one([9_000, 1_000], GATEWAY, settings=STICKY, trust_override_header=trusted)()
        findings = compile_plan(state).findings
        return next(f.message for f in findings if f.code == "k8s.gateway.stickiness-not-portable")

    assert message(True).endswith("clients can pin a revision with x-greentic-revision")
    assert "set the environment policy's trust_override_header" in message(False)
