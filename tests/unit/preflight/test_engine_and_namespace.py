"""The engine's pulumi check joins the report once; the k8s namespace placeholder falls back
to the namespace the Kubernetes target really uses (owned or existing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentic_iac.envpacks import EnvPackRegistry
from greentic_iac.envpacks.requirements import binding_requirements, default_namespace
from greentic_iac.preflight import CheckOutcome, CheckStatus, report_from_outcomes
from greentic_iac.preflight.engine import ENGINE_SLOT, with_engine_checks
from greentic_iac.spec import Environment, local_environment
from greentic_iac.spec.checks import ProbeRequirement
from greentic_iac.targets.k8s import naming


def _k8s_environment(tenant: str, settings: dict) -> Environment:
    base = local_environment("k8s-test").to_json_dict()
    base["tenant"] = {"tenant": tenant}
    for pack in base["packs"]:
        if pack["slot"] == "deployer":
            pack.update(kind="greentic.deployer.k8s@1.0.0", settings=settings)
    return Environment.model_validate(base)


@pytest.mark.parametrize("tenant", ["acme", "a.b_c", "x" * 60, "t-" + "y" * 62])
def test_default_namespace_matches_the_k8s_target(tenant: str) -> None:
    environment = _k8s_environment(tenant, {})
    assert default_namespace(environment) == naming.namespace_name(environment, None)


@pytest.mark.parametrize("tenant", ["acme", "a.b_c", "x" * 60])
@pytest.mark.parametrize("settings", [{"namespace_mode": "existing"}, {"create_namespace": False}])
def test_existing_namespace_default_matches_the_k8s_target(tenant: str, settings: dict) -> None:
    environment = _k8s_environment(tenant, settings)
    assert default_namespace(environment, owned=False) == naming.namespace_name(
        environment, None, owned=False
    )
    rows = binding_requirements(environment, EnvPackRegistry.discover())
    deployer = next(row for row in rows if row.slot == "deployer")
    probes = [r for r in deployer.requirements if isinstance(r, ProbeRequirement)]
    assert all(p.params["namespace"] == default_namespace(environment, owned=False) for p in probes)


@pytest.mark.parametrize("settings", [{}, {"namespace": None}])
def test_unset_namespace_falls_back_to_greentic_tenant_env(settings: dict) -> None:
    rows = binding_requirements(_k8s_environment("acme", settings), EnvPackRegistry.discover())
    deployer = next(row for row in rows if row.slot == "deployer")
    probes = [r for r in deployer.requirements if isinstance(r, ProbeRequirement)]
    assert probes and all(p.params["namespace"] == "greentic-acme-k8s-test" for p in probes)


def test_a_configured_namespace_wins() -> None:
    environment = _k8s_environment("acme", {"namespace": "shop"})
    rows = binding_requirements(environment, EnvPackRegistry.discover())
    deployer = next(row for row in rows if row.slot == "deployer")
    probes = [r for r in deployer.requirements if isinstance(r, ProbeRequirement)]
    assert all(p.params["namespace"] == "shop" for p in probes)


def test_the_engine_row_checks_pulumi_when_no_pack_did(tmp_path: Path) -> None:
    empty = report_from_outcomes([("deployer", "greentic.deployer.local-process@0.1.0", [])])
    report = with_engine_checks(empty, path=str(tmp_path), timeout=2)
    assert report.per_binding[-1].slot == ENGINE_SLOT
    (outcome,) = report.per_binding[-1].outcomes
    assert outcome.check == "tool:pulumi" and outcome.status is CheckStatus.FAILED
    assert outcome.hint is not None and "install pulumi" in outcome.hint
    assert report.failed_checks == 1 and report.total_checks == 1


def test_the_engine_row_is_not_added_when_a_pack_checked_pulumi(tmp_path: Path) -> None:
    checked = CheckOutcome(check="tool:pulumi", status=CheckStatus.OK, found="v3.120.0")
    report = report_from_outcomes([("deployer", "greentic.deployer.k8s@1.0.0", [checked])])
    assert with_engine_checks(report, path=str(tmp_path), timeout=2) is report
