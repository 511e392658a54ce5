"""Basis points -> URL map weights (gcp-urlmap-weight-0-1000), and the limits a plan must
respect, by example and by property (hypothesis; ``make soak`` runs many more examples)."""

from __future__ import annotations

import copy

import pytest
from greentic_iac_gcp import compile_plan
from greentic_iac_gcp.limits import URL_MAP_MAX_BYTES, limit_findings
from greentic_iac_gcp.target import TARGET
from greentic_iac_gcp.weights import URLMAP_METHOD, urlmap_weights
from hypothesis import given, settings
from hypothesis import strategies as st

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan, Severity
from tests.support.soak import soak_examples

from .cases import base_settings, one_deployment, ready, state_with


@st.composite
def splits(draw: st.DrawFn, max_revisions: int = 12) -> dict[str, int]:
    """A valid split: 1..max revisions, bps summing to 10000, some of them maybe 0."""
    count = draw(st.integers(1, max_revisions))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 10_000]
    return {f"r{i}": bounds[i + 1] - bounds[i] for i in range(count)}


@pytest.mark.parametrize(
    ("requested", "weights"),
    [
        ({"a": 10_000}, {"a": 1}),
        ({"a": 9_000, "b": 1_000}, {"a": 9, "b": 1}),
        ({"a": 9_500, "b": 500}, {"a": 19, "b": 1}),
        ({"a": 3_335, "b": 3_335, "c": 3_330}, {"a": 667, "b": 667, "c": 666}),
        ({"a": 3_334, "b": 3_333, "c": 3_333}, {"a": 334, "b": 333, "c": 333}),
        ({"a": 9_997, "b": 3}, {"a": 999, "b": 1}),
        ({"a": 10_000, "b": 0}, {"a": 1, "b": 0}),
    ],
)
def test_known_conversions(requested: dict[str, int], weights: dict[str, int]) -> None:
    converted = urlmap_weights(requested)
    assert converted.weights == weights
    assert converted.method == URLMAP_METHOD
    assert list(converted.weights) == list(requested)


def test_exact_splits_report_no_error_and_rounded_ones_report_theirs() -> None:
    assert urlmap_weights({"a": 9_000, "b": 1_000}).max_error_bps == 0
    rounded = urlmap_weights({"a": 3_334, "b": 3_333, "c": 3_333})
    assert rounded.effective_bps == {"a": 3340.0, "b": 3330.0, "c": 3330.0}
    assert rounded.max_error_bps == 6.0


@pytest.mark.parametrize(
    ("requested", "field"),
    [({}, "at least one"), ({"a": 9_000}, "sum to 9000"), ({"a": 10_001, "b": -1}, "a: weight")],
)
def test_malformed_splits_are_refused_naming_the_problem(
    requested: dict[str, int], field: str
) -> None:
    with pytest.raises(InvalidInputError, match=field):
        urlmap_weights(requested)


@pytest.mark.soak
@settings(max_examples=soak_examples(300, 20_000), deadline=None)
@given(splits())
def test_every_split_converts_within_the_bounds(requested: dict[str, int]) -> None:
    converted = urlmap_weights(requested)
    for key, bps in requested.items():
        weight = converted.weights[key]
        assert 0 <= weight <= 1000
        # A revision with traffic never loses it; one without never gets any.
        assert (weight > 0) == (bps > 0)
    effective = converted.effective_bps
    assert abs(sum(effective.values()) - 10_000) < 0.05 * len(effective)
    if all(bps == 0 or bps >= 10 for bps in requested.values()):
        # Each weight unit is 10 bps: without floors of 1, the error stays below one unit.
        assert converted.max_error_bps < 10
    assert converted.max_error_bps == pytest.approx(
        max(abs(effective[k] - bps) for k, bps in requested.items()), abs=0.01
    )


