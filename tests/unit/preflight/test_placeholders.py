"""Placeholders are filled by the env-pack layer (one filler); the runner refuses leftovers."""

from __future__ import annotations

from greentic_iac.preflight import CheckStatus, has_placeholders, run_requirements
from greentic_iac.spec.checks import ProbeRequirement


def test_has_placeholders_finds_them_at_any_depth() -> None:
    assert has_placeholders("{{ settings.namespace }}")
    assert has_placeholders({"a": ["x", {"b": "ctx-{{settings.cluster}}"}]})
    assert not has_placeholders({"namespace": "shop", "port": 8080, "list": ["a", 3]})
    assert not has_placeholders("{ single braces }")


def test_the_runner_refuses_an_unfilled_probe_without_running_it(tmp_path) -> None:
    # An empty PATH: if the runner tried kubectl it would report it missing instead.
    requirement = ProbeRequirement(
        probe="kubectl-can-i",
        params={"verb": "create", "resource": "deployments", "namespace": "{{ settings.ns }}"},
    )
    (outcome,) = run_requirements([requirement], path=str(tmp_path), timeout=2)
    assert outcome.status is CheckStatus.FAILED
    assert outcome.detail is not None and "placeholders" in outcome.detail
    assert outcome.hint is not None and "preflight_for_settings" in outcome.hint


def test_the_preflight_package_has_no_second_filler() -> None:
    import greentic_iac.preflight as preflight

    assert not hasattr(preflight, "fill_placeholders")
