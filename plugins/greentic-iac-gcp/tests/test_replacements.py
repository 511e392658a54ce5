"""Replacements never collide (design decision 10): what a change of the Cloud Run plan
replaces, by pulumi-gcp's "forces new resource" arguments, always gets a new physical name."""

from __future__ import annotations

from greentic_iac_gcp import compile_plan
from greentic_iac_gcp.replace_rules import REPLACE_RULES, replacements, replacing_paths
from greentic_iac_gcp.tokens import RESOURCE_TYPES, T_CERTIFICATE, T_FORWARDING, T_NEG

from .cases import base_settings, one_deployment, ready, state_with


def test_every_token_the_compiler_uses_has_a_rule() -> None:
    assert set(REPLACE_RULES) == set(RESOURCE_TYPES)


def test_rules_by_example() -> None:
    assert replacing_paths(T_NEG, {"cloudRun": {"service": "a"}}, {"cloudRun": {"service": "b"}})
    assert replacing_paths(T_FORWARDING, {"target": "a"}, {"target": "b"}) == []
    assert replacing_paths(T_FORWARDING, {"portRange": "80"}, {"portRange": "8080"}) == [
        "portRange"
    ]


def test_a_new_host_replaces_the_certificate_under_a_new_name() -> None:
    one = [{"n": 1, "host": "shop.example.com", "revisions": [ready(10_000)]}]
    two = [*one, {"n": 2, "host": "admin.example.com", "revisions": [ready(10_000)]}]
    before = compile_plan(state_with(base_settings(tls={}), one))
    after = compile_plan(state_with(base_settings(tls={}), two))
    [replaced] = replacements(before, after)
    assert replaced.type == T_CERTIFICATE and replaced.paths == ["managed", "name"]
    assert not replaced.collides


def test_the_offline_preview_shows_the_certificate_replacement() -> None:
    from greentic_iac.preview.document import Baseline, build_preview

    one = [{"n": 1, "host": "shop.example.com", "revisions": [ready(10_000)]}]
    two = [*one, {"n": 2, "host": "admin.example.com", "revisions": [ready(10_000)]}]
    before = compile_plan(state_with(base_settings(tls={}), one))
    state = state_with(base_settings(tls={}), two)
    preview = build_preview(state, compile_plan(state), Baseline(plan=before, source="file"))
    replaced = [r for r in preview["resources"] if r["action"] == "replace"]
    assert [r["type"] for r in replaced] == [T_CERTIFICATE]


def test_a_revision_setting_change_updates_its_service_in_place() -> None:
    before = compile_plan(state_with(base_settings(), one_deployment([ready(10_000)])))
    after = compile_plan(
        state_with(base_settings(), one_deployment([ready(10_000, memory="1Gi", cpu="2")]))
    )
    assert replacements(before, after) == []
    assert before.canonical_json() != after.canonical_json()


def test_moving_the_environment_to_another_project_replaces_without_collisions() -> None:
    before = compile_plan(state_with(base_settings(), one_deployment([ready(10_000)])))
    after = compile_plan(
        state_with(base_settings(project="acme-other-456"), one_deployment([ready(10_000)]))
    )
    found = replacements(before, after)
    assert found and all("project" in r.paths for r in found)
    # The same names in another project: the new resources never meet the old ones.
    assert not any(r.collides for r in found)
    named = [r for r in found if r.physical[0] is not None]
    assert named and all(r.physical[0][0] == "acme-prod-123" for r in named)  # type: ignore[index]
