"""Properties of the Kubernetes compiler that must hold for any input, not just the goldens."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greentic_iac.spec import RevisionLifecycle
from greentic_iac.targets.k8s import compile_plan
from tests.targets.k8s.k8s_cases import GATEWAY, NGINX, DeploymentSpec, make_state, revision_id


@st.composite
def splits(draw: st.DrawFn, max_revisions: int = 16) -> list[int]:
    """A split of 10000 bps over 1..max_revisions revisions, every share > 0."""
    count = draw(st.integers(min_value=1, max_value=max_revisions))
    cuts = sorted(draw(st.sets(st.integers(1, 9_999), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 10_000]
    return [b - a for a, b in itertools.pairwise(bounds)]


def _state(weights: list[int], routing: dict[str, str]) -> object:
    spec = DeploymentSpec(
        1, "hello-flow", "hello.acme.example.com", [(RevisionLifecycle.READY, w) for w in weights]
    )
    return make_state([spec], routing=routing)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(splits())
def test_httproute_weights_reproduce_the_basis_points_exactly(weights: list[int]) -> None:
    plan = compile_plan(_state(weights, GATEWAY))  # type: ignore[arg-type]
    assert plan.errors == []
    assert (
        len(plan.resource("k8s-httproute-01jdep00000000000000000001").properties["spec"]["rules"])
        <= 16
    )
    route = next(r for r in plan.resources if r.properties["kind"] == "HTTPRoute")
    weighted_rule = route.properties["spec"]["rules"][-1]
    refs = weighted_rule["backendRefs"]
    total = sum(ref["weight"] for ref in refs)
    shares = {ref["name"]: Fraction(ref["weight"] * 10_000, total) for ref in refs}
    expected = {
        f"gt-hello-flow-{revision_id(1, i + 1).lower()}": Fraction(w) for i, w in enumerate(weights)
    }
    assert shares == expected
    (traffic,) = plan.traffic
    assert traffic.method == "gateway-bps"
    assert traffic.max_error_bps == 0


@settings(max_examples=30, deadline=None)
@given(splits(max_revisions=2))
def test_nginx_canary_weight_is_exact_over_ten_thousand(weights: list[int]) -> None:
    plan = compile_plan(_state(weights, NGINX))  # type: ignore[arg-type]
    ingresses = [r for r in plan.resources if r.properties["kind"] == "Ingress"]
    canary = [r for r in ingresses if "canary" in r.name]
    if len(weights) == 1:
        assert canary == []
        return
    annotations = canary[0].properties["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/canary-weight-total"] == "10000"
    assert int(annotations["nginx.ingress.kubernetes.io/canary-weight"]) == weights[1]


def _names(plan: object) -> dict[str, tuple[str, str]]:
    return {
        r.name: (r.properties["kind"], r.properties["metadata"]["name"])
        for r in plan.resources  # type: ignore[attr-defined]
    }


def test_staging_a_new_revision_never_renames_existing_resources() -> None:
    for routing in (GATEWAY, NGINX, {"mode": "alb"}):
        before = compile_plan(
            make_state(
                [
                    DeploymentSpec(
                        1, "hello-flow", "h.example.com", [(RevisionLifecycle.READY, 10_000)]
                    )
                ],
                routing=routing,
            )
        )
        after = compile_plan(
            make_state(
                [
                    DeploymentSpec(
                        1,
                        "hello-flow",
                        "h.example.com",
                        [(RevisionLifecycle.READY, 10_000), (RevisionLifecycle.STAGED, 0)],
                    )
                ],
                routing=routing,
            )
        )
        old, new = _names(before), _names(after)
        # Every existing logical name survives with the same object name ...
        assert {k: new.get(k) for k in old} == old
        # ... and the only additions are the new revision's Deployment and Service.
        added = sorted(kind for kind, _ in (new[k] for k in set(new) - set(old)))
        assert added == ["Deployment", "Service"]


def test_weighted_revisions_keep_names_whatever_their_order_in_the_split() -> None:
    spec = DeploymentSpec(
        1,
        "hello-flow",
        "h.example.com",
        [(RevisionLifecycle.READY, 2_500)] * 2 + [(RevisionLifecycle.READY, 5_000)],
    )
    state = make_state([spec], routing=GATEWAY)
    split = state.traffic[spec_id := next(iter(state.traffic))]
    reversed_state = state.model_copy(
        update={"traffic": {spec_id: split.model_copy(update={"entries": split.entries[::-1]})}}
    )
    assert compile_plan(state).canonical_json() == compile_plan(reversed_state).canonical_json()
