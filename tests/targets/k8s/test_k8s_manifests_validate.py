"""Every manifest of every golden case is valid Kubernetes.

Built-in kinds validate with kubernetes-validate in strict mode (unknown fields are
errors) against Kubernetes 1.30 and the newest bundled version; HTTPRoutes validate
against the Gateway API v1.6.1 CRD schema in the shared/ directory beside the checkout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from greentic_iac.targets.k8s import compile_plan
from tests.targets.k8s.k8s_cases import CASES

REPO_ROOT = Path(__file__).resolve().parents[3]
GATEWAY_CRD = (
    REPO_ROOT
    / ".."
    / "shared"
    / "schemas"
    / "gateway-api"
    / "gateway.networking.k8s.io_httproutes.yaml"
)
VERSIONS = ["1.30.0", latest_version()]


def _manifests(kinds: set[str]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for case, build in sorted(CASES.items()):
        for resource in compile_plan(build()).resources:
            if resource.properties["kind"] in kinds:
                found.append((f"{case}:{resource.name}", resource.properties))
    return found


BUILTIN = _manifests({"Namespace", "Deployment", "Service", "Ingress"})
ROUTES = _manifests({"HTTPRoute"})


def test_cases_cover_every_builtin_kind() -> None:
    assert {m["kind"] for _, m in BUILTIN} == {"Namespace", "Deployment", "Service", "Ingress"}
    assert ROUTES, "no golden case produces an HTTPRoute"


@pytest.mark.parametrize("version", VERSIONS)
def test_builtin_manifests_validate_strictly(version: str) -> None:
    for label, manifest in BUILTIN:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{label} is invalid for Kubernetes {version}: {exc.message}")


def test_strict_validation_catches_an_unknown_field() -> None:
    # The check above is honest only if strict mode really refuses a stray field.
    manifest = next(m for _, m in BUILTIN if m["kind"] == "Deployment")
    broken = {**manifest, "spec": {**manifest["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


def _httproute_schema() -> dict[str, Any]:
    if not GATEWAY_CRD.is_file():
        pytest.skip(f"Gateway API CRD not found at {GATEWAY_CRD} (shared/ beside the checkout)")
    crd = yaml.safe_load(GATEWAY_CRD.read_text(encoding="utf-8"))
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    assert crd["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"] == "v1.6.1"
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def _closed(schema: Any) -> Any:
    """The structural schema with unknown properties refused, as the API server prunes them
    (a stray field would be silently dropped there; here it fails the test instead)."""
    if isinstance(schema, dict):
        closed = {k: _closed(v) for k, v in schema.items()}
        if closed.get("type") == "object" and "properties" in closed:
            closed.setdefault("additionalProperties", False)
        return closed
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


def test_httproutes_validate_against_gateway_api_crd() -> None:
    schema = _closed(_httproute_schema())
    # metadata is typed "object" without properties in a CRD; the API server fills it.
    validator = jsonschema.Draft7Validator(schema)
    for label, manifest in ROUTES:
        errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
        assert not errors, f"{label}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_crd_schema_catches_a_weight_out_of_range() -> None:
    schema = _closed(_httproute_schema())
    label, manifest = ROUTES[0]
    rules = [dict(rule) for rule in manifest["spec"]["rules"]]
    rules[-1] = {**rules[-1], "backendRefs": [{**rules[-1]["backendRefs"][0], "weight": 1_000_001}]}
    broken = {**manifest, "spec": {**manifest["spec"], "rules": rules}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken)), label
