"""``credentials bootstrap``: the deployer identity on moto's IAM and on a fake cluster, the
rules pack it exports, and ``credentials validate --rules-pack`` reading it back."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.integration.verbs.conftest import Outcome, Seeded
from tests.integration.verbs.fake_kubectl_rbac import TOKEN
from tests.support.fake_kubectl import FakeKubectl, install_fake_kubectl

pytestmark = pytest.mark.integration

Cli = Callable[..., Outcome]
PRINCIPAL = "arn:aws:iam::123456789012:role/ci-runner"
OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
FAKE_KUBECTL = Path(__file__).with_name("fake_kubectl_rbac.py")


@pytest.fixture
def aws(aws_env: str) -> str:
    """The module's moto server, emptied: each test starts with no IAM roles."""
    import urllib.request

    request = urllib.request.Request(f"{aws_env}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return aws_env


def _iam() -> Any:
    return boto3.client("iam", region_name="eu-west-1")


def _document(raw: Any) -> Any:
    from urllib.parse import unquote

    return json.loads(unquote(raw)) if isinstance(raw, str) else raw


def _audit(cli: Cli, environment_id: str) -> list[dict[str, Any]]:
    """The bootstrap's outcome events (not the grant decisions recorded before each)."""
    events = cli("audit", "list", environment_id).result["events"]
    return [
        e
        for e in events
        if e["verb"] == "credentials bootstrap" and "authorized" not in (e["result"] or {})
    ]


def test_aws_bootstrap_creates_the_role_with_exactly_the_printed_policy(
    cli: Cli, aws: str, tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    first = cli("credentials", "bootstrap", "prod-eu", "--principal", PRINCIPAL,
                "--rules-pack", str(pack))  # fmt: skip
    assert first.code == 0, first.stderr
    result = first.result
    assert result["role_name"] == "greentic-iac-deployer-prod-eu"
    assert "created role" in result["changes"] and "put inline policy" in result["changes"]
    printed = json.loads(cli("credentials", "policy", "prod-eu").stdout)
    iam = _iam()
    role = iam.get_role(RoleName=result["role_name"])["Role"]
    assert role["Arn"] == result["role_arn"]
    trust = _document(role["AssumeRolePolicyDocument"])
    assert trust["Statement"][0]["Principal"] == {"AWS": PRINCIPAL}
    assert iam.list_role_policies(RoleName=result["role_name"])["PolicyNames"] == [
        "greentic-iac-deployer"
    ]
    inline = iam.get_role_policy(RoleName=result["role_name"], PolicyName="greentic-iac-deployer")
    assert _document(inline["PolicyDocument"]) == printed
    # The pack: the documents as applied and a manifest of their hashes.
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["environment_id"] == "prod-eu" and manifest["identity"]["role_arn"]
    assert json.loads((pack / "identity-policy.json").read_text(encoding="utf-8")) == printed
    assert json.loads((pack / "trust-policy.json").read_text(encoding="utf-8")) == trust
    import hashlib

    for entry in manifest["documents"]:
        digest = hashlib.sha256((pack / entry["path"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"]
    before = {p.name: p.stat().st_mtime_ns for p in pack.iterdir()}
    second = cli("credentials", "bootstrap", "prod-eu", "--principal", PRINCIPAL,
                 "--rules-pack", str(pack))  # fmt: skip
    assert second.code == 0, second.stderr
    assert second.result["changes"] == [] and second.result["rules_pack"]["written"] == []
    assert {p.name: p.stat().st_mtime_ns for p in pack.iterdir()} == before
    events = _audit(cli, "prod-eu")
    assert len(events) == 2 and events[-1]["outcome"] == "ok"
    checked = cli("credentials", "validate", "prod-eu", "--allow-unverified",
                  "--rules-pack", str(pack))  # fmt: skip
    assert checked.code == 0, checked.stderr
    assert checked.result["rules_pack"]["ok"] is True


def test_aws_validate_rules_pack_finds_an_edit_and_a_changed_live_policy(
    cli: Cli, aws: str, tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    args = ("--principal", PRINCIPAL, "--rules-pack", str(pack), "--role-name", "deployer-b")
    assert cli("credentials", "bootstrap", "prod-eu", *args).code == 0
    iam = _iam()
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}]}  # fmt: skip
    iam.put_role_policy(RoleName="deployer-b", PolicyName="greentic-iac-deployer",
                        PolicyDocument=json.dumps(narrow))  # fmt: skip
    iam.put_role_policy(RoleName="deployer-b", PolicyName="extra",
                        PolicyDocument=json.dumps(narrow))  # fmt: skip
    validate = ("credentials", "validate", "prod-eu", "--allow-unverified", "--rules-pack")
    drifted = cli(*validate, str(pack))
    assert drifted.code == 3
    assert any("deployer-b" in p for p in drifted.result["rules_pack"]["problems"])
    healed = cli("credentials", "bootstrap", "prod-eu", *args)
    assert healed.code == 0, healed.stderr
    assert set(healed.result["changes"]) == {"removed inline policy extra", "updated inline policy"}
    assert cli(*validate, str(pack)).code == 0
    policy_file = pack / "identity-policy.json"
    policy_file.write_text(policy_file.read_text(encoding="utf-8") + " ", encoding="utf-8")
    edited = cli(*validate, str(pack))
    assert edited.code == 3
    assert edited.result["rules_pack"]["problems"] == [
        "identity-policy.json: sha256 differs from the manifest (edited?)"
    ]


def test_aws_bootstrap_trusts_the_ci_oidc_provider_with_a_subject(
    cli: Cli, aws: str, tmp_path: Path
) -> None:
    outcome = cli("credentials", "bootstrap", "prod-eu", "--oidc-provider", OIDC,
                  "--oidc-subject", "repo:acme/infra:ref:refs/heads/main",
                  "--rules-pack", str(tmp_path / "pack"))  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    role = _iam().get_role(RoleName="greentic-iac-deployer-prod-eu")["Role"]
    statement = _document(role["AssumeRolePolicyDocument"])["Statement"][0]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": OIDC}
    host = "token.actions.githubusercontent.com"
    assert statement["Condition"] == {
        "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{host}:sub": "repo:acme/infra:ref:refs/heads/main"},
    }


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        ((), "--principal"),
        (("--principal", PRINCIPAL, "--oidc-provider", OIDC), "--principal"),
        (("--principal", "ci-runner"), "--principal"),
        (("--oidc-provider", OIDC), "--oidc-subject"),
        (("--oidc-provider", "arn:aws:iam::1:role/x", "--oidc-subject", "s"), "--oidc-provider"),
        (("--principal", PRINCIPAL, "--role-name", "bad name"), "--role-name"),
        (("--principal", PRINCIPAL, "--kubeconfig", "/tmp/k"), "--kubeconfig"),
        (("--principal", PRINCIPAL, "--timeout", "0"), "--timeout"),
    ],
)
def test_aws_bootstrap_bad_flags_are_exit_2_and_touch_nothing(
    cli: Cli, aws: str, seeded: Seeded, flags: tuple[str, ...], field: str
) -> None:
    outcome = cli("credentials", "bootstrap", "prod-eu", *flags)
    assert outcome.code == 2
    assert outcome.stderr.count("\n") == 1 and field in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert not _audit(cli, "prod-eu")
    assert not (seeded.home / "rules-packs").exists()
    roles = _iam().list_roles()["Roles"]
    assert "greentic-iac-deployer-prod-eu" not in {r["RoleName"] for r in roles}


