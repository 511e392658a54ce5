"""Limits, policy gates, what a traffic-only change or a staged revision shows, and the
markdown budget."""

from __future__ import annotations

import json
from typing import Any

from greentic_iac.plan import DeploymentTraffic, Plan, RevisionTraffic
from greentic_iac.preview import Baseline, build_preview, first_refusal, render
from greentic_iac.preview.markdown import render_markdown
from greentic_iac.spec import RevisionLifecycle, TrafficPolicy
from greentic_iac.targets.aws_ecs import compile_plan as compile_ecs
from greentic_iac.targets.aws_ecs.limits import limit_findings as alb_limits
from greentic_iac.targets.k8s import compile_plan as compile_k8s
from greentic_iac.targets.k8s.limits import limit_findings as k8s_limits
from tests.targets.k8s.k8s_cases import GATEWAY
from tests.unit.preview.cases import ecs_state, k8s_state, plan_of, ready, resource

RULE = "aws:lb/listenerRule:ListenerRule"
READY = RevisionLifecycle.READY


def _forward(weights: list[int]) -> list[dict[str, Any]]:
    groups = [{"arn": f"arn-{i}", "weight": w} for i, w in enumerate(weights)]
    return [{"type": "forward", "forward": {"targetGroups": groups}}]


def test_alb_limits_on_the_plan() -> None:
    plan = plan_of(
        resource("six", RULE, actions=_forward([1] * 6)),
        resource("heavy", RULE, actions=_forward([1000, 1])),
        resource("fine", RULE, actions=_forward([999, 1, 0, 0, 0, 0])),
    )
    found = [(f.code, f.subject) for f in alb_limits(plan)]
    assert found == [("alb-max-target-groups", "six"), ("alb-weight-range", "heavy")]


def test_k8s_limits_on_the_plan() -> None:
    route = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    ingress = "kubernetes:networking.k8s.io/v1:Ingress"
    refs = [{"name": f"s{i}", "weight": 1} for i in range(17)]
    canary_spec = {
        "ingressClassName": "nginx",
        "rules": [{"host": "h", "http": {"paths": [{"path": "/"}]}}],
    }
    canary_meta = {"annotations": {"nginx.ingress.kubernetes.io/canary": "true"}}
    plan = plan_of(
        resource("route", route, spec={"rules": [{"backendRefs": refs}]}),
        resource("canary-a", ingress, metadata=canary_meta, spec=canary_spec),
        resource("canary-b", ingress, metadata=canary_meta, spec=canary_spec),
    )
    assert [(f.code, f.subject) for f in k8s_limits(plan)] == [
        ("gateway-max-backend-refs", "route"),
        ("nginx-one-canary", "canary-a"),
    ]


def test_compiler_error_findings_are_limits_and_refuse() -> None:
    state = ecs_state([ready(w) for w in (5_000, 2_000, 1_000, 1_000, 500, 500)])
    document = build_preview(state, compile_ecs(state), Baseline.empty())
    assert document["refused"] is True
    assert document["limits"][0]["code"] == "alb-weighted-target-groups"
    refusal = first_refusal(document)
    assert refusal is not None and "\n" not in refusal and "alb-weighted" in refusal


def test_traffic_only_change_shows_only_the_listener_rule_and_the_traffic() -> None:
    before = compile_ecs(ecs_state([ready(9_000), ready(1_000)]))
    state = ecs_state([ready(8_000), ready(2_000)])
    document = build_preview(state, compile_ecs(state), Baseline(before, "file", "x"))
    assert [(r["action"], r["type"]) for r in document["resources"]] == [("update", RULE)]
    [deployment] = document["traffic"]
    assert deployment["changed"] is True
    assert [(r["before_bps"], r["after_bps"], r["applied_weight"]) for r in deployment["revisions"]] == [
        (9_000, 8_000, 4),
        (1_000, 2_000, 1),
    ]  # fmt: skip
    assert document["summary"]["traffic_changes"] == 1 and not document["refused"]


def test_k8s_traffic_only_change_shows_only_the_httproute() -> None:
    before = compile_k8s(k8s_state([(READY, 10_000), (READY, 0)], GATEWAY))
    state = k8s_state([(READY, 5_000), (READY, 5_000)], GATEWAY)
    document = build_preview(state, compile_k8s(state), Baseline(before, "file", "x"))
    assert [r["type"].rsplit(":", 1)[1] for r in document["resources"]] == ["HTTPRoute"]


