"""The Kubernetes Secrets backend's naming, manifests and ownership checks (kubectl stubbed)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greentic_iac.errors import ConflictError
from greentic_iac.secrets import KubernetesSecrets, SecretNotFoundError, SecretsAccessError
from greentic_iac.secrets.k8s import field_manager, secret_object_name
from greentic_iac.secrets.kubectl import Kubectl, KubectlResult

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LOGICAL_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DB_Password", "greentic-db-password"),
        ("api.token", "greentic-api.token"),
        ("a.-b", "greentic-a.b"),
        ("a-.b", "greentic-a.b"),
        ("a..b", "greentic-a.b"),
        ("x_", "greentic-x"),
        ("y.", "greentic-y"),
    ],
)
def test_object_names(name: str, expected: str) -> None:
    assert secret_object_name(name) == expected


@given(st.from_regex(LOGICAL_NAME, fullmatch=True))
def test_every_logical_name_becomes_a_dns_subdomain(name: str) -> None:
    object_name = secret_object_name(name)
    assert DNS_SUBDOMAIN.match(object_name) and len(object_name) <= 253
    assert object_name.startswith("greentic-")


@given(st.from_regex(LOGICAL_NAME, fullmatch=True))
def test_field_managers_fit_and_differ_per_name(name: str) -> None:
    manager = field_manager(name)
    assert len(manager) <= 128
    assert manager != field_manager(name + "x")


@dataclass(frozen=True)
class ScriptedKubectl(Kubectl):
    """Answers from a dict of Secret objects; records argv and stdin."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[list[str], str]] = field(default_factory=list)

    def executable(self) -> str:
        return "/fake/kubectl"

    def run(
        self, arguments: Sequence[str], *, what: str, stdin: str = "", secret: str = ""
    ) -> KubectlResult:
        argv = self.argv(arguments)
        self.calls.append((argv, stdin))
        rest = list(arguments)
        if rest[0] == "apply":
            manifest = json.loads(stdin)
            name = manifest["metadata"]["name"]
            current = self.objects.get(name, {})
            merged = {**current, **manifest}
            merged["data"] = {**current.get("data", {}), **manifest["data"]}
            self.objects[name] = merged
            return KubectlResult(0, f"secret/{name}\n", "")
        if rest[:2] == ["get", "secret"]:
            found = self.objects.get(rest[2])
            return KubectlResult(0, json.dumps(found) if found else "", "")
        if rest[:2] == ["get", "secrets"]:
            return KubectlResult(0, json.dumps({"items": list(self.objects.values())}), "")
        raise AssertionError(rest)


def _backend(
    objects: dict[str, dict[str, Any]] | None = None, refs: dict[str, Any] | None = None
) -> tuple[KubernetesSecrets, ScriptedKubectl]:
    kubectl = ScriptedKubectl(namespace="acme", context="ctx", objects=objects or {})
    refs = {k: {"secret": s, "key": key} for k, (s, key) in (refs or {}).items()}
    backend = KubernetesSecrets.from_settings(
        "zain-prod", {"namespace": "acme", "secret_refs": refs}
    )
    backend.kubectl = kubectl
    return backend, kubectl


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def test_put_applies_one_labelled_secret_on_stdin_only() -> None:
    backend, kubectl = _backend()
    outcome = backend.put("Token", "v@lue")
    assert outcome.created and outcome.reference == "acme/greentic-token#value"
    applied = [(argv, stdin) for argv, stdin in kubectl.calls if "apply" in argv]
    assert len(applied) == 1
    argv, stdin = applied[0]
    assert argv[:3] == ["/fake/kubectl", "--request-timeout=20s", "--context=ctx"]
    assert "--server-side" in argv and "--field-manager=greentic-secret-Token" in argv
    assert "v@lue" not in " ".join(argv) and _encoded("v@lue") not in " ".join(argv)
    manifest = json.loads(stdin)
    assert manifest == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "greentic-token",
            "namespace": "acme",
            "labels": {
                "app.kubernetes.io/managed-by": "greentic-iac",
                "greentic.ai/environment": "zain-prod",
            },
            "annotations": {"greentic.ai/secret-name": "Token"},
        },
        "type": "Opaque",
        "data": {"value": _encoded("v@lue")},
    }
    assert backend.get("Token") == "v@lue"
    assert backend.put("Token", "again").created is False