@pytest.mark.soak
@settings(max_examples=soak_examples(40, 1_000), deadline=None)
@given(splits(max_revisions=8))
def test_every_compiled_split_passes_the_targets_limits(requested: dict[str, int]) -> None:
    revisions = [ready(bps) for bps in requested.values()]
    plan = compile_plan(state_with(base_settings(), one_deployment(revisions)))
    assert plan.errors == []
    assert limit_findings(plan, None) == []
    [traffic] = plan.traffic
    assert traffic.method == TARGET.traffic_method
    assert [r.requested_bps for r in traffic.revisions] == list(requested.values())
    routed = plan.resource("url-map").properties["pathMatchers"][0]["routeRules"][-1]
    weights = [w["weight"] for w in routed["routeAction"]["weightedBackendServices"]]
    assert weights == [r.applied_weight for r in traffic.revisions if r.applied_weight > 0]
    warned = any(f.code == "urlmap-weight-error" for f in plan.findings)
    assert warned == (traffic.max_error_bps > 10)


def _plan() -> Plan:
    return compile_plan(state_with(base_settings(), one_deployment([ready(9_000), ready(1_000)])))


def _with_url_map(plan: Plan, edit: object) -> Plan:
    changed = copy.deepcopy(plan)
    edit(changed.resource("url-map").properties)  # type: ignore[operator]
    return changed


def test_a_weight_outside_0_to_1000_is_an_error() -> None:
    def edit(properties: dict) -> None:
        properties["pathMatchers"][0]["routeRules"][-1]["routeAction"]["weightedBackendServices"][
            0
        ]["weight"] = 1001

    [finding] = limit_findings(_with_url_map(_plan(), edit), None)
    assert finding.severity is Severity.ERROR and finding.code == "gcp-urlmap-weight"
    assert "1001" in finding.message


def test_a_route_action_with_only_zero_weights_is_an_error() -> None:
    def edit(properties: dict) -> None:
        for entry in properties["pathMatchers"][0]["routeRules"][-1]["routeAction"][
            "weightedBackendServices"
        ]:
            entry["weight"] = 0

    [finding] = limit_findings(_with_url_map(_plan(), edit), None)
    assert "needs a weight above 0" in finding.message


def test_a_duplicate_route_priority_is_an_error() -> None:
    def edit(properties: dict) -> None:
        rules = properties["pathMatchers"][0]["routeRules"]
        rules[1]["priority"] = rules[0]["priority"]

    codes = [f.code for f in limit_findings(_with_url_map(_plan(), edit), None)]
    assert codes == ["gcp-urlmap-priority"]


def test_an_oversized_url_map_is_refused_and_a_large_one_warned_about() -> None:
    # Each host is one host rule and one path matcher; enough of them pass 1 MB.
    def deployments(count: int) -> list[dict]:
        return [
            {"n": n, "host": f"tenant-{n:05d}.shop.example.com", "revisions": [ready(10_000)]}
            for n in range(1, count + 1)
        ]

    big = compile_plan(state_with(base_settings(), deployments(1_000)))
    size = len(big.resource("url-map").model_dump_json())
    assert size < URL_MAP_MAX_BYTES  # calibrate: 1000 hosts are below the limit
    per_host = size / 1_000
    near = int(URL_MAP_MAX_BYTES * 0.85 / per_host)
    over = int(URL_MAP_MAX_BYTES * 1.05 / per_host)
    warned = compile_plan(state_with(base_settings(), deployments(near)))
    assert [f.code for f in warned.findings if f.severity is Severity.WARNING] == [
        "gcp-urlmap-size"
    ]
    assert limit_findings(warned, None) == []
    refused = compile_plan(state_with(base_settings(), deployments(over)))
    assert [f.code for f in limit_findings(refused, None)] == ["gcp-urlmap-size"]


def test_more_hosts_than_a_managed_certificate_covers_is_an_error() -> None:
    deployments = [
        {"n": n, "host": f"h{n}.example.com", "revisions": [ready(10_000)]} for n in range(1, 102)
    ]
    plan = compile_plan(state_with(base_settings(tls={}), deployments))
    assert [f.code for f in plan.errors] == ["gcp-certificate-domains"]