def test_staging_a_revision_shows_only_creates() -> None:
    before = compile_ecs(ecs_state([ready(10_000)]))
    state = ecs_state([ready(10_000), ("staged", None, {})])
    document = build_preview(state, compile_ecs(state), Baseline(before, "file", "x"))
    assert {r["action"] for r in document["resources"]} == {"create"}
    assert document["summary"]["traffic_changes"] == 0
    k8s_before = compile_k8s(k8s_state([(READY, 10_000)], GATEWAY))
    k8s_now = k8s_state([(READY, 10_000), (RevisionLifecycle.STAGED, 0)], GATEWAY)
    k8s_doc = build_preview(k8s_now, compile_k8s(k8s_now), Baseline(k8s_before, "file", "x"))
    assert {r["action"] for r in k8s_doc["resources"]} == {"create"}


def _with_policy(state: Any, max_step: int) -> Any:
    return state.model_copy(update={"policy": TrafficPolicy(max_step_bps=max_step)})


def test_max_step_refuses_and_override_lets_it_through() -> None:
    before = compile_ecs(ecs_state([ready(10_000), ready(0)]))
    state = _with_policy(ecs_state([ready(5_000), ready(5_000)]), 1_000)
    plan = compile_ecs(state)
    document = build_preview(state, plan, Baseline(before, "file", "x"))
    assert document["refused"] is True and document["limits"] == []
    [violation] = document["policy"]["violations"]
    assert violation["code"] == "max-step" and "5000 bps" in violation["message"]
    overridden = build_preview(state, plan, Baseline(before, "file", "x"), override_policy=True)
    assert overridden["refused"] is False and overridden["policy"]["overridden"] is True


def test_max_step_exempts_a_deployment_never_applied() -> None:
    state = _with_policy(ecs_state([ready(10_000)]), 1_000)
    document = build_preview(state, compile_ecs(state), Baseline.empty())
    assert document["policy"]["violations"] == [] and not document["refused"]


def test_a_revision_that_is_not_ready_may_not_carry_weight() -> None:
    # A valid state can't say so; a plan from elsewhere (--against, an old compiler) can.
    state = ecs_state([ready(10_000), ("warming", None, {})])
    plan = compile_ecs(state)
    warming = sorted(state.revisions)[1]
    traffic = [
        DeploymentTraffic(
            deployment_id=plan.traffic[0].deployment_id,
            method="alb-weight-0-999",
            revisions=[
                *plan.traffic[0].revisions,
                RevisionTraffic(
                    revision_id=warming, requested_bps=0, applied_weight=1, effective_bps=0
                ),
            ],
        )
    ]
    odd = plan.model_copy(update={"traffic": traffic})
    document = build_preview(state, odd, Baseline.empty())
    assert [v["code"] for v in document["policy"]["violations"]] == ["not-ready"]
    assert "warming" in document["policy"]["violations"][0]["message"]


def _big_pair(count: int) -> tuple[Plan, Plan]:
    before = plan_of(*(resource(f"r-{i:05d}", RULE, priority=i) for i in range(count)))
    after = plan_of(
        *(resource(f"n-{i:05d}", RULE, priority=i, listenerArn="arn") for i in range(count))
    )
    return before, after


def test_ten_thousand_resources_fit_a_comment_with_an_honest_trim_note() -> None:
    before, after = _big_pair(10_000)
    state = ecs_state([ready(10_000)])
    document = build_preview(state, after, Baseline(before, "file", "x"))
    assert document["summary"]["create"] == 10_000 and document["summary"]["delete"] == 10_000
    text = render_markdown(document)
    assert len(text) <= 65_536
    assert "Trimmed to fit the 65,536-character comment limit" in text
    shown = text.count("\n+ n-")
    assert 0 < shown < 10_000
    assert f"{10_000 - shown} of 10000 resources to create not shown" in text
    # The summary comes first and is whole.
    assert text.index("10000 to create") < text.index("<details")


def test_small_reports_are_not_trimmed() -> None:
    before, after = _big_pair(3)
    document = build_preview(ecs_state([ready(10_000)]), after, Baseline(before, "file", "x"))
    assert "Trimmed" not in render_markdown(document)


def test_text_colour_only_when_asked() -> None:
    state = ecs_state([ready(10_000)])
    document = build_preview(state, compile_ecs(state), Baseline.empty())
    assert "\x1b[" not in render(document, "text")
    assert "\x1b[" in render(document, "text", colour=True)
    assert json.loads(render(document, "json"))["summary"]["create"] > 0