def test_two_names_that_lowercase_alike_do_not_share_an_object() -> None:
    backend, _ = _backend()
    backend.put("Token", "first")
    with pytest.raises(ConflictError, match="already holds secret 'Token'"):
        backend.put("token", "second")
    assert backend.get("Token") == "first"


def test_an_unmanaged_secret_with_the_name_is_refused() -> None:
    existing = {"metadata": {"name": "greentic-token"}, "data": {"value": _encoded("x")}}
    backend, kubectl = _backend({"greentic-token": existing})
    with pytest.raises(ConflictError, match="not managed by greentic; map 'token'"):
        backend.put("token", "mine")
    assert not any("apply" in argv for argv, _ in kubectl.calls)


def test_secret_refs_keep_the_existing_type_and_other_keys() -> None:
    tls = {
        "metadata": {"name": "edge-tls"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": _encoded("cert")},
    }
    backend, kubectl = _backend({"edge-tls": tls}, refs={"key": ("edge-tls", "tls.key")})
    outcome = backend.put("key", "PRIVATE")
    assert outcome.created is True and outcome.reference == "acme/edge-tls#tls.key"
    manifest = json.loads(next(stdin for argv, stdin in kubectl.calls if "apply" in argv))
    assert "type" not in manifest and "labels" not in manifest["metadata"]
    assert set(kubectl.objects["edge-tls"]["data"]) == {"tls.crt", "tls.key"}
    assert backend.get("key") == "PRIVATE"
    assert backend.put("key", "NEWER").created is False


def test_get_reports_a_missing_object_or_key() -> None:
    backend, _ = _backend(
        {"shared": {"metadata": {"name": "shared"}, "data": {"a": _encoded("x")}}},
        refs={"b": ("shared", "b"), "c": ("absent", "c")},
    )
    with pytest.raises(SecretNotFoundError, match="acme/shared has no key 'b'"):
        backend.get("b")
    with pytest.raises(SecretNotFoundError, match="acme/absent does not exist"):
        backend.get("c")


def test_names_are_annotations_of_this_environment_plus_refs() -> None:
    backend, kubectl = _backend(refs={"mapped": ("shared", "k")})
    backend.put("One", "1")
    backend.put("two", "2")
    assert backend.names() == ["One", "mapped", "two"]
    argv = kubectl.calls[-1][0]
    selector = argv[argv.index("-l") + 1]
    assert selector == "app.kubernetes.io/managed-by=greentic-iac,greentic.ai/environment=zain-prod"


def test_a_value_that_is_not_base64_text_is_an_error() -> None:
    broken = {
        "metadata": {
            "name": "greentic-x",
            "labels": {
                "app.kubernetes.io/managed-by": "greentic-iac",
                "greentic.ai/environment": "zain-prod",
            },
        },
        "data": {"value": "%%%"},
    }
    backend, _ = _backend({"greentic-x": broken})
    with pytest.raises(Exception, match="not base64 UTF-8 text"):
        backend.get("x")


@pytest.mark.parametrize(
    ("stderr", "kind", "fragment"),
    [
        ('Error from server (Forbidden): secrets "x" is forbidden', SecretsAccessError, "RBAC"),
        ("error: You must be logged in to the server (Unauthorized)", SecretsAccessError, "kube"),
        ("Unable to connect to the server: dial tcp: i/o timeout", Exception, "Unable"),
    ],
)
def test_kubectl_failures_are_classified(stderr: str, kind: type[Exception], fragment: str) -> None:
    kubectl = Kubectl(namespace="acme")
    error = kubectl.failure("secrets list", KubectlResult(1, "", "Warning: x\n" + stderr + "\n"))
    assert isinstance(error, kind) and fragment in str(error) and "\n" not in str(error)
