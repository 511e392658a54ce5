"""An operator with a fresh home and a fresh moto_server state per test (or example)."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator

import boto3
import pytest

from tests.lifetime.aws.operator import Operator

ENVIRONMENTS = "prod-eu,shared-a,shared-b,legacy"


def reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture
def aws_session(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("GREENTIC_GRANT", ENVIRONMENTS)
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )


@pytest.fixture
def new_operator(
    aws_session: boto3.Session, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], Operator]:
    """``new_operator()``: an empty home and an empty moto (one per hypothesis example)."""

    def make() -> Operator:
        reset_moto(moto_endpoint)
        return Operator(tmp_path_factory.mktemp("lifetime") / "home", aws_session)

    return make


@pytest.fixture
def operator(new_operator: Callable[[], Operator]) -> Iterator[Operator]:
    yield new_operator()
