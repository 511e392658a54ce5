"""``secrets put/get/list`` on the sample k8s environment through a fake kubectl on PATH."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.integration.secrets.conftest import (
    K8S_ANSWERS,
    SHARED_SECRET_SETTINGS,
    FakeKubectl,
    home_text,
    make_cli,
    put,
)

pytestmark = pytest.mark.integration

VALUE = "s3cr3t value\nwith a second line and ünïcode"
ENCODED = base64.b64encode(VALUE.encode("utf-8")).decode("ascii")


def test_put_get_list_round_trip_never_puts_the_value_on_a_command_line(
    tmp_path: Path, fake_kubectl: FakeKubectl
) -> None:
    cli = make_cli(tmp_path, K8S_ANSWERS)
    first = put(cli, tmp_path, "zain-prod", "DB_Password", VALUE)
    assert first.code == 0, first.stderr
    assert first.result["outcome"] == "created"
    assert first.result["reference"] == "acme/greentic-db-password#value"
    second = put(cli, tmp_path, "zain-prod", "DB_Password", VALUE + "!")
    assert second.code == 0, second.stderr
    assert second.result["outcome"] == "updated"

    stored = fake_kubectl.objects("acme")["greentic-db-password"]
    assert stored["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "greentic-iac",
        "greentic.ai/environment": "zain-prod",
    }
    assert stored["metadata"]["annotations"] == {"greentic.ai/secret-name": "DB_Password"}
    assert stored["type"] == "Opaque"
    assert base64.b64decode(stored["data"]["value"]).decode("utf-8") == VALUE + "!"

    got = cli("secrets", "get", "zain-prod", "DB_Password")
    assert got.code == 0, got.stderr
    assert got.result["value"] == VALUE + "!"
    listed = cli("secrets", "list", "zain-prod")
    assert listed.code == 0, listed.stderr
    assert listed.result["secrets"] == [{"name": "DB_Password"}]

    calls = fake_kubectl.calls()
    assert calls, "kubectl was never called"
    for argv in calls:
        joined = " ".join(argv)
        assert "s3cr3t" not in joined and ENCODED[:12] not in joined
        assert "--context=zain-prod-eks" in argv
        assert argv[argv.index("--namespace") + 1] == "acme"
        assert any(a.startswith("--request-timeout=") for a in argv)
    applies = [a for a in calls if "apply" in a]
    assert len(applies) == 2 and all(a[-2:] == ["-f", "-"] for a in applies)
    for outcome in (first, second, listed):
        assert "s3cr3t" not in outcome.stdout + outcome.stderr
    assert "s3cr3t" not in home_text(tmp_path) and ENCODED not in home_text(tmp_path)


def test_secret_refs_write_only_their_key_of_a_shared_secret(
    tmp_path: Path, fake_kubectl: FakeKubectl
) -> None:
    shared = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "platform-creds", "namespace": "acme"},
        "type": "Opaque",
        "data": {"OTHER": base64.b64encode(b"keep me").decode("ascii")},
    }
    fake_kubectl.seed(shared)
    cli = make_cli(tmp_path, K8S_ANSWERS, SHARED_SECRET_SETTINGS)
    written = put(cli, tmp_path, "zain-prod", "db", "postgres://u:p@h/db")
    assert written.code == 0, written.stderr
    assert written.result == {
        "name": "db",
        "outcome": "created",
        "backend": "greentic.secrets.k8s",
        "reference": "acme/platform-creds#DB_URL",
    }
    data = fake_kubectl.objects("acme")["platform-creds"]["data"]
    assert set(data) == {"OTHER", "DB_URL"}
    assert cli("secrets", "get", "zain-prod", "db").result["value"] == "postgres://u:p@h/db"
    # A mapped name is listed from the settings; the unmanaged Secret is not labelled.
    assert cli("secrets", "list", "zain-prod").result["secrets"] == [{"name": "db"}]
    assert "labels" not in fake_kubectl.objects("acme")["platform-creds"]["metadata"]


def test_no_context_flag_without_a_kube_context(tmp_path: Path, fake_kubectl: FakeKubectl) -> None:
    deployer = json.loads(K8S_ANSWERS.read_text(encoding="utf-8"))["packs"][0]["settings"]
    deployer.pop("kube_context")
    cli = make_cli(tmp_path, K8S_ANSWERS, deployer_settings=deployer)
    assert put(cli, tmp_path, "zain-prod", "token", "abc123xyz").code == 0
    assert fake_kubectl.calls()
    assert not any(a.startswith("--context") for argv in fake_kubectl.calls() for a in argv)


def test_missing_secret_is_not_found(tmp_path: Path, fake_kubectl: FakeKubectl) -> None:
    cli = make_cli(tmp_path, K8S_ANSWERS)
    outcome = cli("secrets", "get", "zain-prod", "nope")
    assert outcome.code == 2
    line = outcome.stderr.strip()
    assert "\n" not in line and "acme/greentic-nope does not exist" in line


def test_kubectl_missing_is_exit_3_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "zain-prod")
    cli = make_cli(tmp_path, K8S_ANSWERS)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    outcome = put(cli, tmp_path, "zain-prod", "token", "abc123xyz")
    assert outcome.code == 3
    line = outcome.stderr.strip()
    assert "\n" not in line and "kubectl: not found on PATH" in line
    assert "install kubectl" in line and "https://kubernetes.io/docs/tasks/tools/" in line


def test_hanging_kubectl_is_killed_after_the_timeout(
    tmp_path: Path, fake_kubectl: FakeKubectl, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, K8S_ANSWERS)
    monkeypatch.setenv("FAKE_KUBECTL_MODE", "hang")
    monkeypatch.setenv("GREENTIC_KUBECTL_TIMEOUT", "1")
    # The fake sleeps far beyond pytest's own timeout: only the backend's kill ends it.
    outcome = cli("secrets", "list", "zain-prod")
    assert outcome.code == 1
    assert "did not answer within 1.5s (killed)" in outcome.stderr
    assert "--request-timeout=1s" in fake_kubectl.calls()[0]


def test_rbac_denial_is_exit_3_naming_the_permission(
    tmp_path: Path, fake_kubectl: FakeKubectl, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, K8S_ANSWERS)
    monkeypatch.setenv("FAKE_KUBECTL_MODE", "forbidden")
    outcome = cli("secrets", "list", "zain-prod")
    assert outcome.code == 3
    assert "Forbidden" in outcome.stderr and "RBAC" in outcome.stderr


def test_bad_timeout_variable_is_exit_2(
    tmp_path: Path, fake_kubectl: FakeKubectl, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, K8S_ANSWERS)
    monkeypatch.setenv("GREENTIC_KUBECTL_TIMEOUT", "soon")
    outcome = cli("secrets", "list", "zain-prod")
    assert outcome.code == 2 and "GREENTIC_KUBECTL_TIMEOUT" in outcome.stderr
    assert fake_kubectl.calls() == []


def test_put_refuses_a_secret_of_another_environment(
    tmp_path: Path, fake_kubectl: FakeKubectl
) -> None:
    foreign = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "greentic-token",
            "namespace": "acme",
            "labels": {
                "app.kubernetes.io/managed-by": "greentic-iac",
                "greentic.ai/environment": "zain-staging",
            },
            "annotations": {"greentic.ai/secret-name": "token"},
        },
        "data": {"value": base64.b64encode(b"theirs").decode("ascii")},
    }
    fake_kubectl.seed(foreign)
    cli = make_cli(tmp_path, K8S_ANSWERS)
    outcome = put(cli, tmp_path, "zain-prod", "token", "mine")
    assert outcome.code == 4
    assert "belongs to environment 'zain-staging'" in outcome.stderr
    assert fake_kubectl.objects("acme")["greentic-token"] == foreign
    assert cli("secrets", "list", "zain-prod").result["secrets"] == []
