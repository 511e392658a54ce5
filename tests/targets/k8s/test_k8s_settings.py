"""Settings of the Kubernetes target: the generated schema file, errors, overrides."""

from __future__ import annotations

import json

import jsonschema
import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.resources import data_dir
from greentic_iac.spec import RevisionLifecycle
from greentic_iac.targets.k8s import compile_plan, settings_json_schema_text
from greentic_iac.targets.k8s.settings import SETTINGS_SCHEMA_FILE, K8sSettings
from tests.targets.k8s.k8s_cases import (
    GATEWAY,
    NGINX,
    REGENERATE,
    DeploymentSpec,
    make_state,
)

SCHEMA_PATH = data_dir("envpacks") / "schemas" / SETTINGS_SCHEMA_FILE


def test_settings_schema_file_is_generated_from_the_model() -> None:
    if REGENERATE:
        SCHEMA_PATH.write_text(settings_json_schema_text(), encoding="utf-8")
    assert SCHEMA_PATH.read_text(encoding="utf-8") == settings_json_schema_text(), (
        f"{SCHEMA_PATH.name} is stale: run `make golden` and commit it"
    )


def test_schema_accepts_what_the_model_accepts_and_refuses_typos() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    good = {"routing": GATEWAY, "namespace": "team-a", "replicas": 3}
    jsonschema.validate(good, schema)
    K8sSettings.model_validate(good)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"replica": 3}, schema)


def _one(deployer: dict[str, object], **spec_kwargs: object) -> object:
    spec = DeploymentSpec(
        1,
        "hello-flow",
        "h.example.com",
        [(RevisionLifecycle.READY, 10_000)],
        **spec_kwargs,  # type: ignore[arg-type]
    )
    return make_state([spec], routing=NGINX, settings=deployer)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"replica": 2}, "deployer settings.replica: unknown field"),
        ({"routing": {"mode": "istio"}}, "deployer settings.routing"),
        ({"routing": {"mode": "gateway"}}, "deployer settings.routing.gateway_name"),
        ({"namespace": "Not_A_Label"}, "deployer settings.namespace"),
        ({"resources": {"limits": {"memory": "lots"}}}, "deployer settings.resources.limits"),
    ],
)
def test_bad_settings_name_the_field_in_one_line(settings: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        compile_plan(_one(settings))  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(field), message
    assert "\n" not in message


def test_bad_deployment_override_names_the_deployment() -> None:
    state = _one({}, settings={"routing": {"mode": "nginx"}})
    with pytest.raises(InvalidInputError, match=r"^deployments\.01JDEP\w+\.settings\.routing"):
        compile_plan(state)  # type: ignore[arg-type]


def test_overrides_merge_deeply_deployment_then_revision() -> None:
    state = _one(
        {"resources": {"requests": {"cpu": "200m"}}},
        settings={"replicas": 5, "resources": {"limits": {"memory": "1Gi"}}},
        revision_settings={1: {"port": 9000}},
    )
    plan = compile_plan(state)  # type: ignore[arg-type]
    deployment = next(r for r in plan.resources if r.properties["kind"] == "Deployment")
    spec = deployment.properties["spec"]
    container = spec["template"]["spec"]["containers"][0]
    assert spec["replicas"] == 5
    # The binding's requests replace the default requests (memory unset); the deployment's
    # override changes only limits.memory and keeps the binding's requests.
    assert container["resources"] == {"requests": {"cpu": "200m"}, "limits": {"memory": "1Gi"}}
    assert container["ports"][0]["containerPort"] == 9000


def test_revision_image_wins_and_a_missing_image_is_refused() -> None:
    state = _one({"image": {"repository": None}})
    with pytest.raises(InvalidInputError, match=r"^revisions\.01JREV\w+\.image"):
        compile_plan(state)  # type: ignore[arg-type]
    revision = next(iter(state.revisions.values()))  # type: ignore[attr-defined]
    revision.image = "registry.example.com/hello:1.2.3"
    plan = compile_plan(state)  # type: ignore[arg-type]
    deployment = next(r for r in plan.resources if r.properties["kind"] == "Deployment")
    container = deployment.properties["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/hello:1.2.3"


def test_another_deployer_is_refused() -> None:
    state = _one({})
    binding = state.environment.deployer()  # type: ignore[attr-defined]
    from greentic_iac.spec import PackDescriptor

    binding.kind = PackDescriptor.parse("greentic.deployer.aws-ecs@1.0.0")
    with pytest.raises(InvalidInputError, match=r"not greentic\.deployer\.k8s"):
        compile_plan(state)  # type: ignore[arg-type]


def test_namespace_defaults_to_one_per_environment_and_is_labelled() -> None:
    plan = compile_plan(_one({}))  # type: ignore[arg-type]
    namespace = plan.resource("k8s-namespace").properties
    assert namespace["metadata"]["name"] == "greentic-acme-zain-prod"
    labels = namespace["metadata"]["labels"]
    assert labels["greentic.ai/tenant"] == "acme"
    assert labels["greentic.ai/environment"] == "zain-prod"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"namespace_mode": "existing"}, "greentic-acme"),
        ({"namespace_mode": "existing", "namespace": "shared-acme"}, "shared-acme"),
        ({"create_namespace": False}, "greentic-acme"),
    ],
)
def test_an_existing_namespace_is_used_but_never_owned(settings: dict, expected: str) -> None:
    plan = compile_plan(_one(settings))  # type: ignore[arg-type]
    assert all(r.type != "kubernetes:core/v1:Namespace" for r in plan.resources)
    assert plan.outputs["namespace"] == expected
    assert {r.properties["metadata"]["namespace"] for r in plan.resources} == {expected}


def test_a_long_tenant_and_environment_give_a_dns_label_with_a_hash() -> None:
    from greentic_iac.targets.k8s import naming

    state = _one({})  # type: ignore[assignment]
    environment = state.environment.model_copy(  # type: ignore[attr-defined]
        update={
            "tenant": state.environment.tenant.model_copy(update={"tenant": "t" * 60}),  # type: ignore[attr-defined]
        }
    )
    name = naming.namespace_name(environment, None)
    other = naming.namespace_name(
        environment.model_copy(update={"environment_id": "zain-prod-2"}), None
    )
    assert len(name) == 63 and len(other) == 63 and name != other
    assert name.startswith("greentic-ttt")
