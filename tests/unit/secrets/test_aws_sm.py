"""The AWS Secrets Manager backend against moto in-process, and its error translation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from moto import mock_aws

from greentic_iac.errors import NotFoundError, PreflightError
from greentic_iac.secrets import (
    AwsSecretsManager,
    SecretNotFoundError,
    SecretsAccessError,
    SecretsBackendError,
)
from greentic_iac.secrets.aws_sm import max_attempts_from

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def _backend(**settings: Any) -> AwsSecretsManager:
    return AwsSecretsManager.from_settings(
        "prod-eu", {"region": REGION, **settings}, tenant="acme", environ={}
    )


def test_put_creates_then_updates_under_the_environment_prefix(aws: Any) -> None:
    backend = _backend()
    created = backend.put("db-password", "one")
    assert created.created is True and created.outcome == "created"
    assert ":secret:greentic/prod-eu/db-password-" in created.reference
    updated = backend.put("db-password", "two")
    assert updated.created is False and updated.reference == created.reference
    assert backend.get("db-password") == "two"
    versions = aws.list_secret_version_ids(SecretId="greentic/prod-eu/db-password")["Versions"]
    assert len(versions) == 2


def test_create_passes_the_kms_key_and_tags(aws: Any) -> None:
    _backend(kms_key_id="alias/greentic").put("token", "v")
    described = aws.describe_secret(SecretId="greentic/prod-eu/token")
    assert described["KmsKeyId"] == "alias/greentic"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {
        "greentic:environment": "prod-eu",
        "greentic:tenant": "acme",
        "greentic:secret-name": "token",
    }
    assert "v" not in described["Description"].split()


def test_without_a_kms_key_none_is_sent(aws: Any) -> None:
    _backend().put("token", "v")
    assert "KmsKeyId" not in aws.describe_secret(SecretId="greentic/prod-eu/token")


def test_names_are_this_environments_only_across_pages(aws: Any) -> None:
    backend = _backend(name_prefix="team/")
    for index in range(105):  # more than one ListSecrets page (100)
        aws.create_secret(Name=f"team/prod-eu/s{index:03d}", SecretString="x")
    aws.create_secret(Name="team/prod-eu-2/other-env", SecretString="x")
    aws.create_secret(Name="team/prod-eu", SecretString="x")
    aws.create_secret(Name="greentic/prod-eu/default-prefix", SecretString="x")
    names = backend.names()
    assert names == [f"s{index:03d}" for index in range(105)]


def test_secret_arns_are_written_and_listed_never_created(aws: Any) -> None:
    arn = aws.create_secret(Name="platform/stripe", SecretString="old")["ARN"]
    backend = _backend(secret_arns={"stripe": arn})
    outcome = backend.put("stripe", "new")
    assert outcome.created is False and outcome.reference == arn
    assert backend.get("stripe") == "new"
    assert backend.names() == ["stripe"]
    assert aws.list_secrets()["SecretList"][0]["Name"] == "platform/stripe"
    assert len(aws.list_secrets()["SecretList"]) == 1


def test_a_mapped_arn_that_does_not_exist_is_not_found_naming_the_setting(aws: Any) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf"
    backend = _backend(secret_arns={"gone": arn})
    with pytest.raises(SecretNotFoundError, match=r"^secret_arns\.gone: .*ResourceNotFound"):
        backend.put("gone", "value")


def test_missing_secret_is_not_found(aws: Any) -> None:
    with pytest.raises(NotFoundError, match=r"greentic/prod-eu/nope .*does not exist"):
        _backend().get("nope")


def test_binary_secret_is_returned_when_it_is_text(aws: Any) -> None:
    aws.create_secret(Name="greentic/prod-eu/bin", SecretBinary=b"text")
    aws.create_secret(Name="greentic/prod-eu/raw", SecretBinary=b"\xff\xfe")
    assert _backend().get("bin") == "text"
    with pytest.raises(SecretsBackendError, match="not UTF-8"):
        _backend().get("raw")


# -- error translation (a stub client raising what botocore raises) ----------------------


class _Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, _: str) -> Any:
        def fail(*_: Any, **__: Any) -> Any:
            raise self.error

        return fail


def _client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateSecret")


def _failing(error: Exception) -> AwsSecretsManager:
    backend = _backend()
    backend._client = _Raising(error)
    return backend


@pytest.mark.parametrize(
    ("error", "kind", "fragment"),
    [
        (_client_error("AccessDeniedException", "not allowed"), SecretsAccessError, "IAM"),
        (_client_error("UnrecognizedClientException"), SecretsAccessError, "credentials"),
        (_client_error("ThrottlingException"), SecretsBackendError, "after 3 attempts"),
        (_client_error("InvalidRequestException", "scheduled"), SecretsBackendError, "scheduled"),
        (NoCredentialsError(), SecretsAccessError, "no usable AWS credentials"),
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            SecretsBackendError,
            "endpoint unreachable",
        ),
        (
            ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
            SecretsBackendError,
            "endpoint unreachable",
        ),
    ],
)
def test_errors_are_one_line_naming_the_secret_and_code(
    error: Exception, kind: type[Exception], fragment: str
) -> None:
    with pytest.raises(kind) as raised:
        _failing(error).put("db-password", "hunter2-value")
    message = str(raised.value)
    assert "\n" not in message and fragment in message
    assert message.startswith("secrets put db-password: AWS Secrets Manager greentic/prod-eu/")
    code = error.response["Error"]["Code"] if isinstance(error, ClientError) else None
    assert code is None or code in message
    assert "hunter2-value" not in message


def test_access_errors_exit_3_like_preflight() -> None:
    with pytest.raises(PreflightError) as raised:
        _failing(NoCredentialsError()).names()
    assert raised.value.exit_code == 3


def test_a_message_that_echoes_the_value_is_scrubbed() -> None:
    error = _client_error("ValidationException", "bad SecretString hunter2-value here")
    with pytest.raises(SecretsBackendError) as raised:
        _failing(error).put("db-password", "hunter2-value")
    assert "hunter2-value" not in str(raised.value) and "***" in str(raised.value)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, 3),
        ({"AWS_MAX_ATTEMPTS": "1"}, 1),
        ({"AWS_MAX_ATTEMPTS": "x"}, 3),
        ({"AWS_MAX_ATTEMPTS": "0"}, 3),
    ],
)
def test_max_attempts_come_from_the_environment(environ: dict[str, str], expected: int) -> None:
    assert max_attempts_from(environ) == expected
