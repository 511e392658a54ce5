"""One regression test per Kubernetes defect of issue 16, each replayed into the API model;
each fails if its fix is reverted."""

from __future__ import annotations

import copy

import pytest

from greentic_iac.envpacks import EnvPackRegistry
from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan, ResourceOptions
from greentic_iac.spec import EnvironmentState
from greentic_iac.targets.k8s import compile_plan
from greentic_iac.targets.k8s.legacy import pin_legacy_k8s_namespace
from tests.lifetime.k8s.api_model import AlreadyExists, Cluster, Invalid
from tests.lifetime.k8s.replay import Stack
from tests.lifetime.k8s.walk import SHARED_NAMESPACE, Tenant, base_settings

ENVIRONMENTS = ("shop-prod", "shop-staging", "billing-prod")


def _serving_tenant(
    settings: dict | None = None,
    environments: tuple[str, ...] = ENVIRONMENTS,
    *,
    shared_namespace: bool = True,
) -> Tenant:
    tenant = Tenant(EnvPackRegistry.discover(), shared_namespace=shared_namespace)
    for environment_id in environments:
        tenant.env_create(environment_id, {**base_settings("nginx"), **(settings or {})})
        tenant.bundles_add(environment_id, "shop", "shop.example.com", "/")
        tenant.rollout(environment_id, 0, [1])
        assert tenant.stacks[environment_id].applied is not None
    return tenant


def _workloads(tenant: Tenant, environment_id: str) -> set:
    return {i for i in tenant.stacks[environment_id].identities() if i[1] == "Deployment"}


def test_environments_of_one_tenant_each_own_a_namespace_and_destroy_only_their_own() -> None:
    # Before: every environment owned Namespace greentic-acme; the second create was
    # AlreadyExists and a destroy of any one deleted every environment's workloads.
    tenant = _serving_tenant()
    namespaces = {str(tenant.stacks[e].applied.outputs["namespace"]) for e in ENVIRONMENTS}  # type: ignore[union-attr]
    assert namespaces == {f"greentic-acme-{e}" for e in ENVIRONMENTS}
    survivors = {e: _workloads(tenant, e) for e in ENVIRONMENTS[1:]}
    assert all(survivors.values())
    tenant.destroy(ENVIRONMENTS[0])
    for environment_id, workloads in survivors.items():
        assert workloads <= set(tenant.cluster.objects), environment_id


def test_a_shared_tenant_namespace_is_used_by_all_and_owned_by_none() -> None:
    tenant = _serving_tenant({"namespace_mode": "existing"})
    plans = [tenant.stacks[e].applied for e in ENVIRONMENTS]
    assert all(p is not None and p.outputs["namespace"] == SHARED_NAMESPACE for p in plans)
    assert all(r.properties["kind"] != "Namespace" for p in plans for r in p.resources)  # type: ignore[union-attr]
    others = _workloads(tenant, ENVIRONMENTS[1]) | _workloads(tenant, ENVIRONMENTS[2])
    tenant.destroy(ENVIRONMENTS[0])
    assert (None, "Namespace", SHARED_NAMESPACE) in tenant.cluster.objects
    assert others <= set(tenant.cluster.objects)


def test_the_model_shows_the_old_defect_when_several_stacks_own_one_namespace() -> None:
    # What legacy environments pinned to greentic-acme would do if two were created today:
    # the harness must be able to see the defect the fix removes.
    tenant = Tenant(EnvPackRegistry.discover())
    tenant.env_create("shop-prod", {**base_settings("nginx"), "namespace": "greentic-legacy"})
    with pytest.raises(AssertionError, match="AlreadyExists: Namespace greentic-legacy"):
        tenant.env_create(
            "shop-staging", {**base_settings("nginx"), "namespace": "greentic-legacy"}
        )


def test_an_owned_namespace_cannot_turn_existing_under_the_same_name() -> None:
    # Dropping the Namespace from the plan while deploying into it: Pulumi deletes the
    # Namespace last, and the namespace takes every workload with it.
    tenant = _serving_tenant({"namespace": "shop-blue"}, ("shop-prod",))
    before = tenant.states["shop-prod"]
    tenant.settings_update("shop-prod", {"namespace_mode": "existing"})
    assert tenant.states["shop-prod"] is before  # the change was refused, nothing applied
    binding = before.environment.deployer()
    assert binding is not None
    changed = before.model_copy(deep=True)
    deployer = changed.environment.deployer()
    assert deployer is not None
    deployer.previous = binding.snapshot()
    deployer.settings = {**binding.settings, "namespace_mode": "existing"}
    with pytest.raises(InvalidInputError, match="namespace_mode: namespace shop-blue is owned"):
        compile_plan(changed)
    # The environment's own default name can never be existing, whatever the history.
    default = _serving_tenant().states["shop-staging"].model_copy(deep=True)
    deployer = default.environment.deployer()
    assert deployer is not None
    deployer.settings = {
        **deployer.settings,
        "namespace": "greentic-acme-shop-staging",
        "namespace_mode": "existing",
    }
    deployer.previous = None
    with pytest.raises(InvalidInputError, match="greentic-acme-shop-staging is owned"):
        compile_plan(default)


def test_a_legacy_environment_keeps_its_namespace_and_plan_after_the_migration() -> None:
    # What v1 compiled to (and no admin-made tenant namespace: the stack owns it).
    tenant = _serving_tenant({"namespace": "greentic-acme"}, ("shop-prod",), shared_namespace=False)
    state = tenant.states["shop-prod"]
    document = state.to_json_dict()
    binding = document["environment"]["packs"][0]
    del binding["settings"]["namespace"]  # a v1 environment left it unset
    migrated = EnvironmentState.model_validate(pin_legacy_k8s_namespace(document))
    applied = tenant.stacks["shop-prod"].applied
    assert applied is not None
    assert compile_plan(migrated).content_hash() == applied.content_hash()


