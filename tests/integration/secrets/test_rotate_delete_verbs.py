"""``secrets rotate`` and ``secrets delete`` on all three backends, through the CLI.

AWS Secrets Manager on a moto server, Kubernetes Secrets through the fake kubectl, and the
dev-store's files: a rotation keeps the replaced value where each backend keeps it, a
deletion honours the recovery window where there is one, and nothing prints a value.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.secrets.conftest import (
    AWS_ANSWERS,
    K8S_ANSWERS,
    SHARED_SECRET_SETTINGS,
    Cli,
    FakeKubectl,
    home_text,
    make_cli,
    put,
    run_cli,
    write_answers,
)

pytestmark = pytest.mark.integration

OLD = "old-value-a1b2"
NEW = "new-value-c3d4"


def _rotate(cli: Cli, tmp_path: Path, environment_id: str, name: str, **extra: Any) -> Any:
    payload = {"environment_id": environment_id, "name": name, **extra}
    return cli("secrets", "rotate", "--answers", write_answers(tmp_path, payload))


def _delete(
    cli: Cli, tmp_path: Path, environment_id: str, name: str, *flags: str, **extra: Any
) -> Any:
    payload = {"environment_id": environment_id, "name": name, **extra}
    return cli("secrets", "delete", "--answers", write_answers(tmp_path, payload), *flags)


def _secretsmanager() -> Any:
    return boto3.client("secretsmanager", region_name="eu-west-1")


def _audit_verbs(cli: Cli, environment_id: str, outcome: str = "ok") -> list[dict[str, Any]]:
    """The completed rotate/delete operations with ``outcome``, oldest first."""
    events = cli("audit", "list", environment_id).result["events"]
    return [
        e
        for e in events
        if e["verb"] in ("secrets rotate", "secrets delete")
        and e["phase"] == "done"
        and e.get("outcome") == outcome
    ]


# ---- AWS Secrets Manager ------------------------------------------------------------------


def test_aws_rotate_keeps_the_old_value_as_awsprevious(tmp_path: Path, aws_env: str) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "rot/"})
    assert put(cli, tmp_path, "prod-eu", "db-password", OLD).code == 0
    rotated = _rotate(cli, tmp_path, "prod-eu", "db-password", value=NEW)
    assert rotated.code == 0, rotated.stderr
    assert rotated.result["outcome"] == "rotated" and rotated.result["generated"] is False
    assert "AWSPREVIOUS" in rotated.result["previous"]

    client = _secretsmanager()
    current = client.get_secret_value(SecretId="rot/prod-eu/db-password")
    previous = client.get_secret_value(
        SecretId="rot/prod-eu/db-password", VersionStage="AWSPREVIOUS"
    )
    assert (current["SecretString"], previous["SecretString"]) == (NEW, OLD)
    assert current["VersionId"] == rotated.result["version"]
    assert previous["VersionId"] in rotated.result["previous"]

    # Without a value, a random one is generated, stored, and never printed.
    generated = _rotate(cli, tmp_path, "prod-eu", "db-password")
    assert generated.code == 0 and generated.result["generated"] is True
    value = client.get_secret_value(SecretId="rot/prod-eu/db-password")["SecretString"]
    assert len(value) >= 40 and value not in generated.stdout + generated.stderr
    assert value not in home_text(tmp_path) and NEW not in home_text(tmp_path)
    assert [e["verb"] for e in _audit_verbs(cli, "prod-eu")] == ["secrets rotate"] * 2

    missing = _rotate(cli, tmp_path, "prod-eu", "nope", value=NEW)
    assert missing.code == 2 and "ResourceNotFoundException" in missing.stderr


def test_aws_delete_has_a_recovery_window_unless_forced(tmp_path: Path, aws_env: str) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "del/"})
    for name in ("kept", "windowed", "gone"):
        assert put(cli, tmp_path, "prod-eu", name, OLD).code == 0
    client = _secretsmanager()

    default = _delete(cli, tmp_path, "prod-eu", "kept")
    assert default.code == 0, default.stderr
    assert default.result["outcome"] == "scheduled-for-deletion"
    described = client.describe_secret(SecretId="del/prod-eu/kept")
    assert described["DeletedDate"] is not None
    window = described["DeletedDate"]
    assert default.result["recoverable_until"] is not None
    # Scheduled secrets leave the list, and deleting again is a conflict, not a new window.
    assert {"name": "kept"} not in cli("secrets", "list", "prod-eu").result["secrets"]
    again = _delete(cli, tmp_path, "prod-eu", "kept")
    assert again.code == 4 and "already scheduled" in again.stderr
    client.restore_secret(SecretId="del/prod-eu/kept")
    assert client.get_secret_value(SecretId="del/prod-eu/kept")["SecretString"] == OLD

    seven = _delete(cli, tmp_path, "prod-eu", "windowed", recovery_window_days=7)
    assert seven.code == 0, seven.stderr
    assert seven.result["recoverable_until"] < default.result["recoverable_until"]
    assert window is not None

    forced = _delete(cli, tmp_path, "prod-eu", "gone", "--force-delete-without-recovery")
    assert forced.code == 0, forced.stderr
    assert forced.result["outcome"] == "deleted" and forced.result["recoverable_until"] is None
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_secret(SecretId="del/prod-eu/gone")
    audited = _audit_verbs(cli, "prod-eu")
    assert [e["verb"] for e in audited] == ["secrets delete"] * 3

    missing = _delete(cli, tmp_path, "prod-eu", "never-was", "--force-delete-without-recovery")
    assert missing.code == 2 and "never-was" in missing.stderr


@pytest.mark.parametrize(
    ("extra", "flags", "field"),
    [
        ({"recovery_window_days": 3}, (), "recovery_window_days"),
        ({"recovery_window_days": 31}, (), "recovery_window_days"),
        (
            {"recovery_window_days": 7, "force_delete_without_recovery": True},
            (),
            "not both",
        ),
        ({"recovery_window_days": 7}, ("--force-delete-without-recovery",), "recovery_window"),
        ({"name": "bad name"}, (), "name"),
        ({"colour": "red"}, (), "colour"),
    ],
)
def test_bad_delete_payloads_are_exit_2_and_delete_nothing(
    tmp_path: Path, aws_env: str, extra: dict[str, Any], flags: tuple[str, ...], field: str
) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "bad/"})
    assert put(cli, tmp_path, "prod-eu", "keep", OLD).code == 0
    payload = {"environment_id": "prod-eu", "name": "keep", **extra}
    outcome = cli("secrets", "delete", "--answers", write_answers(tmp_path, payload), *flags)
    assert outcome.code == 2, (outcome.code, outcome.stderr)
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], lines
    assert "DeletedDate" not in _secretsmanager().describe_secret(SecretId="bad/prod-eu/keep")


def test_aws_never_deletes_a_mapped_arn_and_needs_the_grant(
    tmp_path: Path, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _secretsmanager()
    arn = client.create_secret(Name="shared/rotate-me", SecretString=OLD)["ARN"]
    settings = {"region": "eu-west-1", "name_prefix": "map/", "secret_arns": {"shared": arn}}
    cli = make_cli(tmp_path, AWS_ANSWERS, settings)
    refused = _delete(cli, tmp_path, "prod-eu", "shared", "--force-delete-without-recovery")
    assert refused.code == 4 and "secret_arns.shared" in refused.stderr
    assert "DeletedDate" not in client.describe_secret(SecretId=arn)
    # Rotating a mapped secret is allowed: it is a new version, not a new secret.
    assert _rotate(cli, tmp_path, "prod-eu", "shared", value=NEW).code == 0
    assert client.get_secret_value(SecretId=arn)["SecretString"] == NEW

    monkeypatch.delenv("GREENTIC_GRANT")
    denied = _rotate(cli, tmp_path, "prod-eu", "shared", value=OLD)
    assert denied.code == 2 and "denied" in denied.stderr
    assert client.get_secret_value(SecretId=arn)["SecretString"] == NEW
    denied_delete = _delete(cli, tmp_path, "prod-eu", "shared")
    assert denied_delete.code == 2 and "denied" in denied_delete.stderr
    events = cli("audit", "list", "prod-eu").result["events"]
    denials = [e["verb"] for e in events if e["decision"] == "deny"]
    assert denials == ["secrets rotate", "secrets delete"]


# ---- Kubernetes ---------------------------------------------------------------------------


def _decoded(fake: FakeKubectl, secret: str) -> dict[str, str]:
    data = fake.objects("acme")[secret]["data"]
    return {k: base64.b64decode(v).decode("utf-8") for k, v in data.items()}


def test_k8s_rotate_keeps_the_previous_value_and_put_does_not_drop_it(
    tmp_path: Path, fake_kubectl: FakeKubectl
) -> None:
    cli = make_cli(tmp_path, K8S_ANSWERS)
    assert put(cli, tmp_path, "zain-prod", "token", OLD).code == 0
    rotated = _rotate(cli, tmp_path, "zain-prod", "token", value=NEW)
    assert rotated.code == 0, rotated.stderr
    assert rotated.result["reference"] == "acme/greentic-token#value"
    assert rotated.result["previous"] == "acme/greentic-token#value.previous"
    assert _decoded(fake_kubectl, "greentic-token") == {"value": NEW, "value.previous": OLD}
    assert cli("secrets", "get", "zain-prod", "token").result["value"] == NEW

    # The previous key has its own field manager, so a put (which applies only "value")
    # leaves it in place on a real API server too.
    applies = [a for a in fake_kubectl.calls() if "apply" in a]
    managers = [next(x for x in a if x.startswith("--field-manager=")) for a in applies]
    assert managers[-2:] == [
        "--field-manager=greentic-secret-token.previous",
        "--field-manager=greentic-secret-token",
    ]
    for argv in fake_kubectl.calls():
        assert not any(OLD in a or NEW in a for a in argv)
    assert OLD not in rotated.stdout + rotated.stderr and NEW not in home_text(tmp_path)

    missing = _rotate(cli, tmp_path, "zain-prod", "nope", value=NEW)
    assert missing.code == 2 and "does not exist" in missing.stderr


def test_k8s_delete_removes_greentics_secret_only(
    tmp_path: Path, fake_kubectl: FakeKubectl
) -> None:
    shared = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "platform-creds", "namespace": "acme"},
        "data": {"DB_URL": base64.b64encode(b"x").decode("ascii")},
    }
    fake_kubectl.seed(shared)
    cli = make_cli(tmp_path, K8S_ANSWERS, SHARED_SECRET_SETTINGS)
    assert put(cli, tmp_path, "zain-prod", "token", OLD).code == 0

    window = _delete(cli, tmp_path, "zain-prod", "token", recovery_window_days=7)
    assert window.code == 2 and "recovery_window_days" in window.stderr
    assert "greentic-token" in fake_kubectl.objects("acme")

    deleted = _delete(cli, tmp_path, "zain-prod", "token")
    assert deleted.code == 0, deleted.stderr
    assert deleted.result["outcome"] == "deleted" and deleted.result["recoverable_until"] is None
    assert "greentic-token" not in fake_kubectl.objects("acme")
    assert cli("secrets", "list", "zain-prod").result["secrets"] == [{"name": "db"}]

    refused = _delete(cli, tmp_path, "zain-prod", "db")
    assert refused.code == 4 and "secret_refs.db" in refused.stderr
    assert "platform-creds" in fake_kubectl.objects("acme")
    assert [e["verb"] for e in _audit_verbs(cli, "zain-prod")] == ["secrets delete"]


# ---- dev-store ----------------------------------------------------------------------------


def test_dev_store_rotate_keeps_one_previous_and_delete_removes_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0

    def cli(*argv: str) -> Any:
        return run_cli(home, *argv)

    assert put(cli, tmp_path, "local", "api-key", OLD).code == 0
    first = _rotate(cli, tmp_path, "local", "api-key", value=NEW)
    assert first.code == 0, first.stderr
    previous_file = home / "secrets" / "local.previous.json"
    assert first.result["previous"] == f"{previous_file}#api-key"
    assert json.loads(previous_file.read_text(encoding="utf-8")) == {"api-key": OLD}
    assert stat.S_IMODE(previous_file.stat().st_mode) == 0o600
    assert run_cli(home, "secrets", "get", "local", "api-key").result["value"] == NEW
    assert _rotate(cli, tmp_path, "local", "api-key", value="third").code == 0
    assert json.loads(previous_file.read_text(encoding="utf-8")) == {"api-key": NEW}

    missing = _rotate(cli, tmp_path, "local", "nope", value=NEW)
    assert missing.code == 2 and "'nope' is not set" in missing.stderr

    # A keyed retry replays the first rotation instead of rotating again.
    keyed = _rotate(cli, tmp_path, "local", "api-key", idempotency_key="rotate-1")
    assert keyed.code == 0, keyed.stderr
    rotated_to = run_cli(home, "secrets", "get", "local", "api-key").result["value"]
    retry = _rotate(cli, tmp_path, "local", "api-key", idempotency_key="rotate-1")
    assert retry.code == 0 and retry.result == keyed.result
    assert run_cli(home, "secrets", "get", "local", "api-key").result["value"] == rotated_to
    assert json.loads(previous_file.read_text(encoding="utf-8")) == {"api-key": "third"}
    stale = _rotate(cli, tmp_path, "local", "api-key", value="x", expected_generation=0)
    assert stale.code == 4

    forced = _delete(cli, tmp_path, "local", "api-key", recovery_window_days=30)
    assert forced.code == 2 and "recovery_window_days" in forced.stderr
    deleted = _delete(cli, tmp_path, "local", "api-key")
    assert deleted.code == 0, deleted.stderr
    assert run_cli(home, "secrets", "list", "local").result["secrets"] == []
    assert json.loads(previous_file.read_text(encoding="utf-8")) == {}
    assert _delete(cli, tmp_path, "local", "api-key").code == 2
    verbs = [e["verb"] for e in _audit_verbs(cli, "local")]
    # Three rotations and the keyed retry's replay (audited as such), then the deletion.
    assert verbs == ["secrets rotate"] * 4 + ["secrets delete"]


def test_rotate_takes_a_token_shaped_value_that_plain_fields_refuse(tmp_path: Path) -> None:
    from tests.reliability.bundles.archives import DIGITS, LOWER, seeded

    home = tmp_path / "home"
    assert run_cli(home, "env", "init").code == 0

    def cli(*argv: str) -> Any:
        return run_cli(home, *argv)

    token = "ghp_" + seeded("rotate-token", LOWER + DIGITS, 36)
    assert put(cli, tmp_path, "local", "gh", OLD).code == 0
    rotated = _rotate(cli, tmp_path, "local", "gh", value=token)
    assert rotated.code == 0, rotated.stderr
    assert run_cli(home, "secrets", "get", "local", "gh").result["value"] == token
    # The screen still holds for the other fields of the same payload.
    refused = _rotate(cli, tmp_path, "local", "gh", value="x", idempotency_key=token[:40])
    assert refused.code == 2 and token not in refused.stderr
    assert "idempotency_key" in refused.stderr and "GitHub token" in refused.stderr
