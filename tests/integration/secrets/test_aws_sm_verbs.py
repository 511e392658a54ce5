"""``secrets put/get/list`` on the sample AWS environment against a real moto server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.secrets.conftest import AWS_ANSWERS, home_text, make_cli, put

pytestmark = pytest.mark.integration

VALUE = "pa55-W0rd!with'quotes\" and \\ backslash, ünïcode"


def _secretsmanager() -> Any:
    return boto3.client("secretsmanager", region_name="eu-west-1")


def test_put_get_list_round_trip_without_leaking_the_value(tmp_path: Path, aws_env: str) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "rt/"})
    first = put(cli, tmp_path, "prod-eu", "db-password", VALUE)
    assert first.code == 0, first.stderr
    assert first.result["outcome"] == "created"
    assert first.result["backend"] == "greentic.secrets.aws-sm"
    assert ":secret:rt/prod-eu/db-password-" in first.result["reference"]
    second = put(cli, tmp_path, "prod-eu", "db-password", VALUE + "-rotated")
    assert second.code == 0, second.stderr
    assert second.result["outcome"] == "updated"

    got = cli("secrets", "get", "prod-eu", "db-password")
    assert got.code == 0, got.stderr
    assert got.result == {"name": "db-password", "value": VALUE + "-rotated"}
    listed = cli("secrets", "list", "prod-eu")
    assert listed.code == 0, listed.stderr
    assert listed.result["secrets"] == [{"name": "db-password"}]

    stored = _secretsmanager().get_secret_value(SecretId="rt/prod-eu/db-password")
    assert stored["SecretString"] == VALUE + "-rotated"
    for outcome in (first, second, listed):
        assert VALUE not in outcome.stdout and VALUE not in outcome.stderr
    on_disk = home_text(tmp_path)
    assert "db-password" in on_disk  # the audit log names the secret...
    assert VALUE not in on_disk and json.dumps(VALUE)[1:-1] not in on_disk  # ...never the value


def test_kms_key_and_tags_on_create(tmp_path: Path, aws_env: str) -> None:
    settings = {"region": "eu-west-1", "name_prefix": "kms/", "kms_key_id": "alias/greentic-prod"}
    cli = make_cli(tmp_path, AWS_ANSWERS, settings)
    assert put(cli, tmp_path, "prod-eu", "api-token", "t0ken").code == 0
    described = _secretsmanager().describe_secret(SecretId="kms/prod-eu/api-token")
    assert described["KmsKeyId"] == "alias/greentic-prod"
    tags = {t["Key"]: t["Value"] for t in described["Tags"]}
    assert tags["greentic:environment"] == "prod-eu"
    assert tags["greentic:tenant"] == "acme"
    assert tags["greentic:secret-name"] == "api-token"


def test_secret_arns_mapping_writes_and_reads_that_arn(tmp_path: Path, aws_env: str) -> None:
    client = _secretsmanager()
    arn = client.create_secret(Name="shared/stripe-key", SecretString="old")["ARN"]
    settings = {"region": "eu-west-1", "name_prefix": "arns/", "secret_arns": {"stripe": arn}}
    cli = make_cli(tmp_path, AWS_ANSWERS, settings)
    written = put(cli, tmp_path, "prod-eu", "stripe", "rotated-stripe-value")
    assert written.code == 0, written.stderr
    assert written.result["outcome"] == "updated" and written.result["reference"] == arn
    assert client.get_secret_value(SecretId=arn)["SecretString"] == "rotated-stripe-value"
    # Nothing was created under the managed prefix for a mapped name.
    managed = client.list_secrets(Filters=[{"Key": "name", "Values": ["arns/"]}])
    assert managed["SecretList"] == []
    assert cli("secrets", "get", "prod-eu", "stripe").result["value"] == "rotated-stripe-value"
    assert cli("secrets", "list", "prod-eu").result["secrets"] == [{"name": "stripe"}]


def test_missing_secret_is_not_found_in_one_line(tmp_path: Path, aws_env: str) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "missing/"})
    outcome = cli("secrets", "get", "prod-eu", "nope")
    assert outcome.code == 2
    line = outcome.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "missing/prod-eu/nope" in line and "ResourceNotFoundException" in line


def test_no_credentials_is_one_line_exit_3(
    tmp_path: Path, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "nocreds/"})
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    outcome = put(cli, tmp_path, "prod-eu", "db-password", VALUE)
    assert outcome.code == 3
    line = outcome.stderr.strip()
    assert "\n" not in line and "no usable AWS credentials" in line and "db-password" in line
    assert VALUE not in outcome.stdout + outcome.stderr + home_text(tmp_path)


def test_unreachable_endpoint_is_bounded_and_one_line(
    tmp_path: Path, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    outcome = cli("secrets", "list", "prod-eu")
    assert outcome.code == 1
    line = outcome.stderr.strip()
    assert "\n" not in line and "endpoint unreachable" in line


def test_without_a_grant_nothing_is_written(
    tmp_path: Path, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, AWS_ANSWERS, {"region": "eu-west-1", "name_prefix": "denied/"})
    monkeypatch.delenv("GREENTIC_GRANT")
    outcome = put(cli, tmp_path, "prod-eu", "db-password", VALUE)
    assert outcome.code == 2, outcome.stderr
    listed = _secretsmanager().list_secrets(Filters=[{"Key": "name", "Values": ["denied/"]}])
    assert listed["SecretList"] == []