def _replaced_selector(plan: Plan, *, delete_first: bool) -> Plan:
    changed = copy.deepcopy(plan)
    for resource in changed.resources:
        if resource.type == "kubernetes:apps/v1:Deployment":
            resource.properties["spec"]["selector"]["matchLabels"]["extra"] = "x"
            resource.options = ResourceOptions(delete_before_replace=delete_first)
    return changed


def test_an_immutable_field_change_under_a_fixed_name_needs_delete_before_replace() -> None:
    # The replay's replace decision is preview's; a same-name replace collides unless it
    # deletes first, which is why the compiler keeps selectors as fixed as the names.
    tenant = _serving_tenant()
    plan = tenant.stacks["shop-prod"].applied
    assert plan is not None
    clone = Cluster(objects=copy.deepcopy(tenant.cluster.objects))
    with pytest.raises(AlreadyExists):
        Stack("shop-prod", clone, applied=plan).up(_replaced_selector(plan, delete_first=False))
    Stack("shop-prod", clone, applied=plan).up(_replaced_selector(plan, delete_first=True))
    manifest = next(r.properties for r in plan.resources if r.properties["kind"] == "Deployment")
    moved = copy.deepcopy(manifest)
    moved["spec"]["selector"]["matchLabels"]["extra"] = "x"
    with pytest.raises(Invalid, match=r"spec\.selector: field is immutable"):
        tenant.cluster.update("shop-prod", moved)


@pytest.mark.parametrize(
    ("type_token", "path"),
    [
        ("kubernetes:apps/v1:Deployment", ("spec", "selector", "matchLabels", "app")),
        ("kubernetes:core/v1:Service", ("spec", "clusterIP")),
        ("kubernetes:core/v1:Namespace", ("metadata", "name")),
        ("kubernetes:networking.k8s.io/v1:Ingress", ("metadata", "namespace")),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", ("metadata", "name")),
    ],
)
def test_preview_replaces_exactly_where_the_model_refuses_an_update(
    type_token: str, path: tuple[str, ...]
) -> None:
    from greentic_iac.preview.replace_rules import forces_replace

    assert forces_replace(type_token, path, {}, {})
    # Everything else the compiler changes in place (replicas, annotations) is an update.
    assert not forces_replace(type_token, ("spec", "replicas"), {}, {})
    assert not forces_replace(type_token, ("metadata", "annotations", "x"), {}, {})


def test_a_settings_change_does_not_roll_a_draining_revisions_pods() -> None:
    tenant = _serving_tenant(environments=("shop-prod",))
    tenant.rollout("shop-prod", 0, [1])  # the second revision takes all the traffic
    state = tenant.states["shop-prod"]
    first, second = state.revisions_of(next(iter(state.deployments)))
    assert state.weight_of(first) == 0 and state.weight_of(second) == 10_000
    tenant.revisions_transition("shop-prod", 0, "drain")

    def template(revision_id: str) -> dict:
        return next(
            stored.manifest["spec"]["template"]
            for identity, stored in tenant.cluster.objects.items()
            if identity[1] == "Deployment" and revision_id.lower() in identity[2]
        )

    draining, serving = template(first.revision_id), template(second.revision_id)
    tenant.settings_update("shop-prod", {"port": 9090, "resources": {"limits": {"memory": "1Gi"}}})
    assert tenant.states["shop-prod"].environment.deployer().settings["port"] == 9090  # type: ignore[union-attr]
    assert template(first.revision_id) == draining  # its in-flight requests finish
    assert template(second.revision_id) != serving  # the serving revision follows the settings


def test_an_existing_namespace_that_is_missing_fails_the_first_object() -> None:
    # What the kubectl-namespace preflight probe prevents: no stack creates it.
    tenant = Tenant(EnvPackRegistry.discover(), shared_namespace=False)
    tenant.env_create("shop-prod", {**base_settings("gateway"), "namespace_mode": "existing"})
    tenant.bundles_add("shop-prod", "shop", "shop.example.com", "/")  # nothing to create yet
    missing = r'NotFound: Deployment greentic-acme/.*namespaces "greentic-acme" not found'
    with pytest.raises(AssertionError, match=missing):
        tenant.rollout("shop-prod", 0, [1])


def test_a_namespace_dropped_while_still_used_is_refused_by_the_preview() -> None:
    # Two settings changes after owning shop-blue, the compiler's one step of history no
    # longer shows it; the applied baseline does.
    from greentic_iac.preview.checks import limit_violations
    from greentic_iac.targets.k8s.limits import namespace_delete_findings

    tenant = _serving_tenant({"namespace": "shop-blue"}, ("shop-prod",))
    baseline = tenant.stacks["shop-prod"].applied
    assert baseline is not None
    state = tenant.states["shop-prod"].model_copy(deep=True)
    deployer = state.environment.deployer()
    assert deployer is not None
    deployer.settings = {**deployer.settings, "namespace_mode": "existing"}
    deployer.previous = None
    plan = compile_plan(state)
    assert not plan.errors
    [finding] = namespace_delete_findings(baseline, plan)
    assert finding.code == "k8s.namespace-deleted-while-used" and "shop-blue" in finding.message
    assert any(v["code"] == finding.code for v in limit_violations(plan, baseline))
    assert namespace_delete_findings(baseline, baseline) == []
    # What the refusal prevents: the replay deletes the namespace with the workloads in it.
    tenant.stacks["shop-prod"].up(plan)
    assert any(i not in tenant.cluster.objects for i in tenant.stacks["shop-prod"].identities())
