"""The grant rules, the principal, and the S3 store's refusal of non-conditional buckets."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.errors import PreflightError
from greentic_iac.store import authorize, current_principal
from greentic_iac.store.principal import identify


def test_ci_identities_are_claims_and_the_principal_is_the_os_user() -> None:
    import pwd

    user = pwd.getpwuid(os.getuid()).pw_name
    github = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo", "GITHUB_REPOSITORY": "acme/app"}
    assert current_principal(github).startswith(f"{user}@")
    [claim] = identify(github).claims
    assert (claim.issuer, claim.subject) == ("github", "github:octo@acme/app")
    assert claim.evidence == "claimed GITHUB_ACTOR=octo, GITHUB_REPOSITORY=acme/app"
    gitlab = {"GITLAB_CI": "true", "GITLAB_USER_LOGIN": "ann", "CI_PROJECT_PATH": "g/p"}
    assert [c.subject for c in identify(gitlab).claims] == ["gitlab:ann@g/p"]
    assert [c.issuer for c in identify({"CI": "true"}).claims] == ["ci"]
    assert current_principal({"USER": "alice", "LOGNAME": "alice"}) == current_principal({})
    assert identify({}).claims == ()


def test_a_claim_satisfies_a_principal_grant_only_when_the_grant_trusts_it(
    tmp_path: Path,
) -> None:
    github = identify(
        {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo", "GITHUB_REPOSITORY": "acme/app"}
    )
    grant = {"environments": ["prod-*"], "principals": ["github:*@acme/app"]}
    (tmp_path / "policy.json").write_text(json.dumps({"grants": [grant]}))
    denied = authorize("prod-eu", github, tmp_path, {})
    assert not denied.allowed
    assert "the claimed github:octo@acme/app (github) is not verified" in denied.reason
    assert '"trust_claims": ["github"]' in denied.reason
    (tmp_path / "policy.json").write_text(
        json.dumps({"grants": [{**grant, "trust_claims": ["github"]}]})
    )
    allowed = authorize("prod-eu", github, tmp_path, {})
    assert allowed.allowed and allowed.grant == "policy.json#grants[0]"
    assert "trusting the github claim github:octo@acme/app" in allowed.reason
    # Trusting GitLab claims does not make a GitHub claim count.
    (tmp_path / "policy.json").write_text(
        json.dumps({"grants": [{**grant, "trust_claims": ["gitlab"]}]})
    )
    assert not authorize("prod-eu", github, tmp_path, {}).allowed


def test_grants_match_environment_and_principal_patterns(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text(
        '{"grants": [{"environments": ["prod-*"], "principals": ["github:*@acme/app"]}]}'
    )
    assert authorize("local", "anyone", tmp_path, {}).allowed
    assert authorize("prod-eu", "github:octo@acme/app", tmp_path, {}).allowed  # a verified name
    denied = authorize("prod-eu", "bob@laptop", tmp_path, {})
    assert not denied.allowed and "no grant for bob@laptop" in denied.reason
    assert not authorize("staging", "github:octo@acme/app", tmp_path, {}).allowed
    assert authorize("staging", "x", tmp_path, {"GREENTIC_GRANT": "staging"}).allowed
    # The variable takes exact ids, not patterns.
    assert not authorize("staging", "x", tmp_path, {"GREENTIC_GRANT": "*"}).allowed


@pytest.mark.parametrize(
    "policy",
    ['{"grants": [{"environments": []}]}', '{"grants": "all"}', "[]", '{"grant": []}'],
)
def test_a_malformed_policy_denies(tmp_path: Path, policy: str) -> None:
    (tmp_path / "policy.json").write_text(policy)
    decision = authorize("prod-eu", "x", tmp_path, {}, now=datetime.now(UTC))
    assert not decision.allowed and "failing closed" in decision.reason
    # Even an environment GREENTIC_GRANT names: the policy may be one that turned it off.
    assert not authorize("prod-eu", "x", tmp_path, {"GREENTIC_GRANT": "prod-eu"}).allowed


def test_grant_variable_false_ignores_the_variable(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text('{"grant_variable": false, "grants": []}')
    decision = authorize("prod-eu", "x", tmp_path, {"GREENTIC_GRANT": "prod-eu"})
    assert not decision.allowed and "GREENTIC_GRANT is ignored" in decision.reason
    no_policy = tmp_path / "no-policy-here"
    assert authorize("prod-eu", "x", no_policy, {"GREENTIC_GRANT": "prod-eu"}).allowed


class IgnoresConditions:
    """A bucket that accepts every write: the S3 store must refuse it."""

    def put_object(self, **kwargs: Any) -> dict[str, str]:
        return {"ETag": '"1"'}

    def delete_object(self, **kwargs: Any) -> None:
        return None


def test_s3_store_refuses_a_bucket_without_conditional_writes(tmp_path: Path) -> None:
    from greentic_iac.store.s3 import S3Store

    store = S3Store("bucket-a", "p", client=IgnoresConditions(), home=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(PreflightError, match="does not honour conditional writes"):
        store.list_environments()


def test_s3_store_accepts_moto_and_checks_integrity_metadata(
    s3_client: Any, tmp_path: Path
) -> None:
    from greentic_iac.errors import StateCorruptError
    from greentic_iac.store.s3 import S3Store

    from .conftest import BUCKET, make_state

    store = S3Store(BUCKET, "meta-check", client=s3_client, home=tmp_path, environ={})
    store.create(make_state(), verb="env init")
    key = "meta-check/environments/local/state.json"
    head = s3_client.head_object(Bucket=BUCKET, Key=key)
    from greentic_iac.store import state_digest

    assert head["Metadata"]["greentic-sha256"] == state_digest(store.load("local"))
    body = s3_client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata={"greentic-sha256": "0" * 64})
    with pytest.raises(StateCorruptError, match="metadata greentic-sha256"):
        store.load("local")