def test_a_wildcard_host_with_tls_is_refused_and_without_tls_routed() -> None:
    deployments = [{"n": 1, "host": "*.shop.example.com", "revisions": [ready(10_000)]}]
    refused = compile_plan(state_with(base_settings(tls={}), deployments))
    assert [f.code for f in refused.errors] == ["gcp-certificate-wildcard"]
    routed = compile_plan(state_with(base_settings(), deployments))
    assert routed.errors == []
    hosts = routed.resource("url-map").properties["hostRules"][0]["hosts"]
    assert hosts == ["*.shop.example.com"]


def test_a_wildcard_and_its_bare_host_get_distinct_path_matchers() -> None:
    deployments = [
        {"n": 1, "host": "*.shop.example.com", "revisions": [ready(10_000)]},
        {"n": 2, "host": "shop.example.com", "revisions": [ready(10_000)]},
    ]
    url_map = compile_plan(state_with(base_settings(), deployments)).resource("url-map")
    rules = url_map.properties["hostRules"]
    matchers = [m["name"] for m in url_map.properties["pathMatchers"]]
    assert len(set(matchers)) == 2
    assert {r["pathMatcher"] for r in rules} == set(matchers)


def test_secrets_that_differ_only_by_case_or_underscore_get_their_own_grants() -> None:
    secrets = {
        "A": "projects/acme-prod-123/secrets/db-url",
        "B": "projects/acme-prod-123/secrets/db_url",
        "C": "projects/acme-prod-123/secrets/DB-URL",
    }
    settings = base_settings(service={"image_repository": "r/app", "secrets": secrets})
    plan = compile_plan(state_with(settings, one_deployment([ready(10_000)])))
    grants = [r for r in plan.resources if r.name.startswith("secret-access-")]
    assert sorted(g.properties["secretId"] for g in grants) == sorted(secrets.values())
    assert "secret-access-acme-prod-123-db-url" in {g.name for g in grants}


def test_a_long_secret_name_keeps_the_plan_loadable() -> None:
    secret = "projects/acme-prod-123/secrets/" + "s" * 255
    settings = base_settings(service={"image_repository": "r/app", "secrets": {"S": secret}})
    plan = compile_plan(state_with(settings, one_deployment([ready(10_000)])))
    [grant] = [r for r in plan.resources if r.name.startswith("secret-access-")]
    assert len(grant.name) <= 120
    assert Plan.model_validate_json(plan.to_pretty_json()).canonical_json() == plan.canonical_json()


def _rules(plan: Plan) -> dict[int, dict]:
    [matcher] = plan.resource("url-map").properties["pathMatchers"]
    return {rule["priority"]: rule for rule in matcher["routeRules"]}


def test_warming_a_revision_adds_its_pin_and_moves_no_other_rule() -> None:
    before = compile_plan(state_with(base_settings(), one_deployment([ready(10_000)])))
    after = compile_plan(
        state_with(base_settings(), one_deployment([ready(10_000), ("warming", None, {})]))
    )
    old, new = _rules(before), _rules(after)
    assert set(old) < set(new)
    assert all(new[priority] == rule for priority, rule in old.items())
    [added] = set(new) - set(old)
    assert added == 2  # the second revision's sequence, in the first deployment's block


def test_two_deployments_on_one_host_keep_longest_prefix_first() -> None:
    deployments = [
        {"n": 1, "host": "shop.example.com", "revisions": [ready(10_000)]},
        {"n": 2, "host": "shop.example.com", "path": "/api", "revisions": [ready(10_000)]},
    ]
    rules = _rules(compile_plan(state_with(base_settings(), deployments)))
    ordered = [rules[p]["matchRules"][0] for p in sorted(rules)]
    prefixes = [m.get("fullPathMatch") or m.get("prefixMatch") for m in ordered]
    assert prefixes == ["/api", "/api", "/", "/"]  # pin, split of /api; then pin, split of /
