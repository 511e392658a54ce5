"""Issue 17: the policy guarding an S3 store comes from the bucket (``<prefix>/policy.json``),
never from ``--home``: ``--home EVIL`` with a policy granting ``*`` must not mutate prod."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from greentic_iac.store.s3 import S3Store
from tests.support.cli_runner import Outcome, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

BUCKET = "greentic-authz-policy"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def remote(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Any]:
    """A fresh prefix in a moto bucket; the in-process CLI reaches it through the AWS_* env."""
    client = boto3.client("s3", endpoint_url=moto_endpoint, **_credentials())
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    prefix = f"team/{uuid.uuid4().hex}"
    for name, value in {**FAKE_AWS, "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    return f"s3://{BUCKET}/{prefix}", prefix, client


def invoke(
    home: Path, *args: str, answers: dict[str, str] | None = None, grant: str | None = None
) -> Outcome:
    """The CLI in this process (``GREENTIC_GRANT`` set only for this call)."""
    with pytest.MonkeyPatch.context() as patch:
        if grant:
            patch.setenv("GREENTIC_GRANT", grant)
        if answers is None:
            return run_cli(home, *args)
        path = home.parent / f"answers-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(answers))
        return run_cli(home, *args, "--answers", str(path))


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
        "region_name": FAKE_AWS["AWS_DEFAULT_REGION"],
    }


def _evil_home(tmp_path: Path) -> Path:
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "policy.json").write_text(json.dumps({"grants": [{"environments": ["*"]}]}))
    return evil


Remote = tuple[str, str, Any]


def test_home_policy_does_not_guard_a_remote_store(remote: Remote, tmp_path: Path) -> None:
    url, prefix, client = remote
    operator = tmp_path / "operator"
    operator.mkdir()
    created = invoke(operator, "--store", url, "env", "init", "prod", grant="prod")
    assert created.code == 0, created.stderr
    evil = _evil_home(tmp_path)
    payload = {"environment_id": "prod", "key": "owned", "value": "yes"}

    outcome = invoke(evil, "--store", url, "config", "set", answers=payload)

    assert outcome.code == 2, outcome.stdout
    assert "mutation denied: no grant" in outcome.stderr
    assert f"{url}/policy.json" in outcome.stderr  # where the real policy lives
    store = S3Store(BUCKET, prefix, client=client, environ={})
    assert store.load("prod").config == {}
    assert store.audit_events("prod")[-1].decision == "deny"


def test_the_bucket_policy_grants_and_fails_closed_when_broken(
    remote: Remote, tmp_path: Path
) -> None:
    url, prefix, client = remote
    home = tmp_path / "operator"
    home.mkdir()
    assert invoke(home, "--store", url, "env", "init", "prod", grant="prod").code == 0
    policy = json.dumps({"grants": [{"environments": ["prod"]}]})
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/policy.json", Body=policy)
    payload = {"environment_id": "prod", "key": "greeting", "value": "hi"}

    allowed = invoke(home, "--store", url, "config", "set", answers=payload)

    assert allowed.code == 0, allowed.stderr
    store = S3Store(BUCKET, prefix, client=client, environ={})
    assert store.audit_events("prod")[-1].grant == f"{url}/policy.json#grants[0]"

    client.put_object(Bucket=BUCKET, Key=f"{prefix}/policy.json", Body=b"{not json")
    broken = invoke(home, "--store", url, "config", "set", answers={**payload, "value": "x"})

    assert broken.code == 2
    assert "policy unusable, failing closed" in broken.stderr
    assert store.load("prod").config == {"greeting": "hi"}


def test_a_bucket_policy_can_turn_the_grant_variable_off(remote: Remote, tmp_path: Path) -> None:
    url, prefix, client = remote
    home = tmp_path / "operator"
    home.mkdir()
    assert invoke(home, "--store", url, "env", "init", "prod", grant="prod").code == 0
    policy = {"grant_variable": False, "grants": [{"environments": ["staging"]}]}
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/policy.json", Body=json.dumps(policy))
    payload = {"environment_id": "prod", "key": "owned", "value": "yes"}

    outcome = invoke(home, "--store", url, "config", "set", answers=payload, grant="prod")

    assert outcome.code == 2, outcome.stdout
    assert 'GREENTIC_GRANT is ignored, the policy sets "grant_variable": false' in outcome.stderr
    store = S3Store(BUCKET, prefix, client=client, environ={})
    assert store.load("prod").config == {}


def test_a_denied_create_leaves_nothing_under_the_environment(
    remote: Remote, tmp_path: Path
) -> None:
    url, prefix, client = remote
    home = tmp_path / "operator"
    home.mkdir()

    outcome = invoke(home, "--store", url, "env", "init", "prod")

    assert outcome.code == 2
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/environments/prod/")
    assert listed.get("KeyCount", 0) == 0
    audit = invoke(home, "--store", url, "audit", "list", "prod")
    assert [(e["verb"], e["decision"]) for e in audit.result["events"]] == [("env init", "deny")]
    limited = invoke(home, "--store", url, "audit", "list", "prod", "--limit", "1")
    assert len(limited.result["events"]) == 1