def test_aws_bootstrap_needs_the_grant_and_refuses_a_foreign_role(
    cli: Cli, aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GREENTIC_GRANT")
    denied = cli("credentials", "bootstrap", "prod-eu", "--principal", PRINCIPAL,
                 "--role-name", "denied-role")  # fmt: skip
    assert denied.code == 2 and "grant" in denied.stderr.lower()
    iam = _iam()
    assert "denied-role" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    monkeypatch.setenv("GREENTIC_GRANT", "prod-eu")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": PRINCIPAL}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam.create_role(RoleName="someone-elses", AssumeRolePolicyDocument=json.dumps(trust))
    conflict = cli("credentials", "bootstrap", "prod-eu", "--principal", PRINCIPAL,
                   "--role-name", "someone-elses")  # fmt: skip
    assert conflict.code == 4 and "someone-elses" in conflict.stderr
    assert iam.list_role_policies(RoleName="someone-elses")["PolicyNames"] == []
    assert _audit(cli, "prod-eu")[-1]["outcome"] == "error"


# -- Kubernetes ------------------------------------------------------------------------------


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    return install_fake_kubectl(
        monkeypatch,
        tmp_path / "bin",
        FAKE_KUBECTL,
        log=tmp_path / "kubectl.log",
        store=tmp_path / "cluster.json",
    )


def test_k8s_bootstrap_makes_the_account_its_rbac_and_a_private_kubeconfig(
    cli: Cli, kubectl: FakeKubectl, tmp_path: Path, seeded: Seeded
) -> None:
    pack, config = tmp_path / "pack", tmp_path / "private" / "deployer.kubeconfig"
    argv = ("credentials", "bootstrap", "zain-prod", "--rules-pack", str(pack),
            "--kubeconfig", str(config), "--timeout", "5")  # fmt: skip
    first = cli(*argv)
    assert first.code == 0, first.stderr
    namespace = "greentic-acme-zain-prod"
    assert first.result["service_account"] == f"{namespace}/greentic-iac-deployer"
    cluster = json.loads(kubectl.store.read_text(encoding="utf-8"))
    role = cluster[f"{namespace}/role/greentic-iac-deployer"]
    printed = list(yaml.safe_load_all(cli("credentials", "policy", "zain-prod").stdout))
    assert role["rules"] == printed[0]["rules"]
    binding = cluster[f"{namespace}/rolebinding/greentic-iac-deployer"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "greentic-iac-deployer", "namespace": namespace}
    ]
    assert binding["roleRef"]["kind"] == "Role"
    assert f"{namespace}/serviceaccount/greentic-iac-deployer" in cluster
    assert f"/namespace/{namespace}" in cluster  # the owned namespace, made for the account
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    kubeconfig = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert kubeconfig["users"][0]["user"] == {"token": TOKEN}
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert kubeconfig["contexts"][0]["context"]["namespace"] == namespace
    # The token is in the kubeconfig only: not in the pack, the output or the home.
    exported = [first.stdout, *(p.read_text(encoding="utf-8") for p in pack.iterdir())]
    exported += [p.read_text(encoding="utf-8", errors="replace")
                 for p in seeded.home.rglob("*") if p.is_file()]  # fmt: skip
    assert not [text for text in exported if TOKEN in text or "admin-token" in text]
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["identity"]["kubeconfig"] == str(config)
    assert {d["path"] for d in manifest["documents"]} == {"rbac.yaml", "identity.yaml"}
    applied = len([c for c in kubectl.calls() if "apply" in c])
    second = cli(*argv)
    assert second.code == 0, second.stderr
    assert second.result["changes"] == [] and second.result["rules_pack"]["written"] == []
    assert len([c for c in kubectl.calls() if "apply" in c]) == applied
    validated = cli("credentials", "validate", "zain-prod", "--rules-pack", str(pack))
    assert validated.code == 0, validated.stderr
    assert validated.result["rules_pack"]["ok"] is True
    assert [e["outcome"] for e in _audit(cli, "zain-prod")] == ["ok", "ok"]


def test_k8s_bootstrap_without_a_token_fails_in_time_and_writes_no_kubeconfig(
    cli: Cli, kubectl: FakeKubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KUBECTL_NO_TOKEN", "1")
    config = tmp_path / "kubeconfig"
    outcome = cli("credentials", "bootstrap", "zain-prod", "--kubeconfig", str(config),
                  "--rules-pack", str(tmp_path / "pack"), "--timeout", "1")  # fmt: skip
    assert outcome.code == 3 and "no token" in outcome.stderr
    assert not config.exists() and not (tmp_path / "pack").exists()
    assert _audit(cli, "zain-prod")[-1]["outcome"] == "error"


def test_k8s_bootstrap_refuses_aws_flags_a_kubeconfig_in_the_pack_and_failed_preflight(
    cli: Cli, kubectl: FakeKubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_flag = cli("credentials", "bootstrap", "zain-prod", "--principal", PRINCIPAL)
    assert aws_flag.code == 2 and "--principal" in aws_flag.stderr
    pack = tmp_path / "pack"
    inside = cli("credentials", "bootstrap", "zain-prod", "--rules-pack", str(pack),
                 "--kubeconfig", str(pack / "kubeconfig"))  # fmt: skip
    assert inside.code == 2 and "--kubeconfig" in inside.stderr
    monkeypatch.setenv("FAKE_KUBECTL_DENY", "create")
    refused = cli("credentials", "bootstrap", "zain-prod", "--timeout", "5")
    assert refused.code == 3 and "preflight failed" in refused.stderr
    assert not [c for c in kubectl.calls() if "apply" in c]
    assert not _audit(cli, "zain-prod")


def test_k8s_bootstrap_defaults_keep_the_kubeconfig_under_the_ignored_secrets_dir(
    cli: Cli, kubectl: FakeKubectl, seeded: Seeded
) -> None:
    outcome = cli("credentials", "bootstrap", "zain-prod", "--timeout", "5")
    assert outcome.code == 0, outcome.stderr
    config = seeded.home / "secrets" / "kubeconfigs" / "zain-prod"
    assert outcome.result["kubeconfig"] == str(config.absolute())
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert outcome.result["rules_pack"]["directory"] == str(
        (seeded.home / "rules-packs" / "zain-prod").absolute()
    )
    assert "secrets/" in (seeded.home / ".gitignore").read_text(encoding="utf-8").splitlines()
